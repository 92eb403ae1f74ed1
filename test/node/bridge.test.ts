// The Upstash-compatible bridge, driven by the real @upstash/redis and @upstash/ratelimit clients
// against a real redis-server: proves the bridge speaks the protocol those clients expect.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from '@upstash/redis';
import { Ratelimit } from '@upstash/ratelimit';
import { startRedisServer, startUpstashBridge, type RedisServer, type UpstashBridge } from '../support/upstash-bridge.js';
import { redisAvailable } from '../support/redis-available.js';

const redisOk = redisAvailable('Upstash bridge tests (test/node/bridge.test.ts)');

describe.skipIf(!redisOk)('upstash bridge', () => {
  let server: RedisServer;
  let bridge: UpstashBridge;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    bridge = await startUpstashBridge({ redisPort: server.port, token: 'test-token' });
    redis = new Redis({ url: bridge.url, token: 'test-token', retry: false, enableTelemetry: false });
  });
  afterAll(async () => {
    await bridge?.close();
    await server?.stop();
  });

  it.each([
    ['plain ascii', 'hello'],
    ['unicode', 'héllo ✓ 🎉'],
    ['the literal OK', 'OK'],
    ['json text', '{"a":[1,2]}'],
  ])('round-trips %s through SET/GET', async (_name, value) => {
    const raw = new Redis({ url: bridge.url, token: 'test-token', retry: false, enableTelemetry: false, automaticDeserialization: false });
    expect(await raw.set('k:' + _name, value)).toBe('OK');
    expect(await raw.get('k:' + _name)).toBe(value);
  });

  it('SET NX PX claims once', async () => {
    expect(await redis.set('nx', '1', { nx: true, px: 10_000 })).toBe('OK');
    expect(await redis.set('nx', '1', { nx: true, px: 10_000 })).toBeNull();
    const ttl = await redis.pttl('nx');
    expect(ttl).toBeGreaterThan(0);
  });

  it('numbers, nulls and arrays', async () => {
    expect(await redis.incr('counter')).toBe(1);
    expect(await redis.get('missing')).toBeNull();
    await redis.rpush('list', 'a', 'b', 'c');
    expect(await redis.lrange('list', 0, -1)).toEqual(['a', 'b', 'c']);
  });

  it('pipeline and multi-exec', async () => {
    const p = redis.pipeline();
    p.set('p1', 'x');
    p.get('p1');
    p.incr('p2');
    expect(await p.exec()).toEqual(['OK', 'x', 1]);
    const m = redis.multi();
    m.set('m1', 'y');
    m.get('m1');
    expect(await m.exec()).toEqual(['OK', 'y']);
  });

  it('command errors come back as { error }', async () => {
    await redis.set('str', 'abc');
    await expect(redis.incr('str')).rejects.toThrow(/not an integer/);
    const p = redis.pipeline();
    p.set('ok', '1');
    p.incr('str');
    const results = await p.exec({ keepErrors: true });
    expect(results[0]).toMatchObject({ result: 'OK' });
    expect(results[1]?.error).toMatch(/not an integer/);
  });

  it('EVALSHA falls back to EVAL in @upstash/ratelimit and limits', async () => {
    const limiter = new Ratelimit({ redis, limiter: Ratelimit.fixedWindow(2, '60 s'), prefix: 'bridge-test', timeout: 0, ephemeralCache: false });
    const results = [await limiter.limit('client'), await limiter.limit('client'), await limiter.limit('client')];
    expect(results.map((r) => r.success)).toEqual([true, true, false]);
    expect(results[2]!.remaining).toBe(0);
    const sliding = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(1, '60 s'), prefix: 'bridge-sliding', timeout: 0, ephemeralCache: false });
    expect((await sliding.limit('c')).success).toBe(true);
    expect((await sliding.limit('c')).success).toBe(false);
  });

  it('maps the SHA of a script with Upstash-only flags to the script Redis accepted', async () => {
    const script = '#!lua flags=allow-key-locking\nreturn tonumber(ARGV[1]) + 1';
    const sha = createHash('sha1').update(script).digest('hex');
    await expect(redis.evalsha(sha, [], ['1'])).rejects.toThrow(/NOSCRIPT/);
    expect(await redis.eval(script, [], ['1'])).toBe(2);
    expect(await redis.evalsha(sha, [], ['41'])).toBe(42);
    expect(await redis.scriptLoad(script)).toBe(sha);
  });

  it('rejects a wrong bearer token', async () => {
    const wrong = new Redis({ url: bridge.url, token: 'nope', retry: false, enableTelemetry: false });
    await expect(wrong.get('x')).rejects.toThrow(/Unauthorized/);
  });

  it('fails while redis is down and recovers when it is back', async () => {
    await server.stop();
    await expect(redis.get('x')).rejects.toThrow();
    await server.start();
    await expect.poll(async () => redis.set('back', '1').catch(() => 'down'), { timeout: 5000, interval: 100 }).toBe('OK');
  });

  it('fails while the bridge is down and recovers when it is back', async () => {
    await bridge.stop();
    await expect(redis.get('x')).rejects.toThrow();
    await bridge.start();
    expect(await redis.set('again', '1')).toBe('OK');
  });
});
