export { SpiffeId, TrustDomain, parseSpiffeId, parseTrustDomain, MAX_SPIFFE_ID_LENGTH, MAX_TRUST_DOMAIN_LENGTH } from './id.js';
export { matchAny, matchId, matchOneOf, matchMemberOf, type Matcher } from './match.js';
