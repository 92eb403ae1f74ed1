/**
 * The session control plane: `POST /v1/sessions`, `POST /v1/sessions/{id}/token`,
 * `DELETE /v1/sessions/{id}`. Every route needs `Authorization: Bearer <CONTROL_PLANE_TOKEN>`;
 * when the control plane is not configured they answer 500 ERR_CONFIG_INVALID naming what to set.
 * See docs/sessions.md.
 */
import { TrustError } from '../../shared/errors.js';
import { readJsonBody } from '../http/body.js';
import { json } from '../http/respond.js';
import type { AppContext } from '../context.js';
import type { ControlPlane } from '../control-plane.js';
import { isPlainObject } from './policy.js';

/** Largest create body accepted: it holds at most a session id. */
const MAX_CREATE_BODY_BYTES = 1024;

async function authorized(request: Request, app: AppContext): Promise<ControlPlane> {
  const cp = app.sessions;
  if (!cp) {
    throw new TrustError('ERR_CONFIG_INVALID', 'CONTROL_PLANE_TOKEN: the session control plane is not configured (set CONTROL_PLANE_TOKEN, SESSION_SEAL_SECRET and BOOTSTRAP_PRIVATE_KEY)');
  }
  await cp.authenticate(request.headers.get('authorization'));
  return cp;
}

/** True when the request has no body at all (no Content-Length > 0, no chunked body, no content type). */
function hasNoBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  if (length !== null) return length.trim() === '0';
  return request.body === null && request.headers.get('content-type') === null;
}

/** `POST /v1/sessions` with an optional JSON body `{ "sessionId"?: string }` → 201. */
export async function createSessionRoute(request: Request, app: AppContext): Promise<Response> {
  const cp = await authorized(request, app);
  let sessionId: string | undefined;
  if (!hasNoBody(request)) {
    const body = await readJsonBody(request, MAX_CREATE_BODY_BYTES);
    if (!isPlainObject(body)) throw new TrustError('ERR_REQUEST_INVALID', 'sessions: the body must be a JSON object {"sessionId"?: string}');
    for (const key of Object.keys(body)) {
      if (key !== 'sessionId') throw new TrustError('ERR_REQUEST_INVALID', `sessions: unknown field ${JSON.stringify(key)}`);
    }
    if (body.sessionId !== undefined) {
      if (typeof body.sessionId !== 'string') throw new TrustError('ERR_REQUEST_INVALID', 'sessions: "sessionId" must be a string');
      sessionId = body.sessionId;
    }
  }
  const created = await cp.create(sessionId);
  return json(created, 201, { location: `/v1/sessions/${created.sessionId}` });
}

/** `POST /v1/sessions/{id}/token` → 200 `{ token, expiresAt }`. */
export async function sessionTokenRoute(request: Request, app: AppContext, id: string): Promise<Response> {
  const cp = await authorized(request, app);
  return json(await cp.token(decodeId(id)));
}

/** `DELETE /v1/sessions/{id}` → 204. */
export async function deleteSessionRoute(request: Request, app: AppContext, id: string): Promise<Response> {
  const cp = await authorized(request, app);
  await cp.delete(decodeId(id));
  return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } });
}

function decodeId(id: string): string {
  // ids are [A-Za-z0-9._-] only, so a percent-escape is never needed: refuse rather than decode
  if (id.includes('%')) throw new TrustError('ERR_REQUEST_INVALID', 'sessions: a session id is 1..128 characters of [A-Za-z0-9._-], starting with a letter or digit');
  return id;
}
