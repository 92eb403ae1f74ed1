import { TrustError } from '../../shared/errors.js';
import { joinUrl, readJson, send, SessionHttpError, type HttpCall } from './lib/http.js';
import { bootstrapKeyThumbprint } from './lib/thumbprint.js';

export interface InitializeSandboxOptions {
  /** Further attempts after the first, all with the SAME token; default 4. */
  retries?: number;
  /** Deadline of each attempt; default 10 000 ms. */
  timeoutMs?: number;
  /** The registered key must have this RFC 7638 thumbprint; default: the token's `session_public_key`. */
  expectedThumbprint?: string;
  /** First backoff delay, doubled per attempt (with jitter, capped at 5 s); default 200 ms. */
  backoffMs?: number;
  fetch?: typeof fetch;
}

export interface InitializeSandboxResult {
  status: 'initialized' | 'already_initialized';
  /** The registered session key's RFC 7638 thumbprint (equal to the expected one). */
  thumbprint: string;
}

// Worth another attempt with the same token: nothing answered, or the daemon said "not now".
// 401/400 (bad, expired or replayed token) would answer the same again.
const RETRY_STATUS = new Set([429, 502, 503, 504]);
const MAX_BACKOFF_MS = 5000;

/**
 * `POST /init` of a sandbox daemon with a bootstrap token, retried with the same token (so the
 * same session key) after a timeout, a dropped connection, a 429 or a 5xx. Success is the daemon
 * registering the key the token carries: a 200 (`initialized`, or `already_initialized` when an
 * earlier attempt's answer was lost) or a 409 `ERR_ALREADY_INITIALIZED` whose registered
 * thumbprint is ours; a 409 for another key is `ERR_ALREADY_INITIALIZED`. Every failure is a
 * `TrustError` with the daemon's code (or `ERR_FETCH_TIMEOUT` / `ERR_FETCH_FAILED`).
 *
 * @example
 * const { status, thumbprint } = await initializeSandbox('http://10.0.0.7:8080', bootstrapToken, { retries: 3, timeoutMs: 5000 });
 */
export async function initializeSandbox(daemonUrl: string, bootstrapToken: string, opts: InitializeSandboxOptions = {}): Promise<InitializeSandboxResult> {
  const retries = opts.retries ?? 4;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const backoffMs = opts.backoffMs ?? 200;
  if (!Number.isInteger(retries) || retries < 0) throw new TrustError('ERR_INPUT_INVALID', 'session: retries must be a non-negative integer');
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TrustError('ERR_INPUT_INVALID', 'session: timeoutMs must be a positive integer');
  const fromToken = await bootstrapKeyThumbprint(bootstrapToken);
  if (opts.expectedThumbprint !== undefined && opts.expectedThumbprint !== fromToken) {
    throw new TrustError('ERR_INPUT_INVALID', "session: expectedThumbprint is not the thumbprint of the token's session_public_key");
  }
  const expected = fromToken;
  const call: HttpCall = {
    fetch: opts.fetch ?? fetch,
    peer: 'daemon',
    method: 'POST',
    url: joinUrl(daemonUrl, '/init'),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: bootstrapToken }),
    timeoutMs,
  };

  for (let attempt = 0; ; attempt++) {
    let retryAfterMs: number | undefined;
    try {
      const body = await readJson(await send(call), call);
      const status = body['status'];
      const thumbprint = body['session_key_thumbprint'];
      if (status !== 'initialized' && status !== 'already_initialized') {
        throw new SessionHttpError('ERR_FETCH_FAILED', 'session: daemon answered /init without a known "status"', 200, body);
      }
      if (thumbprint !== expected) {
        throw new SessionHttpError('ERR_ALREADY_INITIALIZED', 'session: daemon registered a session key other than the one this token carries', 200, body);
      }
      return { status, thumbprint };
    } catch (err) {
      if (!(err instanceof SessionHttpError)) throw err;
      if (err.status === 409) {
        // lesson 5: "already initialized" is success when the registered key is the one we sent
        if (registeredThumbprint(err.body) === expected) return { status: 'already_initialized', thumbprint: expected };
        throw err;
      }
      const transient = err.status === 0 || RETRY_STATUS.has(err.status);
      if (!transient || attempt >= retries) throw err;
      retryAfterMs = err.retryAfterMs;
    }
    const base = Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** attempt);
    const delay = Math.min(MAX_BACKOFF_MS, Math.max(retryAfterMs ?? 0, base / 2 + Math.random() * (base / 2)));
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function registeredThumbprint(body: Record<string, unknown> | undefined): unknown {
  if (!body) return undefined;
  const error = body['error'];
  return body['session_key_thumbprint'] ?? (error && typeof error === 'object' ? (error as Record<string, unknown>)['session_key_thumbprint'] : undefined);
}
