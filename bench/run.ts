/**
 * `npm run bench`: every speed target of issues 2, 3, 4, 9, 10, 11 (Workload API rows) and 12 (serve, package) measured in one run and printed as one
 * table of ratios (absolute ops/s for context), each with its target and PASS/MISS. Exits 0 either
 * way: the table is a report, not a gate. See docs/benchmarks.md.
 *
 *   npm run bench                     # everything (~2–3 min on 2 cores)
 *   npm run bench -- --quick          # fewer rounds, 10k chains: a smoke run
 *   npm run bench -- --only chain,agentcard --json out.json
 */
// @peculiar/x509 (the naive baseline, the test CA) needs the Reflect metadata API before it loads
import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Report } from './lib/report.js';
import type { CompareOptions } from './lib/timing.js';

const SECTIONS = ['chain', 'memory', 'agentcard', 'worker', 'serve', 'daemon', 'session', 'mtls', 'package'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const only = new Set((values.only ?? SECTIONS.join(',')).split(',').map((s) => s.trim()));
for (const s of only) if (!SECTIONS.includes(s as Section)) throw new Error(`bench: unknown section ${s}; one of ${SECTIONS.join(', ')}`);

// heap figures need a full GC; `npm run bench` runs plain tsx, so expose gc from inside
if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  setFlagsFromString('--expose-gc');
  (globalThis as { gc?: unknown }).gc = runInNewContext('gc');
}

const timing: CompareOptions = values.quick ? { rounds: 3, minMs: 100 } : { rounds: 7, minMs: 250 };
const report = new Report();
const started = performance.now();

console.log(
  `cardtrust bench — Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length}× ${cpus()[0]?.model.trim() ?? 'cpu'}, ${new Date().toISOString()}`,
);
console.log(
  `timing: ${timing.rounds} interleaved rounds × ≥${timing.minMs} ms per variant after a warm-up round; ops/s are medians, ratios are medians of per-round ratios; one op in flight`,
);

async function section(name: Section, targets: readonly [string, string][], run: () => Promise<void>): Promise<void> {
  if (!only.has(name)) return;
  const t0 = performance.now();
  process.stdout.write(`… ${name}`);
  try {
    await run();
    process.stdout.write(` (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  } catch (err) {
    process.stdout.write(` failed\n`);
    const reason = err instanceof Error ? `${err.name}${'code' in err ? ` ${String(err.code)}` : ''}: ${err.message.split('\n')[0]}` : String(err);
    // rows measured before the failure stand; only the targets still missing are marked
    for (const [label, target] of targets) {
      if (!report.rows.some((r) => r.section === name && r.status && r.label.startsWith(label))) report.notRun(name, label, target, reason);
    }
  }
}

const { chainFixture } = await import('./lib/fixtures.js');
const fixture = await chainFixture();

await section(
  'chain',
  [
    ['cold / crypto floor', '≥ 0.5×'],
    ['cold / naive', '≥ 3×'],
    ['warm / cold', '≥ 20×'],
  ],
  async () => (await import('./chain.js')).chainRows(fixture, report, timing),
);

await section('memory', [['heap growth after', 'bounded']], async () =>
  (await import('./heap.js')).heapRows(fixture, report, values.quick ? { chains: 10_000 } : {}),
);

await section(
  'agentcard',
  [
    ['warm / floor warm', '≥ 0.7×'],
    ['cold / floor cold', '≥ 0.7×'],
  ],
  async () => (await import('./agentcard.js')).agentCardRows(fixture, report, timing),
);

await section(
  'worker',
  [
    ['bundle gzip size', '≤ 250 KiB'],
    ['in-isolate CPU per request / direct call CPU', '≤ 1.5×'],
    ['over-HTTP workerd CPU per request / direct call CPU', '≤ 1.5×'],
  ],
  async () => (await import('./worker.js')).workerRows(fixture, report, { quick: values.quick }),
);

await section('serve', [['serve CPU per request / direct call CPU', '≤ 1.3×']], async () =>
  (await import('./serve.js')).serveRows(fixture, report, { quick: values.quick }),
);

await section(
  'daemon',
  [
    ['POST /init round trips', 'info'],
    ['authenticated POST /api/execute', 'info'],
    ['authenticated GET /api/files', 'info'],
  ],
  async () => (await import('./daemon.js')).daemonRows(report, { quick: values.quick }),
);

await section('session', [['verifySessionToken / raw ES256 verify', '≥ 0.8×']], async () => {
  const m = await import('./session.js');
  await m.sessionTokenRows(report, timing);
  await m.controlPlaneRows(report, { quick: values.quick });
});

await section(
  'mtls',
  [
    ['full handshakes ours / Node tls with ca', '≥ 0.85×'],
    ['handshakes during 50 rotations/s / none', '0 failed'],
    ['file change → new SVID in handshakes (median)', '≤ 500 ms'],
    ['handshakes WorkloadX509Source / StaticX509Source', '≥ 0.95×'],
    ['Workload API update → new SVID in handshakes (median)', '≤ 100 ms'],
  ],
  async () => {
    const m = await import('./mtls.js');
    await m.mtlsRows(report, { quick: values.quick });
    await m.workloadRows(report, { quick: values.quick });
  },
);

await section(
  'package',
  [
    ['browser verify-only bundle gzip', '≤ 60 KiB'],
    ['cardtrust --version', '≤ 0.3 s'],
  ],
  async () => (await import('./package.js')).packageRows(report, { quick: values.quick }),
);

console.log('');
report.print();
console.log('');
report.summary();
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s. Absolute ops/s drift between runs and machines; the ratios are the result.`);
if (values.json) writeFileSync(values.json, JSON.stringify({ node: process.version, date: new Date().toISOString(), timing, rows: report.rows }, null, 2) + '\n');
