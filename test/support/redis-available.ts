/**
 * Whether Redis-backed tests can run here. Without `redis-server` they are skipped with a loud
 * banner; with `CARDTRUST_REQUIRE_REDIS=1` (set by `.ci/run`) a missing binary is a failure instead,
 * so CI always runs them.
 *
 * @example
 * const redisOk = redisAvailable('bridge tests');
 * describe.skipIf(!redisOk)('bridge', () => { ... });
 */
import { hasRedisServer } from './upstash-bridge.js';
import { noteSkip } from './skip-reasons.js';

export function redisAvailable(what: string): boolean {
  if (hasRedisServer()) return true;
  if (process.env.CARDTRUST_REQUIRE_REDIS === '1') {
    throw new Error(`redis-server is required (CARDTRUST_REQUIRE_REDIS=1) for ${what}: apt-get install -y redis-server`);
  }
  noteSkip(what, 'redis-server not found', 'apt-get install -y redis-server (or CARDTRUST_REQUIRE_REDIS=1 to fail instead)');
  return false;
}
