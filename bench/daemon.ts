/**
 * Issue 9's daemon rows: `cardtrust daemon`'s app through the Node ↔ Fetch bridge on loopback,
 * one request in flight (Node's fetch, keep-alive), measured in this run:
 *  - `POST /init` round trips per second and their p99 latency. Each carries a fresh bootstrap
 *    token (minted before timing); after the first, the answer is `already_initialized` — the full
 *    path (JSON body, signature and claims, replay claim, thumbprint) without changing state. The
 *    /init token bucket (2/s in production) is lifted for the bench.
 *  - authenticated `POST /api/execute` of `true` per second (session token verify + spawn + wait).
 *  - authenticated `GET /api/files?path=.` per second.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { generateSessionKeyPair, mintBootstrapToken, mintSessionToken } from '../shared/session/index.js';
import { MemoryReplayGuard } from '../shared/store/memory-replay-guard.js';
import { createDaemonApp, TokenBucketLimiter } from '../node-adapter/daemon/index.js';
import { serveFetch } from '../node-adapter/http/index.js';
import type { Report } from './lib/report.js';

const SECTION = 'daemon';

export interface DaemonBenchOptions {
  readonly quick?: boolean;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Runs `op` `n` times one after another; ops/s and latencies (ms). */
async function measure(n: number, op: (i: number) => Promise<void>): Promise<{ opsPerSec: number; latencies: number[] }> {
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await op(i);
    latencies.push(performance.now() - s);
  }
  const elapsed = performance.now() - t0;
  return { opsPerSec: (n * 1000) / elapsed, latencies: latencies.sort((a, b) => a - b) };
}

export async function daemonRows(report: Report, options: DaemonBenchOptions = {}): Promise<void> {
  const n = options.quick ? { init: 200, exec: 50, list: 300 } : { init: 1000, exec: 200, list: 2000 };
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-bench-daemon-'));
  const issuer = 'cardtrust';
  const audience = 'cardtrust-sandbox';
  const bootstrap = await jose.generateKeyPair('ES256', { extractable: true });
  const session = await generateSessionKeyPair();
  const app = await createDaemonApp({
    workspace: join(dir, 'ws'), bootstrapKey: await jose.exportSPKI(bootstrap.publicKey), issuer, audience,
    replayGuard: new MemoryReplayGuard({ maxEntries: 100_000 }), initLimiter: new TokenBucketLimiter({ perSecond: 1e9, burst: 1_000_000 }),
  });
  const served = await serveFetch(app.fetch);
  try {
    // the transport floor: the same bridge and client, a route with no work
    const health = async () => {
      const res = await fetch(`${served.url}/health`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < 50; i++) await health();
    const floor = await measure(n.list, health);
    report.rate(SECTION, 'GET /health (loopback HTTP floor)', floor.opsPerSec, `n=${n.list}; p99 ${percentile(floor.latencies, 99).toFixed(2)} ms`);
    const ofFloor = (ops: number) => `${(ops / floor.opsPerSec).toFixed(2)}× the /health floor`;

    const tokens: string[] = [];
    for (let i = 0; i < n.init + 20; i++) {
      tokens.push(await mintBootstrapToken({ privateKey: bootstrap.privateKey, issuer, audience, sessionId: 'bench', sessionPublicKey: session.publicJwk }));
    }
    const init = async (i: number) => {
      const res = await fetch(`${served.url}/init`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tokens[i]! }) });
      if (res.status !== 200) throw new Error(`/init answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < 20; i++) await init(n.init + i); // warm-up (the first initializes)
    const inits = await measure(n.init, init);
    report.rate(SECTION, 'POST /init round trips (already_initialized path)', inits.opsPerSec, `n=${n.init}, one in flight; ${ofFloor(inits.opsPerSec)}`);
    report.info(SECTION, 'POST /init latency p50 / p99', `${inits.latencies[inits.latencies.length >> 1]!.toFixed(2)} / ${percentile(inits.latencies, 99).toFixed(2)} ms`);

    const token = await mintSessionToken({ privateKey: session.privateKey, issuer, audience, sessionId: 'bench' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ command: ['true'], timeout: '10s' });
    const exec = async () => {
      const res = await fetch(`${served.url}/api/execute`, { method: 'POST', headers, body });
      const r = (await res.json()) as { exit_code?: number };
      if (res.status !== 200 || r.exit_code !== 0) throw new Error(`/api/execute answered ${res.status}`);
    };
    for (let i = 0; i < 5; i++) await exec();
    const execs = await measure(n.exec, exec);
    report.rate(SECTION, 'authenticated POST /api/execute ["true"]', execs.opsPerSec, `n=${n.exec}; p99 ${percentile(execs.latencies, 99).toFixed(1)} ms; ${ofFloor(execs.opsPerSec)}`);

    const list = async () => {
      const res = await fetch(`${served.url}/api/files?path=.`, { headers });
      if (res.status !== 200) throw new Error(`/api/files answered ${res.status}`);
      await res.arrayBuffer();
    };
    for (let i = 0; i < 20; i++) await list();
    const lists = await measure(n.list, list);
    report.rate(SECTION, 'authenticated GET /api/files?path=.', lists.opsPerSec, `n=${n.list}; p99 ${percentile(lists.latencies, 99).toFixed(2)} ms; ${ofFloor(lists.opsPerSec)}`);
  } finally {
    await served.close(1000);
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
}
