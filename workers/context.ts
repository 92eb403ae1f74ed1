/** What every route handler receives: the parsed configuration, the stores and the edge's I/O. */
import type { WorkerConfig } from './config.js';
import type { WorkerStores } from './stores/create-stores.js';
import type { Policy } from './routes/policy.js';
import type { AgentCardReport } from '../shared/agentcard/index.js';
import type { ControlPlane } from './control-plane.js';
import type { BundleSource, FederatedBundleSource } from '../shared/bundle/index.js';

export interface AppContext {
  readonly config: WorkerConfig;
  readonly stores: WorkerStores;
  /** Outbound fetch (agent cards, `jku` key sets). */
  readonly fetch: typeof fetch;
  /** The clock used as the verification time. */
  readonly now: () => Date;
  /** Verifies a card under a policy with the configured trust roots; the report is JSON-serializable. */
  verify(card: Record<string, unknown>, policy: Policy): Promise<AgentCardReport>;
  /** Bundles of federated trust domains (`TRUST_BUNDLE_ENDPOINTS`), refreshed on their hints. */
  readonly federated: FederatedBundleSource | undefined;
  /** Every configured trust bundle (static first, then federated): what SVIDs and x5c chains verify against. */
  readonly bundles: BundleSource;
  /** The session control plane, when configured (`SessionConfig`). */
  readonly sessions: ControlPlane | undefined;
}
