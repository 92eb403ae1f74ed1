/**
 * What the core and the adapters need from storage, as small interfaces so that an in-memory
 * store, Upstash REST and TCP Redis are interchangeable. Every implementation fails closed:
 * a storage error is a `TrustError` with code `ERR_STORE_UNAVAILABLE`, never a silent "allow".
 */

/**
 * One-time use of an identifier (a token's `jti`, a nonce): `claim` answers `true` only for the
 * first claim of `id` within `ttlMs` — atomically, as Redis `SET id 1 NX PX ttlMs` does.
 *
 * @example
 * if (!(await guard.claim(`jti:${claims.jti}`, 300_000))) throw new TrustError('ERR_JWT_CLAIM_INVALID', 'jti already used')
 */
export interface ReplayGuard {
  claim(id: string, ttlMs: number): Promise<boolean>;
}

/**
 * A string cache with expiry. Its shape is the `JwksCache` that `verifyAgentCard` accepts for
 * `jku` key sets, so any store can back that cache.
 *
 * @example
 * await kv.set('jwks:https://keys.example/jwks.json', text, 300);
 * const text = await kv.get('jwks:https://keys.example/jwks.json');
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/**
 * Sealed session keys at rest (see `sealSessionKey`), one per session, each with a lifetime.
 * Single-key operations only, so any Redis Cluster can hold it.
 *
 * @example
 * await sealedKeys.put(sessionId, sealed, 3_600_000);
 * const sealed = await sealedKeys.get(sessionId); // undefined once expired or deleted
 */
export interface SealedKeyStore {
  put(sessionId: string, sealed: string, ttlMs: number): Promise<void>;
  /**
   * Optional: stores only when `sessionId` holds no live key (atomically, `SET NX PX`); false when
   * it does. The worker uses it so a caller-chosen session id never overwrites a live session.
   */
  putIfAbsent?(sessionId: string, sealed: string, ttlMs: number): Promise<boolean>;
  get(sessionId: string): Promise<string | undefined>;
  /** True when something was removed. */
  delete(sessionId: string): Promise<boolean>;
}

/** The outcome of one {@link RateLimiter.limit} call. `reset` is when the window ends (epoch ms). */
export interface RateLimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  reset: number;
}

/**
 * Counts one request for `key` (a client identity) and says whether it is within the limit.
 *
 * @example
 * const { success, reset } = await limiter.limit(clientIp);
 * if (!success) return tooManyRequests(reset);
 */
export interface RateLimiter {
  limit(key: string): Promise<RateLimitResult>;
}

/** Options of the in-memory stores: a capacity bound and an injectable clock (epoch ms). */
export interface MemoryStoreOptions {
  maxEntries?: number;
  now?: () => number;
}
