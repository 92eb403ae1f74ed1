// The parts of the shared core the X.509 sources and the mTLS layer use, from the module indexes:
// shared/index.ts would also load certificate issuing (@peculiar/x509), a third of a second at
// every start of a daemon that never issues a certificate. Re-exports only.
export { TrustError, type ErrorCode } from '../../shared/errors.js';
export { parseSpiffeId, parseTrustDomain, type SpiffeId, type TrustDomain, type Matcher } from '../../shared/spiffe/index.js';
export { parseCertificate, parseCertificates, encodePem, type Certificate } from '../../shared/x509/index.js';
export { BundleSet, TrustBundle, type BundleSource } from '../../shared/bundle/index.js';
export { verifyX509Svid } from '../../shared/svid/index.js';
