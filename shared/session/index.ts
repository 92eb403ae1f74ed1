// Two-stage sandbox initialization: bootstrap tokens, session tokens, session keys, sealing. Re-exports only.
export type { SessionKeyPair, BootstrapClaims, SessionClaims } from './types.js';
export { generateSessionKeyPair, jwkThumbprint, importSessionPublicKey, importBootstrapPublicKey, importBootstrapPrivateKey } from './keys.js';
export { mintBootstrapToken, type MintBootstrapTokenOptions } from './mint-bootstrap-token.js';
export { verifyBootstrapToken, type VerifyBootstrapTokenOptions, type VerifiedBootstrapToken } from './verify-bootstrap-token.js';
export { mintSessionToken, type MintSessionTokenOptions } from './mint-session-token.js';
export { verifySessionToken, type VerifySessionTokenOptions } from './verify-session-token.js';
export { sealSessionKey, unsealSessionKey, SEALED_KEY_VERSION, SEAL_HKDF_SALT, SEAL_HKDF_INFO, MIN_SEAL_SECRET_BYTES, type SealOptions } from './seal.js';
export { MAX_TOKEN_LIFETIME_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS, DEFAULT_CLOCK_TOLERANCE_SECONDS } from './lib/claims.js';
export type { SessionJwsAlgorithm } from './lib/jws.js';
