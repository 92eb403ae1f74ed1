// The parts of the shared core the CLI's verify and sign paths use, re-exported from the module
// indexes rather than shared/index.ts: the root index also loads certificate issuing, and with it
// @peculiar/x509, which costs a third of a second at every start. Only `ca init`/`ca issue` need
// it, and they import shared/index.ts themselves. Re-exports only.
export { TrustError, type ErrorCode } from '../../shared/errors.js';
export { getCrypto } from '../../shared/crypto.js';
export { parseSpiffeId, parseTrustDomain, matchId, matchMemberOf, type Matcher, type SpiffeId, type TrustDomain } from '../../shared/spiffe/index.js';
export { verifyX509Svid, validateJwtSvid, describeChain } from '../../shared/svid/index.js';
export { parseCertificate, parseCertificates, decodePemBlocks, pkcs8KeyType, RSA_MIN_BITS, RSA_MAX_BITS, type Certificate } from '../../shared/x509/index.js';
export { findDuplicateMember } from '../../shared/json/index.js';
export { BundleSet, TrustBundle, certificateJwk, parseBundle } from '../../shared/bundle/index.js';
export { signAgentCard, verifyAgentCard, type AgentCardReport, type AgentCardSignatureReport } from '../../shared/agentcard/index.js';
