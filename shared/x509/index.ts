export { parseCertificate, parseCertificates, type ParseCertificateOptions, type ParseCertificatesOptions } from './parse.js';
export { verifyChain } from './verify-chain.js';
export { importPublicKey, defaultJwsAlgorithm, type JwsAlgorithm } from './import-public-key.js';
export { encodePem, decodePemBlocks } from './pem.js';
export { pkcs8KeyType, type Pkcs8KeyType } from './pkcs8.js';
export { RSA_MIN_BITS, RSA_MAX_BITS } from './lib/keys.js';
export {
  KeyUsage,
  ExtKeyUsage,
  type Certificate,
  type CertificateInput,
  type CertificateUsage,
  type Extension,
  type GeneralSubtrees,
  type Name,
  type PublicKeyAlgorithm,
  type VerifiedChain,
  type VerifyChainOptions,
} from './types.js';
