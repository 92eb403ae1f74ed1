/**
 * Issue 10's mTLS rows, measured in this run on 127.0.0.1 with real handshakes:
 *  - full handshakes per second of createMtlsTlsServer against a plain Node `tls` server that
 *    verifies client certificates natively with `ca` (same certificates, same client load: 8
 *    connections in flight), the server in its own process; p50/p99 latency and server CPU per
 *    handshake. Target ≥ 0.85×.
 *  - resumed handshakes (TLS 1.3 session tickets) separately.
 *  - the rate during 50 rotations per second vs none (information), and the time from a file
 *    change to the first new handshake that gets the new SVID (target ≤ 500 ms, default debounce).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { TestCA } from '../test/support/ca.js';
import { material, writeAtomic } from '../test/support/mtls.js';
import { FileX509Source } from '../node-adapter/spiffe/index.js';
import { authorizeAny, createMtlsTlsServer } from '../node-adapter/mtls/index.js';
import { processCpuNs } from './lib/proc.js';
import type { Report } from './lib/report.js';

const SECTION = 'mtls';
const IN_FLIGHT = 8;

export interface MtlsBenchOptions {
  readonly quick?: boolean;
}

interface Server {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

async function startServer(mode: 'ours' | 'node', dir: string, rotatePerSecond = 0): Promise<Server> {
  const script = fileURLToPath(new URL('./lib/mtls-server.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, mode, dir, String(rotatePerSecond)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`mtls bench server exited ${code}`)));
  });
  return {
    port,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Client {
  cert: string;
  key: string;
}

/** One connection: handshake, read `ok`, close. Resolves the latency (ms) and the session ticket. */
function once(port: number, client: Client, session?: Buffer): Promise<{ ms: number; ticket?: Buffer; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ticket: Buffer | undefined;
    let reused = false;
    let data = '';
    const s = connect({ host: '127.0.0.1', port, cert: client.cert, key: client.key, rejectUnauthorized: false, ...(session ? { session } : {}) });
    s.on('session', (t) => (ticket = t));
    s.on('secureConnect', () => (reused = s.isSessionReused()));
    s.on('data', (d) => (data += d));
    s.on('error', reject);
    // the session ticket arrives after the handshake: wait for the close so resumed rounds have one
    s.on('close', () => (data === 'ok\n' ? resolve({ ms: performance.now() - t0, reused, ...(ticket ? { ticket } : {}) }) : reject(new Error(`bad reply ${JSON.stringify(data)}`))));
  });
}

interface Round {
  perSec: number;
  latencies: number[];
  cpuNsPerOp: number;
  failed: number;
  resumedShare: number;
}

/** `n` connections, IN_FLIGHT at a time, against `server`; server CPU from /proc. */
async function round(server: Server, client: Client, n: number, resume: boolean): Promise<Round> {
  let session: Buffer | undefined;
  if (resume) session = (await once(server.port, client)).ticket;
  const latencies: number[] = [];
  let failed = 0;
  let resumed = 0;
  let next = 0;
  const cpu0 = processCpuNs(server.pid);
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      next++;
      try {
        const r = await once(server.port, client, resume ? session : undefined);
        latencies.push(r.ms);
        if (r.reused) resumed++;
        if (resume && r.ticket) session = r.ticket;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const elapsed = performance.now() - t0;
  const cpu = processCpuNs(server.pid) - cpu0;
  return { perSec: (n * 1000) / elapsed, latencies: latencies.sort((a, b) => a - b), cpuNsPerOp: cpu / n, failed, resumedShare: resumed / n };
}

const pct = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function mtlsRows(report: Report, options: MtlsBenchOptions = {}): Promise<void> {
  const n = options.quick ? 200 : 500;
  const rounds = options.quick ? 3 : 5;
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-bench-mtls-'));
  const ca = await TestCA.create({ trustDomain: 'example.org' });
  const s1 = await ca.issueSVID('spiffe://example.org/server');
  const s2 = await ca.issueSVID('spiffe://example.org/server');
  const c = await ca.issueSVID('spiffe://example.org/client');
  await writeFile(join(dir, 'server.pem'), s1.pem);
  await writeFile(join(dir, 'server.key'), s1.keyPem);
  await writeFile(join(dir, 'server2.pem'), s2.pem);
  await writeFile(join(dir, 'server2.key'), s2.keyPem);
  await writeFile(join(dir, 'ca.pem'), ca.rootPem);
  const client: Client = { cert: c.pem, key: c.keyPem };
  const ours = await startServer('ours', dir);
  const node = await startServer('node', dir);
  const rotating = await startServer('ours', dir, 50);
  try {
    for (const s of [ours, node, rotating]) await round(s, client, 50, false); // warm-up
    const full = { ours: [] as Round[], node: [] as Round[] };
    const resumed = { ours: [] as Round[], node: [] as Round[] };
    const rot = { none: [] as Round[], rotating: [] as Round[] };
    for (let r = 0; r < rounds; r++) {
      full.ours.push(await round(ours, client, n, false));
      full.node.push(await round(node, client, n, false));
      resumed.ours.push(await round(ours, client, n, true));
      resumed.node.push(await round(node, client, n, true));
      rot.rotating.push(await round(rotating, client, n, false));
      rot.none.push(await round(ours, client, n, false));
    }
    const ratio = (a: Round[], b: Round[]) => median(a.map((x, i) => x.perSec / b[i]!.perSec));
    const lat = (rs: Round[]) => rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const cpuMs = (rs: Round[]) => median(rs.map((r) => r.cpuNsPerOp)) / 1e6;
    report.rate(SECTION, 'full handshakes: createMtlsTlsServer', median(full.ours.map((r) => r.perSec)), `p50 ${pct(lat(full.ours), 50).toFixed(2)} ms, p99 ${pct(lat(full.ours), 99).toFixed(2)} ms, server CPU ${cpuMs(full.ours).toFixed(2)} ms/handshake`);
    report.rate(SECTION, 'full handshakes: Node tls with ca', median(full.node.map((r) => r.perSec)), `p50 ${pct(lat(full.node), 50).toFixed(2)} ms, p99 ${pct(lat(full.node), 99).toFixed(2)} ms, server CPU ${cpuMs(full.node).toFixed(2)} ms/handshake`);
    report.check(SECTION, 'full handshakes ours / Node tls with ca', ratio(full.ours, full.node), { min: 0.85, unit: '×' }, `server CPU ratio ${(cpuMs(full.ours) / cpuMs(full.node)).toFixed(2)}×; ${IN_FLIGHT} in flight; failed ${[...full.ours, ...full.node].reduce((a, r) => a + r.failed, 0)}`);
    report.rate(SECTION, 'resumed handshakes: createMtlsTlsServer', median(resumed.ours.map((r) => r.perSec)), `${(100 * median(resumed.ours.map((r) => r.resumedShare))).toFixed(0)}% resumed; server CPU ${cpuMs(resumed.ours).toFixed(2)} ms`);
    report.rate(SECTION, 'resumed handshakes: Node tls with ca', median(resumed.node.map((r) => r.perSec)), `${(100 * median(resumed.node.map((r) => r.resumedShare))).toFixed(0)}% resumed; server CPU ${cpuMs(resumed.node).toFixed(2)} ms`);
    report.info(SECTION, 'resumed handshakes ours / Node tls with ca', `${ratio(resumed.ours, resumed.node).toFixed(2)}×`);
    const failedRot = rot.rotating.reduce((a, r) => a + r.failed, 0);
    report.verdict(SECTION, 'handshakes during 50 rotations/s / none', `${ratio(rot.rotating, rot.none).toFixed(2)}×`, '0 failed', failedRot === 0, `${failedRot} failed handshakes while rotating`);
  } finally {
    await Promise.all([ours.stop(), node.stop(), rotating.stop()]);
  }

  // file change → new handshakes with the new SVID, default debounce, in this process
  const svidDir = join(dir, 'svid');
  await writeAtomic(svidDir, material(s1, ca.rootPem));
  const source = await FileX509Source.open(svidDir, { waitMs: 0 });
  const server = createMtlsTlsServer({ source, authorize: authorizeAny(), onRefused: () => {} }, (socket) => socket.end('ok\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const serialOf = (pem: string) => new X509Certificate(pem).serialNumber;
  const servedSerial = () =>
    new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, cert: client.cert, key: client.key, rejectUnauthorized: false });
      s.on('secureConnect', () => {
        resolve(new X509Certificate(s.getPeerX509Certificate()!.raw).serialNumber);
        s.destroy();
      });
      s.on('error', reject);
    });
  const delays: number[] = [];
  try {
    const svids = [s2, s1];
    for (let i = 0; i < (options.quick ? 3 : 7); i++) {
      const next = svids[i % 2]!;
      const want = serialOf(next.pem);
      const t0 = performance.now();
      await writeAtomic(svidDir, material(next, ca.rootPem));
      while ((await servedSerial()) !== want) {
        if (performance.now() - t0 > 5000) throw new Error('the new SVID was not served within 5 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      delays.push(performance.now() - t0);
    }
  } finally {
    server.close();
    await source.close();
    await rm(dir, { recursive: true, force: true });
  }
  report.check(SECTION, 'file change → new SVID in handshakes (median)', median(delays), { max: 500, unit: ' ms', digits: 0 }, `max ${Math.max(...delays).toFixed(0)} ms over ${delays.length} rotations; debounce 100 ms`);
}

/**
 * Issue 11's Workload API rows: the time from a Workload API update (the fake agent of the tests
 * on a Unix socket, in this process) to the first handshake that presents the new SVID (target
 * ≤ 100 ms), and the handshake rate of a server fed by WorkloadX509Source against one fed by
 * StaticX509Source with the same SVID (target ≥ 0.95×).
 */
export async function workloadRows(report: Report, options: MtlsBenchOptions = {}): Promise<void> {
  const { FakeWorkloadApi, svidResponse } = await import('../test/support/workload-api.js');
  const { WorkloadX509Source } = await import('../node-adapter/spiffe/workload/index.js');
  const { StaticX509Source } = await import('../node-adapter/spiffe/index.js');
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-bench-wl-'));
  const ca = await TestCA.create({ trustDomain: 'example.org' });
  const svids = await Promise.all(Array.from({ length: 4 }, () => ca.issueSVID('spiffe://example.org/server')));
  const c = await ca.issueSVID('spiffe://example.org/client');
  const client: Client = { cert: c.pem, key: c.keyPem };
  const agent = new FakeWorkloadApi(join(dir, 'agent.sock'));
  await agent.start();
  agent.push(svidResponse([{ svid: svids[0]!, bundle: [ca] }]));
  const wl = await WorkloadX509Source.open({ address: agent.address, readyTimeoutMs: 5000 });
  const st = await StaticX509Source.create(material(svids[0]!, ca.rootPem));
  const serve = async (source: typeof wl | typeof st) => {
    const server = createMtlsTlsServer({ source, authorize: authorizeAny(), onRefused: () => {} }, (socket) => socket.end('ok\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, port: (server.address() as AddressInfo).port };
  };
  const a = await serve(wl);
  const b = await serve(st);
  const rate = async (port: number, count: number) => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < count) await once(port, client);
    }));
    return (count * 1000) / (performance.now() - t0);
  };
  try {
    const count = options.quick ? 150 : 400;
    await rate(a.port, 30);
    await rate(b.port, 30);
    const ratios: number[] = [];
    // the two servers run the same handshake code; alternate which goes first so drift cancels
    for (let r = 0; r < (options.quick ? 4 : 8); r++) {
      if (r % 2 === 0) {
        const x = await rate(a.port, count);
        ratios.push(x / (await rate(b.port, count)));
      } else {
        const y = await rate(b.port, count);
        ratios.push((await rate(a.port, count)) / y);
      }
    }
    report.check(SECTION, 'handshakes WorkloadX509Source / StaticX509Source', median(ratios), { min: 0.95, unit: '×' }, `${IN_FLIGHT} in flight, same SVID, in-process servers`);
    const delays: number[] = [];
    for (let i = 1; i <= (options.quick ? 5 : 11); i++) {
      const next = svids[i % svids.length]!;
      const want = new X509Certificate(next.pem).serialNumber;
      const t0 = performance.now();
      agent.push(svidResponse([{ svid: next, bundle: [ca] }]));
      for (;;) {
        const got = await new Promise<string>((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port: a.port, cert: client.cert, key: client.key, rejectUnauthorized: false });
          s.on('secureConnect', () => {
            resolve(new X509Certificate(s.getPeerX509Certificate()!.raw).serialNumber);
            s.destroy();
          });
          s.on('error', reject);
        });
        if (got === want) break;
        if (performance.now() - t0 > 5000) throw new Error('the new SVID was not served within 5 s');
      }
      delays.push(performance.now() - t0);
    }
    report.check(SECTION, 'Workload API update → new SVID in handshakes (median)', median(delays), { max: 100, unit: ' ms', digits: 1 }, `max ${Math.max(...delays).toFixed(1)} ms over ${delays.length} updates`);
  } finally {
    a.server.close();
    b.server.close();
    await wl.close();
    await st.close();
    await agent.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
