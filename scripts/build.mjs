#!/usr/bin/env node
/**
 * `npm run build`: compiles the package to dist/ (tsconfig.build.json: ESM, .d.ts, source maps,
 * declaration maps) and copies the non-TypeScript files the code reads at run time, relative to
 * its own `import.meta.url`. `--clean` (what `prepack` runs) empties dist/ first, so a tarball
 * never carries the output of a deleted source file.
 *
 * @example
 * npm run build
 * node scripts/build.mjs --clean
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');

/** Files read at run time through `new URL('./…', import.meta.url)`; paths from the repository root. */
const RUNTIME_FILES = ['node-adapter/spiffe/workload/workload.proto'];

if (process.argv.includes('--clean')) rmSync(DIST, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
for (const file of RUNTIME_FILES) {
  mkdirSync(dirname(join(DIST, file)), { recursive: true });
  copyFileSync(join(ROOT, file), join(DIST, file));
}
