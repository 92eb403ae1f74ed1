/**
 * Issue 12's `serve` rows: `cardtrust serve` as a child process answering warm
 * `POST /v1/agent-cards/verify` over loopback HTTP (keep-alive, node:http client), against the same
 * verification called directly in this process in the same run. CPU is measured, not inferred from
 * wall time: the serve process's CPU from /proc (all its threads), this process's from
 * process.cpuUsage(). Requests go one at a time for the CPU ratio; then throughput with 1 and 16
 * in flight (wall).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { createServer } from 'node:net';
import { verifyAgentCard } from '../shared/agentcard/index.js';
import { signedCard } from './agentcard.js';
import { TRUST_DOMAIN, type ChainFixture } from './lib/fixtures.js';
import { processCpuNs, selfCpuNs } from './lib/proc.js';
import { median } from './lib/timing.js';
import type { Report } from './lib/report.js';

const SECTION = 'serve';
const ROOT = resolve(import.meta.dirname, '..');
// the compiled bin (what an installed package runs) when built, else the dev launcher from source
const BUILT = resolve(ROOT, 'dist/node-adapter/bin/cardtrust.js');
const BIN = existsSync(BUILT) ? BUILT : resolve(ROOT, 'node-adapter/bin/cardtrust.mjs');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

export async function serveRows(f: ChainFixture, report: Report, options: { quick?: boolean } = {}): Promise<void> {
  const rounds = options.quick ? 3 : 5;
  const s = await signedCard(f);
  const body = Buffer.from(JSON.stringify(s.card));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--no-access-log'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, TRUST_BUNDLES: JSON.stringify({ [TRUST_DOMAIN]: f.root.pem }), DEFAULT_TRUST_DOMAIN: TRUST_DOMAIN, DEFAULT_MODE: 'strict' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  let floor: ChildProcess | undefined;
  try {
    const deadline = Date.now() + 30_000;
    while (!err.includes('listening on')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bench: cardtrust serve did not start: ${err.slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const postTo = (p: number): Promise<void> =>
      new Promise((done, fail) => {
        const req = request(
          { host: '127.0.0.1', port: p, path: '/v1/agent-cards/verify', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode !== 200 || !text.includes('"verified":true')) fail(new Error(`bench: serve answered ${res.statusCode}: ${text.slice(0, 200)}`));
              else done();
            });
          },
        );
        req.on('error', fail);
        req.end(body);
      });
    const post = (): Promise<void> => postTo(port);
    const direct = async (): Promise<void> => {
      const r = await verifyAgentCard(s.card, { ...s.options, at: new Date() });
      if (!r.verified) throw new Error('bench: direct verification failed');
    };
    const measure = async (op: () => Promise<void>, n: number, cpu: () => number): Promise<{ cpu: number; wall: number }> => {
      const c0 = cpu();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await op();
      return { cpu: (cpu() - c0) / n, wall: ((performance.now() - t0) * 1e6) / n };
    };
    const serveCpu = (): number => processCpuNs(child.pid!);
    // the floor: a bare node:http server that reads the body and answers a fixed JSON text over the
    // same loopback keep-alive path, so the sockets, the HTTP parser and the syscalls are priced alone
    const floorPort = await freePort();
    floor = spawn(
      process.execPath,
      ['-e', `require('node:http').createServer((q, s) => { q.on('data', () => {}); q.on('end', () => { s.writeHead(200, { 'content-type': 'application/json' }); s.end('{"verified":true}'); }); }).listen(${floorPort}, '127.0.0.1', () => console.log('up'))`],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    await new Promise<void>((r) => floor!.stdout!.once('data', () => r()));
    const floorPost = (): Promise<void> => postTo(floorPort);
    const floorCpu = (): number => processCpuNs(floor!.pid!);
    await measure(direct, 500, selfCpuNs);
    await measure(post, 500, serveCpu);
    await measure(floorPost, 500, floorCpu);
    const seen = { direct: [] as number[], http: [] as number[], httpWall: [] as number[], floor: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const d = await measure(direct, 2000, selfCpuNs);
      const h = await measure(post, 1000, serveCpu);
      const z = await measure(floorPost, 1000, floorCpu);
      seen.direct.push(d.cpu);
      seen.http.push(h.cpu);
      seen.httpWall.push(h.wall);
      seen.floor.push(z.cpu);
    }
    const inFlight = async (k: number): Promise<number> => {
      const t0 = performance.now();
      let sent = 0;
      await Promise.all(
        Array.from({ length: k }, async () => {
          while (performance.now() - t0 < (options.quick ? 500 : 1500)) {
            await post();
            sent++;
          }
        }),
      );
      return (sent * 1000) / (performance.now() - t0);
    };
    const us = (ns: number): string => `${(ns / 1000).toFixed(1)} µs`;
    report.info(SECTION, 'direct verifyAgentCard in Node: CPU per call', us(median(seen.direct)));
    report.info(SECTION, 'serve: CPU per warm POST /v1/agent-cards/verify over loopback HTTP', us(median(seen.http)), 'all threads of the serve process (the bridge, the app, the verification)');
    report.info(SECTION, 'bare node:http server: CPU per request (same body, fixed answer)', us(median(seen.floor)), 'the transport alone: sockets, HTTP parser, syscalls');
    report.check(
      SECTION,
      'serve CPU per request / direct call CPU',
      median(seen.http.map((h, k) => h / seen.direct[k]!)),
      { max: 1.3, unit: '×' },
      `minus the bare node:http floor: ${median(seen.http.map((h, k) => (h - seen.floor[k]!) / seen.direct[k]!)).toFixed(2)}×`,
    );
    report.rate(SECTION, 'serve POST /v1/agent-cards/verify, sequential (wall)', 1e9 / median(seen.httpWall), `${us(median(seen.httpWall))} wall per request, the client included`);
    report.rate(SECTION, 'serve POST /v1/agent-cards/verify, 16 in flight (wall)', await inFlight(16));
  } finally {
    agent.destroy();
    floor?.kill('SIGTERM');
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}
