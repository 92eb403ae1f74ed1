import type { TrustDomain } from '../spiffe/id.js';
import type { TrustBundle } from './trust-bundle.js';

/**
 * Where verifiers get the bundle of a trust domain (go-spiffe's one-method source interface): a
 * fixed {@link TrustBundle}, a {@link BundleSet}, or a live source that refreshes from a bundle
 * endpoint all look the same to `verifyX509Svid` and `validateJwtSvid`. A source throws
 * `TrustError('ERR_BUNDLE_NOT_FOUND')` for a trust domain it does not serve.
 *
 * @example
 * const live: BundleSource = { getBundle: async (td) => fetchAndParse(td) }
 * await validateJwtSvid(token, live, { audience: 'reports' })
 */
export interface BundleSource {
  getBundle(trustDomain: TrustDomain | string): TrustBundle | Promise<TrustBundle>;
}
