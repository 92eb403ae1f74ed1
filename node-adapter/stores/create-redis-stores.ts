import { TrustError } from '../../shared/errors.js';
import type { KeyValueStore, RateLimiter, ReplayGuard, SealedKeyStore } from '../../shared/store/index.js';
import { RedisConnection } from './client.js';
import { RedisKeyValueStore } from './key-value-store.js';
import { RedisRateLimiter } from './rate-limiter.js';
import { RedisReplayGuard } from './replay-guard.js';
import { RedisSealedKeyStore } from './sealed-key-store.js';

export interface RedisStoresOptions {
  /** Prepended to every key; default `cardtrust:`. Keep `{…}` out of it unless you mean to pin every key to one slot. */
  prefix?: string;
  /** Deadline per store call (including waiting for a reconnect); default 2000 ms. */
  timeoutMs?: number;
  /** Cluster mode with a single seed URL; several URLs always mean a cluster. */
  cluster?: boolean;
}

export interface RedisStores {
  replayGuard: ReplayGuard;
  sealedKeys: SealedKeyStore;
  kv: KeyValueStore;
  /** Another key-value store on the same connection, its keys under `${prefix}${namespace}`. */
  keyValue(namespace: string): KeyValueStore;
  limiter(opts: { limit: number; windowMs: number }): RateLimiter;
  /** Resolves once connected; rejects with `ERR_STORE_UNAVAILABLE` after `timeoutMs` (default: the store deadline). */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The core's store interfaces over TCP Redis (ioredis), on one node or a Redis Cluster. Every
 * operation is one command on one key (cluster-safe, no cross-slot transactions); every failure
 * is `ERR_STORE_UNAVAILABLE` within the deadline, and the client reconnects in the background.
 *
 * @example
 * const stores = createRedisStores('redis://127.0.0.1:6379');
 * await stores.replayGuard.claim('bootstrap:jti:abc', 300_000);
 * await stores.close();
 */
export function createRedisStores(url: string | string[], opts: RedisStoresOptions = {}): RedisStores {
  const prefix = opts.prefix ?? 'cardtrust:';
  const conn = new RedisConnection(url, {
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.cluster !== undefined ? { cluster: opts.cluster } : {}),
  });
  return {
    replayGuard: new RedisReplayGuard(conn, `${prefix}replay:`),
    sealedKeys: new RedisSealedKeyStore(conn, `${prefix}sealed:`),
    kv: new RedisKeyValueStore(conn, `${prefix}kv:`),
    keyValue: (namespace) => new RedisKeyValueStore(conn, `${prefix}${namespace}`),
    limiter: (policy) => new RedisRateLimiter(conn, policy, `${prefix}ratelimit:`),
    ready: async (timeoutMs) => {
      try {
        await conn.ready(timeoutMs);
      } catch (err) {
        throw new TrustError('ERR_STORE_UNAVAILABLE', 'stores: Redis unavailable: not connected', { cause: err });
      }
    },
    close: () => conn.close(),
  };
}
