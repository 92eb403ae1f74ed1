#!/usr/bin/env node
/**
 * `npm run build` (also `prepare` and `prepack`): compiles the package to dist/
 * (tsconfig.build.json: ESM, .d.ts, source maps, declaration maps; incremental), copies the
 * non-TypeScript files the code reads at run time relative to its own `import.meta.url`, and
 * removes outputs whose source file is gone, so a tarball never carries the output of a deleted
 * module. `--clean` empties dist/ first.
 *
 * @example
 * npm run build
 * node scripts/build.mjs --clean
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** The compiled folders (tsconfig.build.json's include). */
const SOURCES = ['shared', 'workers', 'node-adapter'];
/** Files read at run time through `new URL('./…', import.meta.url)`; paths from the repository root. */
const RUNTIME_FILES = ['node-adapter/spiffe/workload/workload.proto'];
const OUTPUT = /\.(js|js\.map|d\.ts|d\.ts\.map)$/;

if (process.argv.includes('--clean')) rmSync(DIST, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
for (const file of RUNTIME_FILES) {
  mkdirSync(dirname(join(DIST, file)), { recursive: true });
  copyFileSync(join(ROOT, file), join(DIST, file));
}
for (const folder of SOURCES) {
  const out = join(DIST, folder);
  if (!existsSync(out)) continue;
  for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    const rel = relative(DIST, path);
    if (RUNTIME_FILES.includes(rel)) continue;
    const source = OUTPUT.test(rel) ? join(ROOT, rel.replace(OUTPUT, '.ts')) : undefined;
    if (!source || !existsSync(source)) rmSync(path);
  }
}
