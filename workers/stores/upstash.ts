/**
 * Upstash Redis (REST) implementations of the store interfaces, for the edge. Every call has a
 * short deadline and no retries, and any failure becomes `ERR_STORE_UNAVAILABLE`: an outage fails
 * closed and fast instead of hanging requests or letting them through.
 */
import { Redis } from '@upstash/redis/cloudflare';
import { Ratelimit } from '@upstash/ratelimit';
import { TrustError } from '../../shared/errors.js';
import type { KeyValueStore, RateLimiter, RateLimitResult, ReplayGuard, SealedKeyStore } from '../../shared/store/index.js';
import type { RateLimitPolicy } from '../../shared/store/index.js';

export interface UpstashConnection {
  url: string;
  token: string;
  /** Deadline per Redis call; default 2000 ms. */
  timeoutMs?: number;
}

/**
 * A REST client configured to fail fast: no retries, a per-call deadline, telemetry off, and
 * values returned as stored (no JSON auto-deserialization, which would turn a cached JWKS text
 * into an object).
 *
 * @example
 * const redis = upstashClient({ url, token });
 */
export function upstashClient(conn: UpstashConnection, options: { deserialize?: boolean } = {}): Redis {
  const timeoutMs = conn.timeoutMs ?? 2000;
  return new Redis({
    url: conn.url,
    token: conn.token,
    retry: false,
    enableTelemetry: false,
    automaticDeserialization: options.deserialize ?? false,
    readYourWrites: false,
    // a function, so every request gets a fresh deadline, and an abort throws instead of
    // resolving with the abort reason as a "result"
    signal: () => AbortSignal.timeout(timeoutMs),
  });
}

async function storeCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new TrustError('ERR_STORE_UNAVAILABLE', `store unavailable: ${what} failed`, { cause: err });
  }
}

/**
 * {@link ReplayGuard} over Upstash: `SET key 1 NX PX ttl`, atomic across instances.
 *
 * @example
 * const guard = new UpstashReplayGuard(upstashClient(conn), 'cardtrust:replay:');
 */
export class UpstashReplayGuard implements ReplayGuard {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'cardtrust:replay:',
  ) {}

  async claim(id: string, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TrustError('ERR_INPUT_INVALID', 'TTL must be a positive number of milliseconds');
    const result = await storeCall('replay claim', () => this.redis.set(this.prefix + id, '1', { nx: true, px: Math.ceil(ttlMs) }));
    return result === 'OK';
  }
}

/**
 * {@link KeyValueStore} over Upstash (`GET`, `SET … EX`); also a `JwksCache` for `jku` key sets.
 *
 * @example
 * const cache = new UpstashKeyValueStore(upstashClient(conn), 'cardtrust:jwks:');
 */
export class UpstashKeyValueStore implements KeyValueStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'cardtrust:kv:',
  ) {}

  async get(key: string): Promise<string | undefined> {
    const value = await storeCall('cache read', () => this.redis.get<string>(this.prefix + key));
    return typeof value === 'string' ? value : undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new TrustError('ERR_INPUT_INVALID', 'TTL must be a positive number of seconds');
    await storeCall('cache write', () => this.redis.set(this.prefix + key, value, { ex: Math.ceil(ttlSeconds) }));
  }
}

/**
 * {@link RateLimiter} over Upstash with `@upstash/ratelimit` (fixed window). Its own timeout is
 * disabled: on timeout that library lets the request through, which is fail-open; the client's
 * per-call deadline fails closed instead. The ephemeral in-isolate cache is off (it is unbounded).
 *
 * @example
 * const limiter = new UpstashRateLimiter(upstashClient(conn, { deserialize: true }), { limit: 60, windowMs: 60_000 });
 */
export class UpstashRateLimiter implements RateLimiter {
  readonly #ratelimit: Ratelimit;

  constructor(redis: Redis, policy: RateLimitPolicy, prefix = 'cardtrust:ratelimit') {
    this.#ratelimit = new Ratelimit({
      redis,
      limiter: Ratelimit.fixedWindow(policy.limit, `${policy.windowMs} ms`),
      prefix,
      timeout: 0,
      ephemeralCache: false,
      analytics: false,
    });
  }

  async limit(key: string): Promise<RateLimitResult> {
    const r = await storeCall('rate limit', () => this.#ratelimit.limit(key));
    return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
  }
}

/**
 * {@link SealedKeyStore} over Upstash: one key per session (`SET … PX`, `SET … NX PX`, `GET`,
 * `DEL`), so every operation touches a single key and any Redis Cluster slot layout works.
 *
 * @example
 * const sealedKeys = new UpstashSealedKeyStore(upstashClient(conn), 'cardtrust:sealed:');
 */
export class UpstashSealedKeyStore implements SealedKeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'cardtrust:sealed:',
  ) {}

  async put(sessionId: string, sealed: string, ttlMs: number): Promise<void> {
    checkSealedTtl(ttlMs);
    await storeCall('sealed key write', () => this.redis.set(this.prefix + sessionId, sealed, { px: Math.ceil(ttlMs) }));
  }

  /** Stores the sealed key only when the session does not exist yet (`SET NX PX`); false when it does. */
  async putIfAbsent(sessionId: string, sealed: string, ttlMs: number): Promise<boolean> {
    checkSealedTtl(ttlMs);
    const result = await storeCall('sealed key create', () => this.redis.set(this.prefix + sessionId, sealed, { nx: true, px: Math.ceil(ttlMs) }));
    return result === 'OK';
  }

  async get(sessionId: string): Promise<string | undefined> {
    const value = await storeCall('sealed key read', () => this.redis.get<string>(this.prefix + sessionId));
    return typeof value === 'string' ? value : undefined;
  }

  async delete(sessionId: string): Promise<boolean> {
    const removed = await storeCall('sealed key delete', () => this.redis.del(this.prefix + sessionId));
    return removed > 0;
  }
}

function checkSealedTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TrustError('ERR_INPUT_INVALID', 'TTL must be a positive number of milliseconds');
}
