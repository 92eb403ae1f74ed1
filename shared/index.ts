// Public API of the runtime-neutral core (`cardtrust`): verification only. Certificate issuing
// (shared/ca, on @peculiar/x509 and reflect-metadata) is its own entry, `cardtrust/ca`, so that
// importing the core never loads them. Re-exports only.
export { TrustError, ERROR_CODES, isErrorCode, isTrustError, type ErrorCode } from './errors.js';
export { setCryptoProvider, getCrypto } from './crypto.js';
export { clearCaches } from './lib/cache.js';
export {
  MemoryKeyValueStore,
  MemoryReplayGuard,
  MemoryRateLimiter,
  MemorySealedKeyStore,
  type ReplayGuard,
  type SealedKeyStore,
  type KeyValueStore,
  type RateLimiter,
  type RateLimitResult,
  type MemoryStoreOptions,
  type RateLimitPolicy,
} from './store/index.js';
export * from './spiffe/index.js';
export * from './x509/index.js';
export * from './bundle/index.js';
export * from './svid/index.js';
export * from './jcs/index.js';
export * from './json/index.js';
export * from './agentcard/index.js';
export * from './session/index.js';
