/**
 * The client helpers against the real daemon app (node-adapter/daemon, served over real HTTP on
 * 127.0.0.1) with the TCP Redis stores as its replay guard: the wire shapes the clients parse are
 * the daemon's own, and two daemons sharing one Redis refuse a replayed bootstrap token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClient, initializeSandbox } from '../../node-adapter/session/index.js';
import { createRedisStores, type RedisStores } from '../../node-adapter/stores/index.js';
import { jwkThumbprint } from '../../shared/session/index.js';
import { bootstrapSigner, mintBootstrap, mintSession, startDaemon, type TestDaemon } from '../support/daemon.js';
import { redisAvailable } from '../support/redis-available.js';
import { startRedisServer, type RedisServer } from '../support/upstash-bridge.js';

const redisOk = redisAvailable('session client ↔ daemon tests');

describe.skipIf(!redisOk)('session clients ↔ daemon app, replay guard in Redis', () => {
  let redis: RedisServer;
  let stores: [RedisStores, RedisStores];
  let a: TestDaemon;
  let b: TestDaemon;

  beforeAll(async () => {
    redis = await startRedisServer();
    const url = `redis://127.0.0.1:${redis.port}`;
    stores = [createRedisStores(url, { timeoutMs: 1000 }), createRedisStores(url, { timeoutMs: 1000 })];
    const signer = await bootstrapSigner();
    [a, b] = await Promise.all([
      startDaemon({ signer, replayGuard: stores[0].replayGuard }),
      startDaemon({ signer, replayGuard: stores[1].replayGuard }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all(stores?.map((s) => s.close()) ?? []);
    await redis?.stop();
  });

  it('init, replay on a second daemon, another key, then the PicoD API through SandboxClient', async () => {
    const token = await mintBootstrap(a.signer, a.session);
    const thumbprint = await jwkThumbprint(a.session.publicJwk);
    expect(await initializeSandbox(a.url, token, { retries: 0 })).toEqual({ status: 'initialized', thumbprint });
    expect(await initializeSandbox(a.url, token, { retries: 0 })).toEqual({ status: 'already_initialized', thumbprint });
    await expect(initializeSandbox(b.url, token, { retries: 0 })).rejects.toMatchObject({ code: 'ERR_TOKEN_REPLAYED', status: 401 });
    await expect(initializeSandbox(a.url, await mintBootstrap(a.signer, b.session), { retries: 0 })).rejects.toMatchObject({ code: 'ERR_ALREADY_INITIALIZED', status: 409 });

    const c = new SandboxClient({ daemonUrl: a.url, token: () => mintSession(a.session) });
    expect(await c.execute(['sh', '-c', 'printf out; printf err >&2; exit 42'])).toMatchObject({ stdout: 'out', stderr: 'err', exitCode: 42, timedOut: false, truncated: false });
    const slow = await c.execute(['sleep', '5'], { timeout: '200ms' });
    expect({ exitCode: slow.exitCode, timedOut: slow.timedOut }).toEqual({ exitCode: 124, timedOut: true });
    expect(await c.writeFile('dir/a b.txt', new Uint8Array([0, 1, 2, 255]), '0600')).toMatchObject({ path: 'dir/a b.txt', size: 4, mode: '-rw-------' });
    expect(await c.readFile('dir/a b.txt')).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(await c.listFiles('dir')).toEqual([expect.objectContaining({ name: 'a b.txt', size: 4, isDir: false })]);
    expect((await c.execute(['cat', 'a b.txt'], { workingDir: 'dir' })).stdout).toBe('\u0000\u0001\u0002\ufffd');
    await c.deleteFile('dir/a b.txt');
    await expect(c.readFile('dir/a b.txt')).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', status: 404 });
    // the daemon's jail refuses what the client sends; '..' in a URL path is refused before sending
    await expect(c.writeFile('../escape', 'x')).rejects.toMatchObject({ code: 'ERR_PATH_OUTSIDE_WORKSPACE', status: 400 });
    await expect(c.listFiles('..')).rejects.toMatchObject({ code: 'ERR_PATH_OUTSIDE_WORKSPACE', status: 400 });
    await expect(c.readFile('../escape')).rejects.toMatchObject({ code: 'ERR_PATH_OUTSIDE_WORKSPACE' });
    await expect(c.deleteFile('a/../../b')).rejects.toMatchObject({ code: 'ERR_PATH_OUTSIDE_WORKSPACE' });
    await expect(new SandboxClient({ daemonUrl: a.url, token: () => mintSession(b.session) }).execute(['true'])).rejects.toMatchObject({ status: 401 });
    await expect(new SandboxClient({ daemonUrl: b.url, token: () => mintSession(b.session) }).execute(['true'])).rejects.toMatchObject({ code: 'ERR_DAEMON_NOT_INITIALIZED', status: 503 });
  });
});
