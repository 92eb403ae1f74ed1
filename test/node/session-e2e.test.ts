/**
 * The whole session flow over real HTTP on 127.0.0.1: the worker's control plane (workerd via
 * Miniflare) with its Upstash store on the bridge in front of a real redis-server; two real
 * `cardtrust daemon` processes sharing that Redis as their replay guard (--redis); the client
 * helpers and the CLI in between. Create → init → session token → authenticated execute; the
 * bootstrap token replayed (same daemon: idempotent, registers nothing new; second daemon:
 * ERR_TOKEN_REPLAYED); a dropped /init answer retried by initializeSandbox; Redis stopped
 * (ERR_STORE_UNAVAILABLE, 503) and restarted (recovers).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneClient, SandboxClient, initializeSandbox } from '../../node-adapter/session/index.js';
import { cli } from '../support/cli.js';
import { startDaemonProcess, type DaemonProcess } from '../support/daemon-process.js';
import { redisAvailable } from '../support/redis-available.js';
import { startRedisServer, startUpstashBridge, type RedisServer, type UpstashBridge } from '../support/upstash-bridge.js';
import { startWorker, type WorkerServer } from '../support/worker-miniflare.js';

const redisOk = redisAvailable('the session end-to-end tests');
const CP_TOKEN = 'e2e-control-plane-token-0123456789';

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A proxy in front of the daemon that swallows the answer to the first /init: the request reaches the daemon, the client sees the connection drop. */
async function droppingProxy(target: string): Promise<{ url: string; inits: () => number; close(): Promise<void> }> {
  let inits = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const isInit = req.url === '/init';
      const n = isInit ? inits++ : -1;
      const upstream = await fetch(`${target}${req.url}`, {
        method: req.method!,
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (n === 0) return req.socket.destroy(); // the daemon did the work; its answer is lost
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inits: () => inits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe.skipIf(!redisOk)('sessions end to end: worker → daemon → execute', () => {
  let dir: string;
  let redis: RedisServer;
  let bridge: UpstashBridge;
  let worker: WorkerServer;
  let daemon1: DaemonProcess;
  let daemon2: DaemonProcess;
  let cp: ControlPlaneClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cardtrust-e2e-'));
    redis = await startRedisServer({ persistDir: dir });
    bridge = await startUpstashBridge({ redisPort: redis.port, token: 'upstash-token' });
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    await writeFile(join(dir, 'bootstrap_pub.pem'), pem('PUBLIC KEY', await crypto.subtle.exportKey('spki', pair.publicKey)));
    const redisUrl = `redis://127.0.0.1:${redis.port}`;
    const daemonArgs = (ws: string) => ['--workspace', join(dir, ws), '--bootstrap-public-key', join(dir, 'bootstrap_pub.pem'), '--redis', redisUrl];
    [worker, daemon1, daemon2] = await Promise.all([
      startWorker({
        CONTROL_PLANE_TOKEN: CP_TOKEN,
        SESSION_SEAL_SECRET: 'e2e-seal-secret-of-at-least-32-bytes!!',
        BOOTSTRAP_PRIVATE_KEY: pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', pair.privateKey)),
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: 'upstash-token',
        STORE_TIMEOUT_MS: '1000',
      }),
      startDaemonProcess(daemonArgs('ws1'), dir),
      startDaemonProcess(daemonArgs('ws2'), dir),
    ]);
    cp = new ControlPlaneClient({ url: worker.url, token: CP_TOKEN });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([daemon1?.stop(), daemon2?.stop(), worker?.close()]);
    await bridge?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('create → init (through a proxy that drops the first answer) → session token → execute; replays refused', async () => {
    const session = await cp.createSession();
    expect(session).toMatchObject({ sessionId: expect.any(String), bootstrapToken: expect.any(String), sessionKeyThumbprint: expect.any(String) });

    // 1. the first /init reaches the daemon but its answer is lost: the retry with the same token
    //    is answered "already initialized" with our key, which is success
    const proxy = await droppingProxy(daemon1.url);
    try {
      const init = await initializeSandbox(proxy.url, session.bootstrapToken, { retries: 2, timeoutMs: 5000, backoffMs: 10 });
      expect(init).toEqual({ status: 'already_initialized', thumbprint: session.sessionKeyThumbprint });
      expect(proxy.inits()).toBe(2);
    } finally {
      await proxy.close();
    }

    // 2. a session token from the control plane runs a command on the daemon
    const sandbox = new SandboxClient({ daemonUrl: daemon1.url, token: async () => (await cp.sessionToken(session.sessionId)).token });
    const r = await sandbox.execute(['sh', '-c', 'echo "hello $0"; echo oops >&2; exit 42', 'sandbox']);
    expect(r).toMatchObject({ stdout: 'hello sandbox\n', stderr: 'oops\n', exitCode: 42, timedOut: false });
    await sandbox.writeFile('notes/a.txt', 'abc');
    expect(new TextDecoder().decode(await sandbox.readFile('notes/a.txt'))).toBe('abc');
    expect((await sandbox.listFiles('notes')).map((f) => f.name)).toEqual(['a.txt']);

    // 3. the same bootstrap token again: the same daemon registers nothing new (idempotent, same
    //    key); a second daemon on the same Redis refuses it as a replay and stays uninitialized
    expect(await initializeSandbox(daemon1.url, session.bootstrapToken, { retries: 0 })).toEqual({ status: 'already_initialized', thumbprint: session.sessionKeyThumbprint });
    await expect(initializeSandbox(daemon2.url, session.bootstrapToken, { retries: 0 })).rejects.toMatchObject({ code: 'ERR_TOKEN_REPLAYED', status: 401 });
    const res = await fetch(`${daemon2.url}/api/execute`, { method: 'POST', body: '{"command":["true"]}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_DAEMON_NOT_INITIALIZED');

    // 4. another session's key cannot take over daemon 1 (409), and its token does not open daemon 1
    const other = await cp.createSession();
    await expect(initializeSandbox(daemon1.url, other.bootstrapToken, { retries: 0 })).rejects.toMatchObject({ code: 'ERR_ALREADY_INITIALIZED', status: 409 });
    const foreign = new SandboxClient({ daemonUrl: daemon1.url, token: (await cp.sessionToken(other.sessionId).catch(() => ({ token: 'x.y.z' }))).token });
    await expect(foreign.execute(['true'])).rejects.toMatchObject({ status: 401 });

    // 5. the CLI does the same: exec with a freshly minted token, exiting with the command's code
    const run = await cli(
      ['session', 'exec', '--daemon', daemon1.url, '--control-plane', worker.url, '--session-id', session.sessionId, '--', 'sh', '-c', 'cat notes/a.txt; exit 3'],
      dir,
      { env: { CARDTRUST_CONTROL_PLANE_TOKEN: CP_TOKEN } },
    );
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 3, stdout: 'abc' });

    // 6. a deleted session mints no more tokens
    await cp.deleteSession(other.sessionId);
    await expect(cp.sessionToken(other.sessionId)).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND', status: 404 });
  });

  it('Redis stopped: /init fails closed (503 ERR_STORE_UNAVAILABLE); restarted: the same token initializes', async () => {
    const session = await cp.createSession();
    await redis.stop();
    try {
      await expect(initializeSandbox(daemon2.url, session.bootstrapToken, { retries: 0 })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
      await expect(cp.createSession()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    } finally {
      await redis.start();
    }
    // the daemon's client reconnects in the background; initializeSandbox's retries cover the gap
    const init = await initializeSandbox(daemon2.url, session.bootstrapToken, { retries: 10, timeoutMs: 5000, backoffMs: 100 });
    expect(init).toEqual({ status: 'initialized', thumbprint: session.sessionKeyThumbprint });
    const sandbox = new SandboxClient({ daemonUrl: daemon2.url, token: (await cp.sessionToken(session.sessionId)).token });
    expect((await sandbox.execute(['echo', 'back'])).stdout).toBe('back\n');
  });
});
