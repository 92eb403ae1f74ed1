// The Upstash stores, inside workerd, against a real redis-server through the local
// Upstash-compatible bridge (started by test/support/worker-global-setup.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { UpstashKeyValueStore, UpstashRateLimiter, UpstashReplayGuard, upstashClient } from '../../workers/stores/upstash.js';
import { control, unique, upstash } from './helpers.js';

const conn = upstash();

describe.skipIf(!conn)('Upstash stores (real redis-server via the bridge)', () => {
  const c = conn!;
  const raw = () => upstashClient({ url: c.url, token: c.token, timeoutMs: 1000 });

  afterEach(async () => {
    // every outage test leaves both running again, even when it fails midway
    await control('redis/start');
    await control('bridge/start');
  });

  it('ReplayGuard: SET NX PX claims once', async () => {
    const guard = new UpstashReplayGuard(raw(), unique('replay:'));
    expect(await guard.claim('jti-1', 60_000)).toBe(true);
    expect(await guard.claim('jti-1', 60_000)).toBe(false);
    expect(await guard.claim('jti-2', 60_000)).toBe(true);
  });

  it('ReplayGuard: a claim expires after its TTL', async () => {
    const guard = new UpstashReplayGuard(raw(), unique('replay:'));
    expect(await guard.claim('short', 50)).toBe(true);
    await expect.poll(() => guard.claim('short', 50), { timeout: 2000, interval: 30 }).toBe(true);
  });

  it('ReplayGuard: concurrent claims of one id — exactly one wins', async () => {
    const guard = new UpstashReplayGuard(raw(), unique('replay:'));
    const results = await Promise.all(Array.from({ length: 10 }, () => guard.claim('race', 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('KeyValueStore: stores text as is (no JSON deserialization)', async () => {
    const kv = new UpstashKeyValueStore(raw(), unique('kv:'));
    const jwks = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] });
    expect(await kv.get('https://keys.example/jwks.json')).toBeUndefined();
    await kv.set('https://keys.example/jwks.json', jwks, 60);
    expect(await kv.get('https://keys.example/jwks.json')).toBe(jwks);
    await kv.set('n', '12', 60);
    expect(await kv.get('n')).toBe('12');
  });

  it('RateLimiter: @upstash/ratelimit fixed window', async () => {
    const limiter = new UpstashRateLimiter(upstashClient({ url: c.url, token: c.token }, { deserialize: true }), { limit: 2, windowMs: 60_000 }, unique('rl'));
    const r = [await limiter.limit('ip'), await limiter.limit('ip'), await limiter.limit('ip')];
    expect(r.map((x) => x.success)).toEqual([true, true, false]);
    expect(r[2]).toMatchObject({ limit: 2, remaining: 0 });
    expect(r[2]!.reset).toBeGreaterThan(Date.now());
    expect((await limiter.limit('other-ip')).success).toBe(true);
  });

  it.each([
    ['redis-server', 'redis/stop', 'redis/start'],
    ['the bridge', 'bridge/stop', 'bridge/start'],
  ] as const)('fails closed while %s is down, and resumes when it is back', async (_what, stop, start) => {
    const guard = new UpstashReplayGuard(raw(), unique('replay:'));
    const kv = new UpstashKeyValueStore(raw(), unique('kv:'));
    const limiter = new UpstashRateLimiter(upstashClient({ url: c.url, token: c.token, timeoutMs: 1000 }, { deserialize: true }), { limit: 100, windowMs: 60_000 }, unique('rl'));
    await control(stop);
    await expect(guard.claim('x', 1000)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(kv.get('x')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(kv.set('x', 'v', 10)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(limiter.limit('ip')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await control(start);
    await expect.poll(() => guard.claim('y', 60_000).catch(() => 'down'), { timeout: 5000, interval: 100 }).toBe(true);
    expect((await limiter.limit('ip')).success).toBe(true);
  });

  it('fails closed on a wrong token', async () => {
    const guard = new UpstashReplayGuard(upstashClient({ url: c.url, token: 'wrong' }));
    await expect(guard.claim('x', 1000)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });
});
