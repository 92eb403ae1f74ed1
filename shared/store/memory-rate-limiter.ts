import { LruCache } from '../lib/cache.js';
import type { MemoryStoreOptions, RateLimiter, RateLimitResult } from './types.js';

/** How many requests per window a {@link MemoryRateLimiter} admits per key. */
export interface RateLimitPolicy {
  limit: number;
  windowMs: number;
}

/**
 * A fixed-window in-memory {@link RateLimiter} (the same algorithm as `@upstash/ratelimit`'s
 * `fixedWindow`), for one instance. Bounded: the counters of the least recently seen clients
 * are dropped when full.
 *
 * @example
 * const limiter = new MemoryRateLimiter({ limit: 60, windowMs: 60_000 });
 * const { success } = await limiter.limit('203.0.113.7');
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #policy: RateLimitPolicy;
  readonly #counters: LruCache<string, { window: number; count: number }>;
  readonly #now: () => number;

  constructor(policy: RateLimitPolicy, options: MemoryStoreOptions = {}) {
    if (!Number.isInteger(policy.limit) || policy.limit < 1) throw new RangeError('limit must be a positive integer');
    if (!Number.isInteger(policy.windowMs) || policy.windowMs < 1) throw new RangeError('windowMs must be a positive integer');
    this.#policy = policy;
    this.#counters = new LruCache(options.maxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  async limit(key: string): Promise<RateLimitResult> {
    const { limit, windowMs } = this.#policy;
    const window = Math.floor(this.#now() / windowMs);
    const entry = this.#counters.get(key);
    const count = entry && entry.window === window ? entry.count + 1 : 1;
    this.#counters.set(key, { window, count });
    return { success: count <= limit, limit, remaining: Math.max(0, limit - count), reset: (window + 1) * windowMs };
  }
}
