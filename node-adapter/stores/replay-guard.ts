import { TrustError } from '../../shared/errors.js';
import type { ReplayGuard } from '../../shared/store/index.js';
import type { RedisConnection } from './client.js';

/**
 * {@link ReplayGuard} over TCP Redis: `SET <prefix><id> 1 NX PX ttl`, one key, atomic across every
 * instance sharing the Redis (and cluster-safe: one key is one slot).
 *
 * @example
 * const guard = new RedisReplayGuard(new RedisConnection('redis://127.0.0.1:6379'));
 * await guard.claim('bootstrap:jti:abc', 300_000); // true, then false
 */
export class RedisReplayGuard implements ReplayGuard {
  constructor(
    private readonly conn: RedisConnection,
    private readonly prefix = 'cardtrust:replay:',
  ) {}

  async claim(id: string, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new TrustError('ERR_INPUT_INVALID', 'stores: TTL must be a positive number of milliseconds');
    const reply = await this.conn.call('replay claim', (r) => r.set(this.prefix + id, '1', 'PX', Math.ceil(ttlMs), 'NX'));
    return reply === 'OK';
  }
}
