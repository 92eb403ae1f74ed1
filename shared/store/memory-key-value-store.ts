import { LruCache } from '../lib/cache.js';
import { checkTtl } from './lib/ttl.js';
import type { KeyValueStore, MemoryStoreOptions } from './types.js';

/**
 * A bounded in-memory {@link KeyValueStore} with per-entry expiry; the least recently used entry
 * is dropped when full (it is a cache: losing an entry costs a refetch, never correctness).
 *
 * @example
 * const cache = new MemoryKeyValueStore({ maxEntries: 1000 });
 * await cache.set('k', 'v', 60);
 */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly #entries: LruCache<string, { value: string; expiresAt: number }>;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.#entries = new LruCache(options.maxEntries ?? 1000);
    this.#now = options.now ?? Date.now;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    checkTtl(ttlSeconds, 'seconds');
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlSeconds * 1000 });
  }
}
