/** JSON responses and the error body format `{ "error": { "code", "message" } }`. */
import { TrustError, type ErrorCode } from '../errors.js';
import { statusFor } from './status.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A JSON response. Reports and errors are per-request answers, so they are never cached unless
 * the caller says otherwise.
 *
 * @example
 * return json({ status: 'ok' }, 200, { 'cache-control': 'no-store' });
 */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  const response = new Response(text, {
    status,
    headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers },
  });
  texts.set(response, text);
  return response;
}

// The text of every JSON response built here, so a Node bridge can write it as one string instead
// of pulling it back out of the body stream (in Node that stream costs more CPU than the
// verification it answers). Weak: an entry lives as long as its response.
const texts = new WeakMap<Response, string>();

/**
 * The body text of a response made by {@link json} (or the error helpers) whose body has not been
 * read; `undefined` for any other response. A transport may write this text instead of the body stream.
 *
 * @example
 * const text = textBodyOf(response); // '{"status":"ok"}'
 */
export function textBodyOf(response: Response): string | undefined {
  if (response.bodyUsed) return undefined;
  return texts.get(response);
}

/**
 * The error response for anything thrown by a handler. A `TrustError` keeps its code and message
 * (messages are ours and never carry engine text); anything else becomes `ERR_INTERNAL` with a
 * fixed message, its details kept out of the response.
 *
 * @example
 * catch (err) { return errorResponse(err) }
 */
export function errorResponse(err: unknown, headers: Record<string, string> = {}): Response {
  if (err instanceof TrustError) return errorBody(err.code, err.message, headers);
  console.error('cardtrust: unexpected error', err);
  return errorBody('ERR_INTERNAL', 'internal error', headers);
}

/** An error response for a code and message. */
export function errorBody(code: ErrorCode, message: string, headers: Record<string, string> = {}): Response {
  const response = json({ error: { code, message } }, statusFor(code), headers);
  errorCodes.set(response, code);
  return response;
}

// The code of every error response built here, so an observer (metrics, access logs) can count
// by code without reading the body. Weak: an entry lives as long as its response.
const errorCodes = new WeakMap<Response, ErrorCode>();

/**
 * The error code of a response made by {@link errorBody} or {@link errorResponse}; `undefined` for
 * any other response (a copy made with `new Response(body, response)` is another response).
 *
 * @example
 * const code = errorCodeOf(await app.fetch(request)); // 'ERR_RATE_LIMITED'
 */
export function errorCodeOf(response: Response): ErrorCode | undefined {
  return errorCodes.get(response);
}
