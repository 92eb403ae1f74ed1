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
  });
}
