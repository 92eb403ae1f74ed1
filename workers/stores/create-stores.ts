import { MemoryKeyValueStore, MemoryRateLimiter, MemoryReplayGuard, MemorySealedKeyStore } from '../../shared/store/index.js';
import type { KeyValueStore, RateLimiter, RateLimitPolicy, ReplayGuard, SealedKeyStore } from '../../shared/store/index.js';
import { UpstashKeyValueStore, UpstashRateLimiter, UpstashReplayGuard, UpstashSealedKeyStore, upstashClient, type UpstashConnection } from './upstash.js';

/** The stores behind the worker: all in memory (one isolate) or all in Upstash Redis (shared). */
export interface WorkerStores {
  /** Where the state lives: this isolate's memory, Upstash (the worker), or TCP Redis (`cardtrust serve` with `REDIS_URL`). */
  kind: 'memory' | 'upstash' | 'redis';
  /** `jku` key-set cache. */
  cache: KeyValueStore;
  replay: ReplayGuard;
  /** Sealed session keys of the control plane (`/v1/sessions`). */
  sealedKeys: SealedKeyStore;
  /** Present when `RATE_LIMIT` is configured. */
  limiter?: RateLimiter;
  /** Federated bundles shared by every isolate (Upstash only: memory is per isolate anyway). */
  bundleCache?: KeyValueStore;
}

/**
 * Builds the stores from configuration: Upstash when a connection is given, else bounded memory.
 *
 * @example
 * const stores = createStores({ upstash: { url, token }, rateLimit: { limit: 60, windowMs: 60_000 } });
 */
export function createStores(options: { upstash?: UpstashConnection; rateLimit?: RateLimitPolicy }): WorkerStores {
  if (options.upstash) {
    const raw = upstashClient(options.upstash);
    // @upstash/ratelimit reads script results through the client's default deserialization
    const limiterClient = upstashClient(options.upstash, { deserialize: true });
    return {
      kind: 'upstash',
      cache: new UpstashKeyValueStore(raw, 'cardtrust:jwks:'),
      replay: new UpstashReplayGuard(raw),
      sealedKeys: new UpstashSealedKeyStore(raw, 'cardtrust:sealed:'),
      bundleCache: new UpstashKeyValueStore(raw, 'cardtrust:bundles:'),
      ...(options.rateLimit ? { limiter: new UpstashRateLimiter(limiterClient, options.rateLimit) } : {}),
    };
  }
  return {
    kind: 'memory',
    cache: new MemoryKeyValueStore({ maxEntries: 256 }),
    replay: new MemoryReplayGuard({ maxEntries: 100_000 }),
    sealedKeys: new MemorySealedKeyStore({ maxEntries: 10_000 }),
    ...(options.rateLimit ? { limiter: new MemoryRateLimiter(options.rateLimit, { maxEntries: 10_000 }) } : {}),
  };
}
