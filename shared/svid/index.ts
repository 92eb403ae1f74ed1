export {
  validateJwtSvid,
  MAX_JWT_SVID_BYTES,
  MAX_JWT_SVID_HEADER_BYTES,
  MAX_CLOCK_TOLERANCE,
  type ValidateJwtSvidOptions,
  type ValidatedJwtSvid,
  type JwtSvidClaims,
} from './validate-jwt-svid.js';
export { verifyX509Svid, MAX_SVID_CHAIN_LENGTH, type VerifyX509SvidOptions, type VerifiedX509Svid } from './verify-x509-svid.js';
export { describeChain, type ChainEntry } from './describe-chain.js';
