/**
 * Issue 12's rows: what a user of the installed package pays.
 *  - the gzip size of a minified esbuild browser bundle of the verify-only entry (`verifyAgentCard`
 *    from `cardtrust/agentcard`, `parseBundle` from `cardtrust/bundle`: what a page needs to verify a
 *    card against a SPIFFE bundle), resolved through the package's own `exports` from dist/ (the
 *    files the tarball ships), with the heaviest inputs named from esbuild's metafile;
 *  - the start time of the compiled `cardtrust --version` under plain node (wall time of the whole
 *    process, median of N runs, one at a time).
 * dist/ is brought up to date first (`npm run build`, incremental).
 */
import { execFileSync } from 'node:child_process';
import { resolve, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { median } from './lib/timing.js';
import type { Report } from './lib/report.js';

const SECTION = 'package';
const ROOT = resolve(import.meta.dirname, '..');
const KiB = 1024;

export const BROWSER_ENTRY = "export { verifyAgentCard } from 'cardtrust/agentcard';\nexport { parseBundle } from 'cardtrust/bundle';\n";

/** The bundle's gzip size and its heaviest inputs (module folder or package → bytes in the output). */
export async function browserBundle(): Promise<{ gzipBytes: number; rawBytes: number; heaviest: [string, number][] }> {
  const result = await build({
    stdin: { contents: BROWSER_ENTRY, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0]!.contents;
  const byModule = new Map<string, number>();
  for (const [file, input] of Object.entries(Object.values(result.metafile.outputs)[0]!.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
    const key = pkg ?? file.split('/').slice(0, 3).join('/');
    byModule.set(key, (byModule.get(key) ?? 0) + input.bytesInOutput);
  }
  const heaviest = [...byModule].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return { gzipBytes: gzipSync(bytes).length, rawBytes: bytes.length, heaviest };
}

export async function packageRows(report: Report, options: { quick?: boolean } = {}): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'ignore' });

  const b = await browserBundle();
  const heaviest = b.heaviest.map(([k, n]) => `${k} ${(n / KiB).toFixed(0)} KiB`).join(', ');
  report.check(SECTION, 'browser verify-only bundle gzip (cardtrust/agentcard + parseBundle, esbuild minified)', b.gzipBytes / KiB, { max: 60, unit: ' KiB', digits: 1 },
    `${(b.rawBytes / KiB).toFixed(0)} KiB minified; heaviest: ${heaviest}`);

  const bin = join(ROOT, 'dist/node-adapter/bin/cardtrust.js');
  const runs = options.quick ? 5 : 11;
  const wall = (args: string[]): number => {
    const t0 = performance.now();
    execFileSync(process.execPath, args);
    return (performance.now() - t0) / 1000;
  };
  wall([bin, '--version']); // warm the file cache
  // interleaved with bare node starts, so a busy machine shows in both
  const times: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(wall([bin, '--version']));
    bare.push(wall(['-e', '0']));
  }
  const ours = median(times);
  const floor = median(bare);
  report.check(SECTION, `cardtrust --version, compiled, plain node (median of ${runs})`, ours, { max: 0.3, unit: ' s', digits: 3 }, `node -e 0 alone: ${floor.toFixed(3)} s (median, same runs)`);
  report.info(SECTION, 'cardtrust --version over a bare node start', `+${((ours - floor) * 1000).toFixed(0)} ms`);
}
