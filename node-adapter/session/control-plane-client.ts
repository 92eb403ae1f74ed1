import { TrustError } from '../../shared/errors.js';
import { joinUrl, readJson, send, stringField, type HttpCall } from './lib/http.js';

export interface CreatedSession {
  sessionId: string;
  bootstrapToken: string;
  sessionKeyThumbprint: string;
  expiresAt: string;
}

/**
 * A client of the worker's session control plane (`/v1/sessions`), authenticated with the
 * control-plane bearer token. Failures are `TrustError`s with the worker's code
 * (`ERR_UNAUTHENTICATED`, `ERR_SESSION_NOT_FOUND`, …).
 *
 * @example
 * const cp = new ControlPlaneClient({ url: 'https://cardtrust.example.workers.dev', token: process.env.CARDTRUST_CONTROL_PLANE_TOKEN! });
 * const { sessionId, bootstrapToken } = await cp.createSession();
 */
export class ControlPlaneClient {
  readonly #base: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(opts: { url: string; token: string; fetch?: typeof fetch; timeoutMs?: number }) {
    if (typeof opts.token !== 'string' || opts.token === '') throw new TrustError('ERR_INPUT_INVALID', 'session: the control-plane token is empty');
    this.#base = joinUrl(opts.url, '');
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? fetch;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** `POST /v1/sessions`: a fresh session key (sealed at the worker) and its bootstrap token. */
  async createSession(opts: { sessionId?: string } = {}): Promise<CreatedSession> {
    const { call, res } = await this.#send('POST', '/v1/sessions', opts.sessionId !== undefined ? { sessionId: opts.sessionId } : {});
    const r = await readJson(res, call);
    return {
      sessionId: stringField(r, 'sessionId', call),
      bootstrapToken: stringField(r, 'bootstrapToken', call),
      sessionKeyThumbprint: stringField(r, 'sessionKeyThumbprint', call),
      expiresAt: stringField(r, 'expiresAt', call),
    };
  }

  /** `POST /v1/sessions/{id}/token`: a short-lived session token for the daemon's `/api/*`. */
  async sessionToken(sessionId: string): Promise<{ token: string; expiresAt: string }> {
    const { call, res } = await this.#send('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/token`);
    const r = await readJson(res, call);
    return { token: stringField(r, 'token', call), expiresAt: stringField(r, 'expiresAt', call) };
  }

  /** `DELETE /v1/sessions/{id}`: removes the sealed key; no session token can be minted after. */
  async deleteSession(sessionId: string): Promise<void> {
    const { res } = await this.#send('DELETE', `/v1/sessions/${encodeURIComponent(sessionId)}`);
    await res.body?.cancel();
  }

  async #send(method: string, path: string, json?: unknown): Promise<{ call: HttpCall; res: Response }> {
    const call: HttpCall = {
      fetch: this.#fetch,
      peer: 'control plane',
      method,
      url: this.#base + path,
      headers: { authorization: `Bearer ${this.#token}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      timeoutMs: this.#timeoutMs,
    };
    return { call, res: await send(call) };
  }
}
