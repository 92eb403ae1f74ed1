/**
 * The TCP Redis stores (node-adapter/stores) against a real redis-server and a real local 3-node
 * Redis Cluster: the store contracts, fail-closed errors within the deadline, recovery after a
 * restart, and cluster safety (one key per operation, where a naive multi-key command is CROSSSLOT).
 */
import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStores, type RedisStores } from '../../node-adapter/stores/index.js';
import { generateSessionKeyPair, mintBootstrapToken, verifyBootstrapToken } from '../../shared/session/index.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { redisAvailable } from '../support/redis-available.js';
import { freePort, startRedisServer, type RedisServer } from '../support/upstash-bridge.js';

const redisOk = redisAvailable('TCP Redis store tests');

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ name: 'TrustError', code });
}

/** The store contracts, run on one node and on the cluster. */
function contract(name: string, open: () => RedisStores) {
  describe(name, () => {
    let stores: RedisStores;
    beforeAll(async () => {
      stores = open();
      await stores.ready(10_000);
    });
    afterAll(async () => {
      await stores?.close();
    });

    it('replay guard: the first claim wins, every later one is refused, across clients', async () => {
      const other = open();
      try {
        const id = `jti:${randomUUID()}`;
        const claims = await Promise.all([...Array(8)].map((_, i) => (i % 2 ? other : stores).replayGuard.claim(id, 60_000)));
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(await other.replayGuard.claim(id, 60_000)).toBe(false);
        expect(await stores.replayGuard.claim(`jti:${randomUUID()}`, 60_000)).toBe(true);
      } finally {
        await other.close();
      }
    });

    it('replay guard: a claim expires after its TTL', async () => {
      const id = `jti:${randomUUID()}`;
      expect(await stores.replayGuard.claim(id, 30)).toBe(true);
      // PX expiry is Redis's clock: wait for the key to go rather than sleeping a fixed time
      for (let i = 0; i < 100 && !(await stores.replayGuard.claim(id, 30)); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await stores.replayGuard.claim(id, 60_000)).toBe(false);
    });

    it.each([[0], [-1], [Number.NaN], [Number.POSITIVE_INFINITY]])('replay guard: TTL %s is ERR_INPUT_INVALID', async (ttl) => {
      await expectCode(stores.replayGuard.claim('x', ttl), 'ERR_INPUT_INVALID');
    });

    it('sealed keys: put, get, delete (true once, then false), absent → undefined', async () => {
      const id = `sess-${randomUUID()}`;
      expect(await stores.sealedKeys.get(id)).toBeUndefined();
      await stores.sealedKeys.put(id, 'ctsk1.aaa.bbb', 60_000);
      expect(await stores.sealedKeys.get(id)).toBe('ctsk1.aaa.bbb');
      await stores.sealedKeys.put(id, 'ctsk1.ccc.ddd', 60_000);
      expect(await stores.sealedKeys.get(id)).toBe('ctsk1.ccc.ddd');
      expect(await stores.sealedKeys.delete(id)).toBe(true);
      expect(await stores.sealedKeys.delete(id)).toBe(false);
      expect(await stores.sealedKeys.get(id)).toBeUndefined();
      await expectCode(stores.sealedKeys.put(id, 'x', 0), 'ERR_INPUT_INVALID');
    });

    it('key-value store: set with a TTL in seconds, get, absent → undefined', async () => {
      const key = `k-${randomUUID()}`;
      expect(await stores.kv.get(key)).toBeUndefined();
      await stores.kv.set(key, '{"keys":[]}', 60);
      expect(await stores.kv.get(key)).toBe('{"keys":[]}');
      await expectCode(stores.kv.set(key, 'x', -5), 'ERR_INPUT_INVALID');
    });

    it('rate limiter: a fixed window shared by every client on the Redis', async () => {
      const limiter = stores.limiter({ limit: 3, windowMs: 60_000 });
      const other = open();
      try {
        const peer = other.limiter({ limit: 3, windowMs: 60_000 });
        const key = `client-${randomUUID()}`;
        const results = [await limiter.limit(key), await peer.limit(key), await limiter.limit(key), await peer.limit(key)];
        expect(results.map((r) => [r.success, r.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0]]);
        expect(results[0]!.limit).toBe(3);
        expect(results[0]!.reset % 60_000).toBe(0);
        expect((await limiter.limit(`client-${randomUUID()}`)).success).toBe(true);
      } finally {
        await other.close();
      }
    });
  });
}

describe.skipIf(!redisOk)('TCP Redis stores', () => {
  let redis: RedisServer;
  let cluster: RedisCluster;
  beforeAll(async () => {
    [redis, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([redis?.stop(), cluster?.stop()]);
  });

  contract('one node', () => createRedisStores(`redis://127.0.0.1:${redis.port}`, { timeoutMs: 1000 }));
  contract('Redis Cluster (3 masters)', () => createRedisStores([...cluster.urls], { timeoutMs: 1000 }));
  contract('Redis Cluster from one seed (cluster: true)', () => createRedisStores(cluster.urls[0]!, { cluster: true, timeoutMs: 1000 }));

  it('the cluster is real: a naive cross-slot multi-key command answers CROSSSLOT, our keys land on several nodes', async () => {
    const raw = new IORedis.Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    raw.on('error', () => {});
    try {
      const keys = ['cardtrust:sealed:a', 'cardtrust:sealed:b', 'cardtrust:replay:c'];
      await expect(raw.mset('cardtrust:sealed:a', '1', 'cardtrust:sealed:b', '2')).rejects.toThrow(/CROSSSLOT/);
      await expect(raw.del(...keys)).rejects.toThrow(/CROSSSLOT/);
      // the same work through the stores: one key per command, each routed to its slot's node
      const stores = createRedisStores([...cluster.urls], { timeoutMs: 1000 });
      try {
        const ids = [...Array(12)].map(() => randomUUID());
        await Promise.all(ids.map((id) => stores.sealedKeys.put(id, `sealed-${id}`, 60_000)));
        expect(await Promise.all(ids.map((id) => stores.sealedKeys.get(id)))).toEqual(ids.map((id) => `sealed-${id}`));
        const nodes = new Set(await Promise.all(ids.map((id) => raw.cluster('KEYSLOT', `cardtrust:sealed:${id}`).then(slotOwner))));
        expect(nodes.size).toBeGreaterThan(1);
        expect(await Promise.all(ids.map((id) => stores.sealedKeys.delete(id)))).toEqual(ids.map(() => true));
      } finally {
        await stores.close();
      }
    } finally {
      raw.disconnect();
    }

    function slotOwner(slot: unknown): string {
      const ranges = raw.slots as unknown as string[][];
      return ranges[Number(slot)]?.join(',') ?? '';
    }
  });

  it('a bootstrap token verified through one client is ERR_TOKEN_REPLAYED through another (one node and cluster)', async () => {
    const signer = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    for (const urls of [[`redis://127.0.0.1:${redis.port}`], [...cluster.urls]]) {
      const [a, b] = [createRedisStores(urls, { timeoutMs: 1000 }), createRedisStores(urls, { timeoutMs: 1000 })];
      try {
        const session = await generateSessionKeyPair();
        const token = await mintBootstrapToken({ privateKey: signer.privateKey, issuer: 'cardtrust', audience: 'cardtrust-sandbox', sessionId: 's1', sessionPublicKey: session.publicJwk });
        const opts = { key: signer.publicKey, issuer: 'cardtrust', audience: 'cardtrust-sandbox' };
        expect((await verifyBootstrapToken(token, { ...opts, replayGuard: a.replayGuard })).thumbprint).toBe(session.thumbprint);
        await expectCode(verifyBootstrapToken(token, { ...opts, replayGuard: b.replayGuard }), 'ERR_TOKEN_REPLAYED');
        await expectCode(verifyBootstrapToken(token, { ...opts, replayGuard: a.replayGuard }), 'ERR_TOKEN_REPLAYED');
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    }
  });

  it('fails closed within the deadline while Redis is down, and recovers when it is back', async () => {
    const server = await startRedisServer();
    const stores = createRedisStores(`redis://127.0.0.1:${server.port}`, { timeoutMs: 300 });
    try {
      await stores.ready(5000);
      expect(await stores.replayGuard.claim(`jti:${randomUUID()}`, 60_000)).toBe(true);
      await server.stop();
      const ops: [string, () => Promise<unknown>][] = [
        ['replay claim', () => stores.replayGuard.claim(`jti:${randomUUID()}`, 60_000)],
        ['sealed put', () => stores.sealedKeys.put('s', 'x', 60_000)],
        ['sealed get', () => stores.sealedKeys.get('s')],
        ['sealed delete', () => stores.sealedKeys.delete('s')],
        ['kv get', () => stores.kv.get('k')],
        ['kv set', () => stores.kv.set('k', 'v', 60)],
        ['rate limit', () => stores.limiter({ limit: 1, windowMs: 1000 }).limit('c')],
      ];
      for (const [, op] of ops) await expectCode(op(), 'ERR_STORE_UNAVAILABLE');
      await server.start();
      await stores.ready(10_000);
      const id = `jti:${randomUUID()}`;
      expect(await stores.replayGuard.claim(id, 60_000)).toBe(true);
      expect(await stores.replayGuard.claim(id, 60_000)).toBe(false);
    } finally {
      await stores.close();
      await server.stop();
    }
  });

  it('an unreachable Redis from the start: ERR_STORE_UNAVAILABLE, never a hang', async () => {
    const port = await freePort();
    const stores = createRedisStores(`redis://127.0.0.1:${port}`, { timeoutMs: 200 });
    try {
      await expectCode(stores.ready(200), 'ERR_STORE_UNAVAILABLE');
      await expectCode(stores.replayGuard.claim('x', 1000), 'ERR_STORE_UNAVAILABLE');
    } finally {
      await stores.close();
    }
  });

  it.each([
    ['http://127.0.0.1:6379'],
    ['not a url'],
    ['redis://127.0.0.1:6379/x'],
    ['redis://127.0.0.1:6379?db=1'],
  ])('a bad URL %s is ERR_CONFIG_INVALID', (url) => {
    expect(() => createRedisStores(url)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('closing twice is harmless, and a closed store fails closed', async () => {
    const stores = createRedisStores(`redis://127.0.0.1:${redis.port}`, { timeoutMs: 500 });
    await stores.ready();
    await stores.close();
    await stores.close();
    await expectCode(stores.replayGuard.claim('x', 1000), 'ERR_STORE_UNAVAILABLE');
  });
});
