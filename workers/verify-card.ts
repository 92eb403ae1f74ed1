/**
 * The bridge from a request's policy to `verifyAgentCard`: trust roots come only from the worker's
 * configuration (SPIFFE bundles, pinned keys, allowlisted `jku` origins) — never from the card.
 */
import { TrustError } from '../shared/errors.js';
import { verifyAgentCard, type AgentCardReport } from '../shared/agentcard/index.js';
import { BundleSet, type BundleSource, type FederatedBundleSource } from '../shared/bundle/index.js';
import type { WorkerConfig } from './config.js';
import type { WorkerStores } from './stores/create-stores.js';
import type { Policy } from './routes/policy.js';

/**
 * The trust bundles of a configuration: the static ones (`TRUST_BUNDLES`) first; a federated trust
 * domain's bundle is fetched (or refreshed) when a chain or token from it needs it.
 */
export function trustBundles(config: WorkerConfig, federated?: FederatedBundleSource): BundleSource {
  const statics = new BundleSet([...config.bundles.values()].map((b) => b.bundle));
  return federated ? { getBundle: (td) => (statics.has(td) ? statics.getBundle(td) : federated.getBundle(td)) } : statics;
}

/**
 * A verifier bound to one configuration. The bundle set is built once, so parsed certificates and
 * imported keys stay warm in the core's caches across requests.
 *
 * @example
 * const verify = cardVerifier(config, stores, fetch, () => new Date());
 * const report = await verify(card, { trustDomain: 'example.org', expectedId: undefined, mode: 'strict' });
 */
export function cardVerifier(
  config: WorkerConfig,
  stores: WorkerStores,
  fetchFn: typeof fetch,
  now: () => Date,
  federated?: FederatedBundleSource,
  bundles: BundleSource = trustBundles(config, federated),
): (card: Record<string, unknown>, policy: Policy) => Promise<AgentCardReport> {
  const jku = config.jkuAllowedOrigins
    ? { allowedOrigins: [...config.jkuAllowedOrigins], fetch: fetchFn, timeoutMs: config.fetchTimeoutMs, cache: stores.cache }
    : undefined;
  return async (card, policy) => {
    const report = await verifyAgentCard(card, {
      bundles,
      ...(config.trustedKeys ? { keys: config.trustedKeys } : {}),
      ...(config.allowedProfiles ? { profiles: config.allowedProfiles } : {}),
      ...(jku ? { jku } : {}),
      ...(policy.trustDomain !== undefined ? { trustDomain: policy.trustDomain } : {}),
      ...(policy.expectedId !== undefined ? { expectedId: policy.expectedId } : {}),
      mode: policy.mode,
      at: now(),
    });
    // A card that failed only because the store was down has not been evaluated: answer 503
    // (retry later) rather than a report that reads as "this card is not trustworthy".
    if (!report.verified && report.signatures.some((s) => s.code === 'ERR_STORE_UNAVAILABLE')) {
      throw new TrustError('ERR_STORE_UNAVAILABLE', 'store unavailable: a key set needed to verify this card could not be read');
    }
    return report;
  };
}
