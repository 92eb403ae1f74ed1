/**
 * The `https_spiffe` profile of the SPIFFE Federation standard: the bundle endpoint authenticated
 * by its X509-SVID (verified against a bundle already held for the endpoint's trust domain, and
 * its SPIFFE ID required to be the configured endpoint ID), not by web PKI. The exchange rules
 * (no redirects, cap, deadline, strict parsing, sequence) are the core's `fetchSpiffeBundle`; the
 * authenticated connection is the mTLS client's `serverAuthenticatedFetch`.
 */
import { fetchSpiffeBundle, type FederatedEndpoint, type FetchedSpiffeBundle } from '../../shared/bundle/federation.js';
import { serverAuthenticatedFetch } from '../mtls/client.js';
import { TrustError, type BundleSource, type TrustBundle, type TrustDomain } from './core.js';

export interface FetchSpiffeBundleSpiffeOptions {
  readonly trustDomain: TrustDomain | string;
  /** The SPIFFE ID the endpoint's SVID must carry. */
  readonly endpointSpiffeId: string;
  /** Where the bundle that verifies the endpoint's SVID comes from (the bundle held so far, or the local trust domain's). */
  readonly bundles: BundleSource;
  readonly previous?: TrustBundle;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

/**
 * Fetches a federated bundle with the `https_spiffe` profile.
 *
 * @example
 * const { bundle } = await fetchSpiffeBundleSpiffe('https://partner.test:8443/bundle', {
 *   trustDomain: 'partner.test', endpointSpiffeId: 'spiffe://partner.test/spire/server', bundles: held,
 * })
 */
export async function fetchSpiffeBundleSpiffe(url: string, options: FetchSpiffeBundleSpiffeOptions): Promise<FetchedSpiffeBundle> {
  if (!options.bundles || typeof options.bundles.getBundle !== 'function') throw new TrustError('ERR_INPUT_INVALID', 'federation: https_spiffe needs the bundles that verify the endpoint');
  try {
    return await fetchSpiffeBundle(url, {
      trustDomain: options.trustDomain,
      fetch: serverAuthenticatedFetch(options.endpointSpiffeId, options.bundles),
      ...(options.previous ? { previous: options.previous } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    });
  } catch (err) {
    // the connection's own refusal, passed through fetchSpiffeBundle as ERR_FETCH_FAILED's cause
    const cause = (err as { cause?: unknown }).cause;
    if (err instanceof TrustError && err.code === 'ERR_FETCH_FAILED' && cause instanceof TrustError && cause.code.startsWith('ERR_PEER_')) throw cause;
    throw err;
  }
}

export interface HttpsSpiffeEndpointOptions {
  readonly trustDomain: string;
  readonly url: string;
  readonly endpointSpiffeId: string;
  /**
   * The bundle that authenticates the endpoint on the first fetch (obtained out of band, as the
   * Federation standard requires); later fetches use the bundle last fetched from the endpoint.
   */
  readonly bootstrapBundle: TrustBundle;
  /** Bundles of other trust domains, when the endpoint's SVID is not of the federated domain itself. */
  readonly localBundles?: BundleSource;
  readonly timeoutMs?: number;
}

/**
 * A `FederatedBundleSource` endpoint with the `https_spiffe` profile: each refresh authenticates the
 * endpoint with the bundle held so far for its trust domain (the bootstrap bundle the first time).
 *
 * @example
 * const federated = new FederatedBundleSource([httpsSpiffeEndpoint({ trustDomain: 'partner.test',
 *   url: 'https://spire.partner.test:8443', endpointSpiffeId: 'spiffe://partner.test/spire/server', bootstrapBundle })])
 */
export function httpsSpiffeEndpoint(options: HttpsSpiffeEndpointOptions): FederatedEndpoint {
  const td = options.trustDomain;
  return {
    trustDomain: td,
    url: options.url,
    fetchBundle: (previous) => {
      const held = previous ?? options.bootstrapBundle;
      const bundles: BundleSource = {
        getBundle: (other) => {
          const name = typeof other === 'string' ? other : other.name;
          if (name === held.trustDomain.name) return held;
          if (options.localBundles) return options.localBundles.getBundle(other);
          throw new TrustError('ERR_BUNDLE_NOT_FOUND', `federation: no bundle of ${name} to authenticate the endpoint of ${td}`);
        },
      };
      return fetchSpiffeBundleSpiffe(options.url, {
        trustDomain: td,
        endpointSpiffeId: options.endpointSpiffeId,
        bundles,
        ...(previous ? { previous } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    },
  };
}
