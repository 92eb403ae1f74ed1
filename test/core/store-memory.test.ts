// The embedded in-memory stores: TTLs by an injected clock, bounds, and fail-closed behaviour.
import { describe, expect, it } from 'vitest';
import { MemoryKeyValueStore, MemoryRateLimiter, MemoryReplayGuard } from '../../shared/store/index.js';

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('MemoryReplayGuard', () => {
  it('claims an id once within its TTL, and again after it expires', async () => {
    const c = clock();
    const guard = new MemoryReplayGuard({ now: c.now });
    expect(await guard.claim('a', 1000)).toBe(true);
    expect(await guard.claim('a', 1000)).toBe(false);
    expect(await guard.claim('b', 1000)).toBe(true);
    c.advance(999);
    expect(await guard.claim('a', 1000)).toBe(false);
    c.advance(1);
    expect(await guard.claim('a', 1000)).toBe(true);
  });

  it('fails closed when full of live claims, and reuses expired slots', async () => {
    const c = clock();
    const guard = new MemoryReplayGuard({ maxEntries: 2, now: c.now });
    await guard.claim('a', 1000);
    await guard.claim('b', 5000);
    await expect(guard.claim('c', 1000)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    // a full guard still answers "replayed" for what it holds
    expect(await guard.claim('b', 1000)).toBe(false);
    c.advance(1000);
    expect(await guard.claim('c', 1000)).toBe(true);
    expect(await guard.claim('b', 1000)).toBe(false);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects TTL %s', async (ttl) => {
    await expect(new MemoryReplayGuard().claim('x', ttl)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});

describe('MemoryKeyValueStore', () => {
  it('returns values until they expire', async () => {
    const c = clock();
    const kv = new MemoryKeyValueStore({ now: c.now });
    expect(await kv.get('k')).toBeUndefined();
    await kv.set('k', 'v', 2);
    expect(await kv.get('k')).toBe('v');
    c.advance(1999);
    expect(await kv.get('k')).toBe('v');
    c.advance(1);
    expect(await kv.get('k')).toBeUndefined();
  });

  it('is bounded (least recently used dropped)', async () => {
    const kv = new MemoryKeyValueStore({ maxEntries: 2 });
    await kv.set('a', '1', 60);
    await kv.set('b', '2', 60);
    await kv.get('a');
    await kv.set('c', '3', 60);
    expect(await kv.get('b')).toBeUndefined();
    expect(await kv.get('a')).toBe('1');
    expect(await kv.get('c')).toBe('3');
  });

  it.each([0, -5, Number.NaN])('rejects TTL %s', async (ttl) => {
    await expect(new MemoryKeyValueStore().set('k', 'v', ttl)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});

describe('MemoryRateLimiter', () => {
  it('admits `limit` requests per fixed window per key', async () => {
    const c = clock(60_000 * 10);
    const limiter = new MemoryRateLimiter({ limit: 2, windowMs: 60_000 }, { now: c.now });
    const results = [await limiter.limit('x'), await limiter.limit('x'), await limiter.limit('x')];
    expect(results.map((r) => [r.success, r.remaining])).toEqual([
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(results[2]!.reset).toBe(60_000 * 11);
    expect((await limiter.limit('y')).success).toBe(true);
    c.advance(60_000);
    expect((await limiter.limit('x')).success).toBe(true);
  });

  it.each([
    [{ limit: 0, windowMs: 1000 }],
    [{ limit: 1.5, windowMs: 1000 }],
    [{ limit: 1, windowMs: 0 }],
  ])('rejects policy %o', (policy) => {
    expect(() => new MemoryRateLimiter(policy)).toThrow(RangeError);
  });
});
