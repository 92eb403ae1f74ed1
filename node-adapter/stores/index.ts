// TCP Redis (ioredis) implementations of the core's store interfaces, one node or a cluster. Re-exports only.
export { createRedisStores, type RedisStores, type RedisStoresOptions } from './create-redis-stores.js';
export { RedisConnection, createRedisClient, type RedisClient, type RedisConnectionOptions } from './client.js';
export { RedisReplayGuard } from './replay-guard.js';
export { RedisSealedKeyStore } from './sealed-key-store.js';
export { RedisKeyValueStore } from './key-value-store.js';
export { RedisRateLimiter } from './rate-limiter.js';
