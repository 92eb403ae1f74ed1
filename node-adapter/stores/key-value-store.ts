import { TrustError } from '../../shared/errors.js';
import type { KeyValueStore } from '../../shared/store/index.js';
import type { RedisConnection } from './client.js';

/**
 * {@link KeyValueStore} over TCP Redis (`GET`, `SET … EX`); also a `JwksCache` for `jku` key sets.
 *
 * @example
 * const cache = new RedisKeyValueStore(new RedisConnection('redis://127.0.0.1:6379'), 'cardtrust:jwks:');
 */
export class RedisKeyValueStore implements KeyValueStore {
  constructor(
    private readonly conn: RedisConnection,
    private readonly prefix = 'cardtrust:kv:',
  ) {}

  async get(key: string): Promise<string | undefined> {
    const value = await this.conn.call('cache read', (r) => r.get(this.prefix + key));
    return value ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new TrustError('ERR_INPUT_INVALID', 'stores: TTL must be a positive number of seconds');
    await this.conn.call('cache write', (r) => r.set(this.prefix + key, value, 'EX', Math.ceil(ttlSeconds)));
  }
}
