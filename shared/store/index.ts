// Storage interfaces and the embedded in-memory implementations. Re-exports only.
export type { ReplayGuard, KeyValueStore, SealedKeyStore, RateLimiter, RateLimitResult, MemoryStoreOptions } from './types.js';
export { MemoryKeyValueStore } from './memory-key-value-store.js';
export { MemoryReplayGuard } from './memory-replay-guard.js';
export { MemoryRateLimiter, type RateLimitPolicy } from './memory-rate-limiter.js';
export { MemorySealedKeyStore } from './memory-sealed-key-store.js';
