/** JSON responses and the error body format `{ "error": { "code", "message" } }`. */
import { TrustError, type ErrorCode } from '../errors.js';
import { statusFor } from './status.js';
import { platformResponse, textResponse, writesTextBodiesFor } from './text-response.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * A JSON response. Reports and errors are per-request answers, so they are never cached unless
 * the caller says otherwise.
 *
 * @example
 * return json({ status: 'ok' }, 200, { 'cache-control': 'no-store' });
 */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  // the platform Response is built only if something other than a text-writing transport needs it
  // header names lowercase: a transport may write them as given (textAnswerOf)
  const all: Record<string, string> = { 'content-type': JSON_TYPE, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  for (const name in headers) all[name.toLowerCase()] = headers[name]!;
  return textResponse(JSON.stringify(body), status, all);
}

export { textAnswerOf, writesTextBodies } from './text-response.js';

/**
 * What an app hands the caller of `request`: `response` as it is when the transport said it writes
 * text answers itself (`writesTextBodies`), else the platform's own `Response` (the one a runtime
 * such as workerd takes natively), with its error code kept ({@link errorCodeOf}).
 *
 * @example
 * return answerFor(request, await handle(request));
 */
export function answerFor(request: Request, response: Response): Response {
  if (writesTextBodiesFor(request)) return response;
  const real = platformResponse(response);
  if (real !== response) {
    const code = errorCodes.get(response);
    if (code !== undefined) errorCodes.set(real, code);
  }
  return real;
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
