/**
 * A token-bucket {@link RateLimiter} for one process: `burst` requests at once, refilled at
 * `perSecond`. The daemon's default for `/init` is 2/s with a burst of 5, which bounds the
 * signature checks an unauthenticated caller can make the daemon do.
 */
import type { RateLimiter, RateLimitResult } from '../../shared/store/types.js';

export class TokenBucketLimiter implements RateLimiter {
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(opts: { perSecond: number; burst: number; now?: () => number }) {
    if (!(opts.perSecond > 0) || !Number.isInteger(opts.burst) || opts.burst < 1) throw new RangeError('token bucket: perSecond > 0 and an integer burst ≥ 1');
    this.#perSecond = opts.perSecond;
    this.#burst = opts.burst;
    this.#now = opts.now ?? Date.now;
  }

  async limit(key: string): Promise<RateLimitResult> {
    const now = this.#now();
    const b = this.#buckets.get(key) ?? { tokens: this.#burst, at: now };
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#perSecond);
    b.at = now;
    const success = b.tokens >= 1;
    if (success) b.tokens -= 1;
    // bounded: a full bucket is the default state, so it need not be kept
    if (b.tokens >= this.#burst) this.#buckets.delete(key);
    else {
      if (this.#buckets.size >= 10_000 && !this.#buckets.has(key)) this.#buckets.delete(this.#buckets.keys().next().value!);
      this.#buckets.set(key, b);
    }
    const reset = now + Math.ceil(((1 - Math.min(1, b.tokens)) / this.#perSecond) * 1000);
    return { success, limit: this.#burst, remaining: Math.floor(b.tokens), reset };
  }
}
