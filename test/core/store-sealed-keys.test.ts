// The in-memory sealed-key store: TTL by an injected clock, delete, and the fail-closed bound.
import { describe, expect, it } from 'vitest';
import { MemorySealedKeyStore } from '../../shared/store/index.js';

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('MemorySealedKeyStore', () => {
  it('put/get until the TTL ends; delete says whether something was removed', async () => {
    const c = clock();
    const store = new MemorySealedKeyStore({ now: c.now });
    expect(await store.get('s')).toBeUndefined();
    await store.put('s', 'sealed-1', 1000);
    expect(await store.get('s')).toBe('sealed-1');
    await store.put('s', 'sealed-2', 1000);
    expect(await store.get('s')).toBe('sealed-2');
    c.advance(999);
    expect(await store.get('s')).toBe('sealed-2');
    c.advance(1);
    expect(await store.get('s')).toBeUndefined();
    await store.put('t', 'x', 1000);
    expect(await store.delete('t')).toBe(true);
    expect(await store.delete('t')).toBe(false);
    expect(await store.get('t')).toBeUndefined();
    await store.put('u', 'x', 10);
    c.advance(10);
    expect(await store.delete('u')).toBe(false);
  });

  it('fails closed when full of live sessions, reclaims expired ones, and still replaces an existing one', async () => {
    const c = clock();
    const store = new MemorySealedKeyStore({ maxEntries: 2, now: c.now });
    await store.put('a', '1', 1000);
    await store.put('b', '2', 5000);
    await expect(store.put('c', '3', 1000)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await store.put('a', '1b', 1000);
    expect(await store.get('a')).toBe('1b');
    c.advance(1000);
    await store.put('c', '3', 1000);
    expect(await store.get('c')).toBe('3');
    expect(await store.get('b')).toBe('2');
  });

  it('putIfAbsent stores only over nothing or an expired key', async () => {
    const c = clock();
    const store = new MemorySealedKeyStore({ now: c.now });
    expect(await store.putIfAbsent('s', 'one', 1000)).toBe(true);
    expect(await store.putIfAbsent('s', 'two', 1000)).toBe(false);
    expect(await store.get('s')).toBe('one');
    c.advance(1000);
    expect(await store.putIfAbsent('s', 'three', 1000)).toBe(true);
    expect(await store.get('s')).toBe('three');
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects TTL %s', async (ttl) => {
    await expect(new MemorySealedKeyStore().put('x', 'y', ttl)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('rejects empty ids and values', async () => {
    const store = new MemorySealedKeyStore();
    await expect(store.put('', 'y', 10)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(store.put('x', '', 10)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await expect(store.get('')).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(() => new MemorySealedKeyStore({ maxEntries: 0 })).toThrow(RangeError);
  });
});
