export { TrustBundle, MAX_BUNDLE_AUTHORITIES, MAX_BUNDLE_BYTES, type TrustBundleInit } from './trust-bundle.js';
export { BundleSet } from './bundle-set.js';
export type { BundleSource } from './source.js';
export { parseSpiffeBundle, type ParseSpiffeBundleOptions } from './parse-spiffe-bundle.js';
export { parsePemBundle } from './parse-pem-bundle.js';
export { parseBundle } from './parse-bundle.js';
export { serializeSpiffeBundle, spiffeBundleToJwks, type SpiffeBundleDocument, type SpiffeBundleKey } from './serialize-spiffe-bundle.js';
export { certificateJwk, type PublicJwk } from './jwk.js';
export {
  fetchSpiffeBundle,
  refreshIntervalMs,
  FederatedBundleSource,
  DEFAULT_REFRESH_MS,
  MIN_REFRESH_MS,
  MAX_REFRESH_MS,
  type FetchSpiffeBundleOptions,
  type FetchedSpiffeBundle,
  type FederatedEndpoint,
  type FederatedBundleStatus,
  type FederatedBundleSourceOptions,
  type FederatedBundleCache,
} from './federation.js';
