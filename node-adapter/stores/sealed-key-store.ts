import { TrustError } from '../../shared/errors.js';
import type { SealedKeyStore } from '../../shared/store/index.js';
import type { RedisConnection } from './client.js';

/**
 * {@link SealedKeyStore} over TCP Redis: one key per session (`SET … PX`, `GET`, `DEL`), so every
 * operation touches one slot and is safe on Redis Cluster. Values are already sealed
 * (AES-256-GCM) by the caller; Redis never sees a private key.
 *
 * @example
 * const keys = new RedisSealedKeyStore(new RedisConnection('redis://127.0.0.1:6379'));
 * await keys.put('sess-1', sealed, 3_600_000);
 */
export class RedisSealedKeyStore implements SealedKeyStore {
  constructor(
    private readonly conn: RedisConnection,
    private readonly prefix = 'cardtrust:sealed:',
  ) {}

  async put(sessionId: string, sealed: string, ttlMs: number): Promise<void> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TrustError('ERR_INPUT_INVALID', 'stores: TTL must be a positive number of milliseconds');
    await this.conn.call('sealed key write', (r) => r.set(this.prefix + sessionId, sealed, 'PX', Math.ceil(ttlMs)));
  }

  async get(sessionId: string): Promise<string | undefined> {
    const value = await this.conn.call('sealed key read', (r) => r.get(this.prefix + sessionId));
    return value ?? undefined;
  }

  async delete(sessionId: string): Promise<boolean> {
    const removed = await this.conn.call('sealed key delete', (r) => r.del(this.prefix + sessionId));
    return removed > 0;
  }
}
