import type { RateLimiter, RateLimitResult, RateLimitPolicy } from '../../shared/store/index.js';
import type { RedisConnection } from './client.js';

// One key per client and window: INCR, and on the first hit PEXPIRE, in one script so the
// counter can never be left without an expiry. One key, so one slot: cluster-safe.
const FIXED_WINDOW = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/**
 * A fixed-window {@link RateLimiter} over TCP Redis (the algorithm of `MemoryRateLimiter` and of
 * the worker's Upstash limiter), shared by every instance on the same Redis. A Redis failure
 * throws `ERR_STORE_UNAVAILABLE`: the caller refuses the request (fail closed).
 *
 * @example
 * const limiter = new RedisRateLimiter(conn, { limit: 5, windowMs: 1000 });
 * const { success } = await limiter.limit('203.0.113.7');
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #policy: RateLimitPolicy;

  constructor(
    private readonly conn: RedisConnection,
    policy: RateLimitPolicy,
    private readonly prefix = 'cardtrust:ratelimit:',
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(policy.limit) || policy.limit < 1) throw new RangeError('limit must be a positive integer');
    if (!Number.isInteger(policy.windowMs) || policy.windowMs < 1) throw new RangeError('windowMs must be a positive integer');
    this.#policy = policy;
  }

  async limit(key: string): Promise<RateLimitResult> {
    const { limit, windowMs } = this.#policy;
    const window = Math.floor(this.now() / windowMs);
    const count = Number(
      await this.conn.call('rate limit', (r) => r.eval(FIXED_WINDOW, 1, `${this.prefix}${key}:${window}`, String(windowMs))),
    );
    return { success: count <= limit, limit, remaining: Math.max(0, limit - count), reset: (window + 1) * windowMs };
  }
}
