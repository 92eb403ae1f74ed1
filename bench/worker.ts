/**
 * Issue 4's rows: the Worker as `wrangler deploy --dry-run` bundles it, run inside workerd by
 * Miniflare, answering warm `POST /v1/agent-cards/verify`; against the same verification called
 * directly in Node (`verifyAgentCard` with the options the worker's route passes) in the same run.
 *
 * CPU is measured, not inferred from wall time: workerd's CPU from /proc (every thread of the
 * workerd child Miniflare spawns), Node's from process.cpuUsage() (every thread, the libuv pool
 * WebCrypto runs on included). Requests go one at a time, so nothing else runs meanwhile.
 * Two workerd figures:
 *  - in isolate: a bench-only entry module calls the bundled worker's own `fetch(Request, env, ctx)`
 *    n times per outer request — the whole app path (Request, body reading, routing, verification,
 *    JSON response) with the transport amortised away: what Cloudflare bills as a request's CPU.
 *  - over HTTP: one `dispatchFetch` per request, so workerd's CPU also carries Miniflare's local
 *    plumbing (its loopback HTTP and entry worker); `GET /healthz` over the same path shows that floor.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import { verifyAgentCard } from '../shared/agentcard/index.js';
import { signedCard } from './agentcard.js';
import { TRUST_DOMAIN, type ChainFixture } from './lib/fixtures.js';
import { childPids, measureCpu, processCpuNs, selfCpuNs } from './lib/proc.js';
import { median } from './lib/timing.js';
import type { Report } from './lib/report.js';

const SECTION = 'worker';
const ROOT = resolve(import.meta.dirname, '..');
const KiB = 1024;

export interface WorkerBenchOptions {
  readonly quick?: boolean;
}

/** `wrangler deploy --dry-run --outdir`: the bundle that would be uploaded, offline. */
function buildWorker(outdir: string): { files: string[]; wranglerLine: string | undefined } {
  const out = execFileSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const files = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
  return { files, wranglerLine: /Total Upload:[^\n]*/.exec(out)?.[0] };
}

const BENCH_ENTRY = `
import worker from './index.js';
// bench only: ?n= calls of the worker's own fetch inside one request, so transport cost amortises away
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== '/__bench/loop') return worker.fetch(request, env, ctx);
    const n = Number(url.searchParams.get('n'));
    const body = await request.text();
    let verified = 0;
    for (let i = 0; i < n; i++) {
      const res = await worker.fetch(new Request('https://verify.example/v1/agent-cards/verify', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body }), env, ctx);
      const text = await res.text();
      if (res.status === 200 && text.includes('"verified":true')) verified++;
    }
    return Response.json({ verified });
  },
};
`;

function wranglerSetting(name: string): string | undefined {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  return new RegExp(`^${name}\\s*=\\s*(.+)$`, 'm').exec(toml)?.[1]?.trim();
}

export async function workerRows(f: ChainFixture, report: Report, options: WorkerBenchOptions = {}): Promise<void> {
  const rounds = options.quick ? 3 : 5;
  const outdir = mkdtempSync(join(tmpdir(), 'cardtrust-bench-'));
  let mf: Miniflare | undefined;
  try {
    const { files, wranglerLine } = buildWorker(outdir);
    if (!files.includes('index.js')) throw new Error(`bench: wrangler wrote ${files.join(', ') || 'nothing'}, expected index.js`);
    const gz = files.reduce((n, file) => n + gzipSync(readFileSync(join(outdir, file))).length, 0);
    report.check(SECTION, 'bundle gzip size (wrangler deploy --dry-run, zlib level 6)', gz / KiB, { max: 250, unit: ' KiB', digits: 1 }, wranglerLine ? `wrangler: ${wranglerLine}` : undefined);

    const s = await signedCard(f);
    const body = JSON.stringify(s.card);
    writeFileSync(join(outdir, 'bench-entry.mjs'), BENCH_ENTRY);
    const flags = wranglerSetting('compatibility_flags');
    mf = new Miniflare({
      modules: true,
      // wrangler writes ESM with a .js name; Miniflare would take .js for CommonJS
      modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }],
      scriptPath: join(outdir, 'bench-entry.mjs'),
      modulesRoot: outdir,
      compatibilityDate: JSON.parse(wranglerSetting('compatibility_date') ?? '"2026-04-01"') as string,
      ...(flags ? { compatibilityFlags: JSON.parse(flags) as string[] } : {}),
      bindings: {
        TRUST_BUNDLES: JSON.stringify({ [TRUST_DOMAIN]: f.root.pem }),
        DEFAULT_TRUST_DOMAIN: TRUST_DOMAIN,
        DEFAULT_MODE: 'strict',
      },
    });
    const post = async (): Promise<void> => {
      const res = await mf!.dispatchFetch('http://localhost/v1/agent-cards/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.text();
      if (res.status !== 200 || !text.includes('"verified":true')) throw new Error(`bench: worker answered ${res.status}: ${text.slice(0, 300)}`);
    };
    const health = async (): Promise<void> => {
      const res = await mf!.dispatchFetch('http://localhost/healthz');
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`bench: /healthz answered ${res.status}`);
    };
    const INNER = 100;
    const loop = async (): Promise<void> => {
      const res = await mf!.dispatchFetch(`http://localhost/__bench/loop?n=${INNER}`, { method: 'POST', body });
      const { verified } = (await res.json()) as { verified: number };
      if (verified !== INNER) throw new Error(`bench: in-isolate loop verified ${verified} of ${INNER}`);
    };
    await post();
    const [pid, ...others] = childPids('workerd');
    if (pid === undefined || others.length) throw new Error(`bench: expected one workerd child, found ${others.length + (pid === undefined ? 0 : 1)}`);

    const direct = async (): Promise<void> => {
      const r = await verifyAgentCard(s.card, { ...s.options, at: new Date() });
      if (!r.verified) throw new Error('bench: direct verification failed');
    };

    const workerdCpu = (): number => processCpuNs(pid);

    // warm-up: JIT in both runtimes, every cache the first request fills
    await measureCpu(direct, 500, selfCpuNs);
    await measureCpu(post, 100, workerdCpu);
    await measureCpu(loop, 5, workerdCpu);
    await measureCpu(health, 100, workerdCpu);

    const seen = { direct: [] as number[], directWall: [] as number[], isolate: [] as number[], http: [] as number[], httpWall: [] as number[], health: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const d = await measureCpu(direct, 2000, selfCpuNs);
      const i = await measureCpu(loop, 20, workerdCpu);
      const h = await measureCpu(post, 300, workerdCpu);
      const z = await measureCpu(health, 300, workerdCpu);
      seen.direct.push(d.cpu);
      seen.directWall.push(d.wall);
      seen.isolate.push(i.cpu / INNER);
      seen.http.push(h.cpu);
      seen.httpWall.push(h.wall);
      seen.health.push(z.cpu);
    }
    // concurrent throughput: 8 requests in flight
    const c0 = performance.now();
    let sent = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() - c0 < (options.quick ? 500 : 1500)) {
          await post();
          sent++;
        }
      }),
    );
    const concurrentRps = (sent * 1000) / (performance.now() - c0);

    const us = (ns: number): string => `${(ns / 1000).toFixed(1)} µs`;
    const perRound = (a: number[], b: number[]): number => median(a.map((x, k) => x / b[k]!));
    report.info(SECTION, 'direct verifyAgentCard in Node: CPU per call', us(median(seen.direct)), `wall ${us(median(seen.directWall))} per call, ${Math.round(1e9 / median(seen.directWall)).toLocaleString('en-US')}/s`);
    report.info(SECTION, 'workerd: CPU per warm verify, in isolate (worker.fetch)', us(median(seen.isolate)), `the bundled worker's fetch called ${INNER}× per outer request; CPU of all workerd threads`);
    report.info(
      SECTION,
      'workerd: CPU per warm POST /v1/agent-cards/verify over HTTP',
      us(median(seen.http)),
      `GET /healthz over the same Miniflare path: ${us(median(seen.health))} — Miniflare's local plumbing, not the app`,
    );
    report.rate(SECTION, 'POST /v1/agent-cards/verify, sequential (wall)', 1e9 / median(seen.httpWall), `${us(median(seen.httpWall))} wall per request, Node client included`);
    report.rate(SECTION, 'POST /v1/agent-cards/verify, 8 in flight (wall)', concurrentRps);
    report.check(SECTION, 'in-isolate CPU per request / direct call CPU', perRound(seen.isolate, seen.direct), { max: 1.5, unit: '×' });
    report.check(
      SECTION,
      'over-HTTP workerd CPU per request / direct call CPU',
      perRound(seen.http, seen.direct),
      { max: 1.5, unit: '×' },
      `minus the /healthz floor: ${perRound(seen.http.map((h, k) => h - seen.health[k]!), seen.direct).toFixed(2)}×`,
    );
  } finally {
    await mf?.dispose();
    rmSync(outdir, { recursive: true, force: true });
  }
}
