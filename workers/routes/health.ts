/** `GET /healthz`: liveness plus what is configured — never a secret or a URL with credentials. */
import { json } from '../http/respond.js';
import { VERSION } from '../version.js';
import type { AppContext } from '../context.js';

export function healthRoute(app: AppContext): Response {
  return json({
    status: 'ok',
    version: VERSION,
    stores: { kind: app.stores.kind },
    bundles: [...app.config.bundles.keys()].sort(),
    // federated trust domains: where each bundle comes from, how old it is, and whether it is stale
    ...(app.federated
      ? {
          federation: app.federated.status().map((s) => ({
            trustDomain: s.trustDomain,
            endpoint: s.url,
            ...(s.fetchedAt !== undefined ? { ageSeconds: Math.max(0, Math.round((Date.now() - s.fetchedAt) / 1000)) } : {}),
            ...(s.sequence !== undefined ? { sequence: s.sequence } : {}),
            stale: s.stale,
            ...(s.lastError ? { lastError: s.lastError.code } : {}),
          })),
        }
      : {}),
  });
}
