// Public API of the runtime-neutral core. Re-exports only.
export { TrustError, ERROR_CODES, isErrorCode, isTrustError, type ErrorCode } from './errors.js';
export { setCryptoProvider, getCrypto } from './crypto.js';
export { clearCaches } from './lib/cache.js';
