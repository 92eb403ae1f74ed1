/**
 * Issue 12's `serve` rows: `cardtrust serve` as a child process answering warm
 * `POST /v1/agent-cards/verify` over loopback HTTP (keep-alive, node:http client), against the same
 * verification called directly in this process in the same run. CPU is measured, not inferred from
 * wall time: a server process's CPU from /proc (all its threads), this process's from
 * process.cpuUsage(). Requests go one at a time for the CPU ratios; then throughput with 1 and 16
 * in flight (wall).
 *
 * Two reference servers price what any Node service pays (bench/lib/reference-server.ts): a bare
 * node:http server answering a fixed text (the transport), and a bare node:http server that parses,
 * verifies and stringifies and does nothing else (the least a Node verification service costs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { createServer } from 'node:net';
import { verifyAgentCard } from '../shared/agentcard/index.js';
import { signedCard } from './agentcard.js';
import { TRUST_DOMAIN, type ChainFixture } from './lib/fixtures.js';
import { measureCpu, processCpuNs, selfCpuNs } from './lib/proc.js';
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
  const references: ChildProcess[] = [];
  try {
    const deadline = Date.now() + 30_000;
    while (!err.includes('listening on')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bench: cardtrust serve did not start: ${err.slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const postTo = (p: number, expectReport = true): Promise<void> =>
      new Promise((done, fail) => {
        const req = request(
          { host: '127.0.0.1', port: p, path: '/v1/agent-cards/verify', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode !== 200 || !text.includes('"verified":true') || (expectReport && !text.includes('"signatures"'))) fail(new Error(`bench: port ${p} answered ${res.statusCode}: ${text.slice(0, 200)}`));
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
    const serveCpu = (): number => processCpuNs(child.pid!);
    // the references, each in its own process, over the same loopback keep-alive path
    const reference = async (mode: 'fixed' | 'verify'): Promise<{ post: () => Promise<void>; cpu: () => number }> => {
      const refPort = await freePort();
      const ref = spawn(process.execPath, [...process.execArgv, resolve(import.meta.dirname, 'lib/reference-server.ts')], {
        env: { PATH: process.env.PATH, MODE: mode, PORT: String(refPort), TRUST_DOMAIN, ROOT_PEM: f.root.pem },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      references.push(ref);
      await new Promise<void>((r, fail) => {
        ref.stdout!.once('data', () => r());
        ref.once('exit', (code) => fail(new Error(`bench: reference server (${mode}) exited with ${code}`)));
      });
      return { post: () => postTo(refPort, mode === 'verify'), cpu: () => processCpuNs(ref.pid!) };
    };
    const fixed = await reference('fixed');
    const minimal = await reference('verify');
    await measureCpu(direct, 500, selfCpuNs);
    await measureCpu(post, 500, serveCpu);
    await measureCpu(fixed.post, 500, fixed.cpu);
    await measureCpu(minimal.post, 500, minimal.cpu);
    const seen = { direct: [] as number[], http: [] as number[], httpWall: [] as number[], fixed: [] as number[], minimal: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      seen.direct.push((await measureCpu(direct, 2000, selfCpuNs)).cpu);
      const h = await measureCpu(post, 1000, serveCpu);
      seen.http.push(h.cpu);
      seen.httpWall.push(h.wall);
      seen.fixed.push((await measureCpu(fixed.post, 1000, fixed.cpu)).cpu);
      seen.minimal.push((await measureCpu(minimal.post, 1000, minimal.cpu)).cpu);
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
    const perRound = (a: number[], b: number[]): number => median(a.map((x, k) => x / b[k]!));
    report.info(SECTION, 'direct verifyAgentCard in Node: CPU per call', us(median(seen.direct)));
    report.info(SECTION, 'serve: CPU per warm POST /v1/agent-cards/verify over loopback HTTP', us(median(seen.http)), 'all threads of the serve process (the bridge, the app, the verification)');
    report.info(
      SECTION,
      'bare node:http server, fixed answer: CPU per request',
      us(median(seen.fixed)),
      `${perRound(seen.fixed, seen.direct).toFixed(2)}× the direct call: the transport alone (sockets, HTTP parser, syscalls)`,
    );
    report.info(
      SECTION,
      'bare node:http server that parses, verifies, stringifies: CPU per request',
      us(median(seen.minimal)),
      `${perRound(seen.minimal, seen.direct).toFixed(2)}× the direct call: the least a Node verification service costs`,
    );
    report.check(
      SECTION,
      'serve CPU per request / direct call CPU',
      perRound(seen.http, seen.direct),
      { max: 1.3, unit: '×' },
      `not reachable over node:http: the target leaves 0.3× for the transport, parsing and the answer together, and the bare transport alone takes ${perRound(seen.fixed, seen.direct).toFixed(2)}×`,
    );
    report.info(
      SECTION,
      'serve CPU per request / bare parse-verify-stringify server',
      `${perRound(seen.http, seen.minimal).toFixed(2)}×`,
      "what serve's bridge, routing, strict body checks (content type, size, UTF-8, I-JSON), rate limit and answers add",
    );
    report.rate(SECTION, 'serve POST /v1/agent-cards/verify, sequential (wall)', 1e9 / median(seen.httpWall), `${us(median(seen.httpWall))} wall per request, the client included`);
    report.rate(SECTION, 'serve POST /v1/agent-cards/verify, 16 in flight (wall)', await inFlight(16));
  } finally {
    agent.destroy();
    for (const r of references) r.kill('SIGTERM');
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}
