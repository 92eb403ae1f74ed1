// mTLS for the Node adapter: SPIFFE-authorized servers and clients over X.509 sources. Re-exports only.
export { authorizeAny, authorizeId, authorizeOneOf, authorizeMemberOf, authorizeMatcher, type Authorizer } from './authorize.js';
export { PeerVerifier, type VerifiedPeer } from './peer.js';
export { createMtlsServer, createMtlsTlsServer, peerOf, mtlsConnInfo, type MtlsServerOptions, type MtlsHttpsServer, type MtlsTlsServer, type RefusedPeer, type MtlsTlsSettings } from './server.js';
export { MtlsAgent, mtlsFetch, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_FETCH_TIMEOUT_MS, type MtlsClientOptions, type MtlsFetchInit, type MtlsResponse } from './client.js';
export {
  fetchAgentCardVerified,
  AGENT_CARD_PATHS,
  DEFAULT_CARD_FETCH_TIMEOUT_MS,
  DEFAULT_CARD_FETCH_MAX_BYTES,
  type FetchAgentCardVerifiedOptions,
  type VerifiedAgentCardFetch,
  type AttestedPeer,
} from './agent-card.js';
