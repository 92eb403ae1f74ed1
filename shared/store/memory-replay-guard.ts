import { TrustError } from '../errors.js';
import { checkTtl } from './lib/ttl.js';
import type { MemoryStoreOptions, ReplayGuard } from './types.js';

/**
 * An in-memory {@link ReplayGuard} for a single instance. Bounded, and fail-closed when full:
 * evicting a live claim would let that identifier be replayed, so when every slot holds an
 * unexpired claim, `claim` throws `ERR_STORE_UNAVAILABLE` instead. With more than one instance
 * use a shared store (Upstash, Redis).
 *
 * @example
 * const guard = new MemoryReplayGuard({ maxEntries: 100_000 });
 * await guard.claim('jti:abc', 300_000); // true
 * await guard.claim('jti:abc', 300_000); // false
 */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #claims = new Map<string, number>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.#max = options.maxEntries ?? 100_000;
    if (!Number.isInteger(this.#max) || this.#max < 1) throw new RangeError('maxEntries must be a positive integer');
    this.#now = options.now ?? Date.now;
  }

  async claim(id: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs, 'milliseconds');
    const now = this.#now();
    const expiresAt = this.#claims.get(id);
    if (expiresAt !== undefined && expiresAt > now) return false;
    if (expiresAt === undefined && this.#claims.size >= this.#max) {
      for (const [key, exp] of this.#claims) if (exp <= now) this.#claims.delete(key);
      if (this.#claims.size >= this.#max) {
        throw new TrustError('ERR_STORE_UNAVAILABLE', 'replay guard is full of unexpired claims');
      }
    }
    this.#claims.set(id, now + ttlMs);
    return true;
  }
}
