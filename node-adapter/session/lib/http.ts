/**
 * The one HTTP path of the session clients: a deadline per request, the project's error body
 * (`{ "error": { "code", "message" } }`) turned back into a `TrustError` with the server's code,
 * and transport failures as `ERR_FETCH_TIMEOUT` / `ERR_FETCH_FAILED`. Nothing the server or the
 * engine says beyond the code and its message reaches the caller's message.
 */
import { TrustError, isErrorCode } from '../../../shared/errors.js';

/** A `TrustError` from an HTTP answer; `status` is the HTTP status (0 when nothing came back). */
export class SessionHttpError extends TrustError {
  readonly status: number;
  /** The parsed error body, when there was one (e.g. a 409 naming the registered key). */
  readonly body: Record<string, unknown> | undefined;
  /** From a `Retry-After: <seconds>` header, when the server sent one. */
  retryAfterMs: number | undefined;

  constructor(code: ConstructorParameters<typeof TrustError>[0], message: string, status: number, body?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
    this.body = body;
  }
}

export interface HttpCall {
  fetch: typeof fetch;
  /** For messages: `daemon`, `control plane`. */
  peer: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Sends one request; resolves with a 2xx response, else throws a {@link SessionHttpError}. */
export async function send(call: HttpCall): Promise<Response> {
  const signal = AbortSignal.timeout(call.timeoutMs);
  let res: Response;
  try {
    res = await call.fetch(call.url, {
      method: call.method,
      headers: call.headers ?? {},
      ...(call.body !== undefined ? { body: call.body } : {}),
      signal,
      redirect: 'error',
    });
  } catch (err) {
    if (signal.aborted) {
      throw new SessionHttpError('ERR_FETCH_TIMEOUT', `session: ${call.peer} did not answer ${call.method} ${path(call.url)} within ${call.timeoutMs} ms`, 0, undefined, { cause: err });
    }
    throw new SessionHttpError('ERR_FETCH_FAILED', `session: ${call.peer} unreachable (${call.method} ${path(call.url)})`, 0, undefined, { cause: err });
  }
  if (res.ok) return res;
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(await readText(res, signal, call));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SessionHttpError) throw err;
  }
  const error = body?.['error'] as { code?: unknown; message?: unknown } | undefined;
  const code = isErrorCode(error?.code) ? error.code : 'ERR_FETCH_FAILED';
  const detail = typeof error?.message === 'string' ? `: ${error.message.slice(0, 500)}` : '';
  const failure = new SessionHttpError(code, `session: ${call.peer} answered ${res.status} to ${call.method} ${path(call.url)}${detail}`, res.status, body);
  const retryAfter = Number(res.headers.get('retry-after') ?? '');
  if (Number.isFinite(retryAfter) && retryAfter > 0) failure.retryAfterMs = retryAfter * 1000;
  throw failure;
}

/** The JSON object of a 2xx response. */
export async function readJson(res: Response, call: HttpCall): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await res.text());
  } catch (err) {
    throw new SessionHttpError('ERR_FETCH_FAILED', `session: ${call.peer} sent an answer that is not JSON (${call.method} ${path(call.url)})`, res.status, undefined, { cause: err });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SessionHttpError('ERR_FETCH_FAILED', `session: ${call.peer} sent an answer that is not a JSON object (${call.method} ${path(call.url)})`, res.status);
  }
  return parsed as Record<string, unknown>;
}

async function readText(res: Response, signal: AbortSignal, call: HttpCall): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    if (signal.aborted) throw new SessionHttpError('ERR_FETCH_TIMEOUT', `session: ${call.peer} did not finish answering within ${call.timeoutMs} ms`, res.status, undefined, { cause: err });
    throw new SessionHttpError('ERR_FETCH_FAILED', `session: ${call.peer} answer could not be read`, res.status, undefined, { cause: err });
  }
}

/** A field of an answer that must be a non-empty string. */
export function stringField(body: Record<string, unknown>, name: string, call: Pick<HttpCall, 'peer' | 'method' | 'url'>): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '') {
    throw new SessionHttpError('ERR_FETCH_FAILED', `session: ${call.peer} answer to ${call.method} ${path(call.url)} has no "${name}"`, 200, body);
  }
  return v;
}

/** `http://h:p` + `/init`, keeping a base path (`http://h/sandbox/1` + `/init`). */
export function joinUrl(base: string, path: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch (err) {
    throw new TrustError('ERR_INPUT_INVALID', `session: invalid URL '${base}'`, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TrustError('ERR_INPUT_INVALID', `session: URL must be http(s): '${base}'`);
  if (url.search || url.hash || url.username || url.password) {
    throw new TrustError('ERR_INPUT_INVALID', 'session: base URL must not carry a query, fragment or credentials');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}${path}`;
}

function path(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
