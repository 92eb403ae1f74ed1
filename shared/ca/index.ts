export { issueCertificate, type IssueCertificateOptions, type IssuedCertificate, type SubtreesInput, type ExtensionInput } from './issue.js';
export { generateKeyPair, exportPrivateKeyPem, exportPublicKeyPem, type KeyAlgorithm, type GenerateKeyPairOptions } from './keys.js';
