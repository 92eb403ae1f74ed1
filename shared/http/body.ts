/**
 * Reads a JSON request body safely: content type first, then the size cap (Content-Length before
 * reading; a body without one is counted while streaming, so an oversized body is never buffered),
 * then strict UTF-8 and JSON parsing. Engine parse errors stay out of messages.
 */
import { TrustError } from '../errors.js';
import { findDuplicateMember } from '../json/find-duplicate-member.js';

/** Default request body cap: 1 MiB, the AgentCard size limit. */
export const MAX_BODY_BYTES = 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True for `application/json` and `application/<something>+json`, with at most a UTF-8 charset. */
export function isJsonContentType(header: string | null): boolean {
  if (!header) return false;
  const [type = '', ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type)) return false;
  for (const p of params) {
    if (p === '') continue;
    const [name, value = ''] = p.split('=').map((s) => s.trim());
    if (name === 'charset' && value.replace(/^"|"$/g, '') !== 'utf-8') return false;
  }
  return true;
}

/**
 * Reads at most `maxBytes` from a byte stream; more throws `code` and cancels the stream.
 * `signal` (optional) aborts a slow read.
 *
 * @example
 * const bytes = await readCapped(response.body, 1 << 20, 'ERR_FETCH_TOO_LARGE');
 */
export async function readCapped(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  code: 'ERR_BODY_TOO_LARGE' | 'ERR_FETCH_TOO_LARGE',
  abort?: Promise<never>,
): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await (abort ? Promise.race([reader.read(), abort]) : reader.read());
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw new TrustError(code, `body exceeds ${maxBytes} bytes`);
      chunks.push(value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/**
 * Parses JSON text from bytes; invalid UTF-8, invalid JSON or a member name twice in one object
 * (I-JSON) throws `ERR_JSON_MALFORMED` (or `code`).
 */
export function parseJsonBytes(bytes: Uint8Array, what: string, code: 'ERR_JSON_MALFORMED' | 'ERR_CARD_MALFORMED' = 'ERR_JSON_MALFORMED'): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch (err) {
    throw new TrustError(code, `${what} is not valid UTF-8`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TrustError(code, `${what} is not valid JSON`, { cause: err });
  }
  // I-JSON (RFC 7493): JSON.parse keeps the last of two equal names, other parsers the first
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) throw new TrustError(code, `${what} has the member name ${JSON.stringify(duplicate.slice(0, 40))} twice in one object (I-JSON, RFC 7493)`);
  return value;
}

// Bodies a transport read whole before building the Request (see `withBufferedBody`).
const bufferedBodies = new WeakMap<Request, Uint8Array>();

/**
 * Records that `request`'s body is exactly `bytes` (which the transport also passed as its body),
 * so {@link readJsonBody} can use them without reading the stream. Returns `request`.
 *
 * @example
 * const request = withBufferedBody(new Request(url, { method: 'POST', headers, body: bytes }), bytes);
 */
export function withBufferedBody(request: Request, bytes: Uint8Array): Request {
  bufferedBodies.set(request, bytes);
  return request;
}

/**
 * The request's JSON body. Throws `ERR_CONTENT_TYPE_UNSUPPORTED` (not JSON), `ERR_BODY_TOO_LARGE`
 * (over `maxBytes`, by Content-Length or while reading), `ERR_REQUEST_INVALID` (bad Content-Length)
 * or `ERR_JSON_MALFORMED`.
 *
 * @example
 * const body = await readJsonBody(request);
 */
export async function readJsonBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  if (!isJsonContentType(request.headers.get('content-type'))) {
    throw new TrustError('ERR_CONTENT_TYPE_UNSUPPORTED', 'request body must be application/json');
  }
  const length = request.headers.get('content-length');
  let bytes: Uint8Array;
  const buffered = bufferedBodies.get(request);
  if (buffered !== undefined && !request.bodyUsed) {
    // a transport that already holds the whole body (the Node bridge, for small bodies) handed it
    // over: the same bytes without pulling them back out of the body stream
    if (buffered.byteLength > maxBytes) throw new TrustError('ERR_BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
    bytes = buffered;
  } else if (length !== null) {
    if (!/^\d+$/.test(length.trim())) throw new TrustError('ERR_REQUEST_INVALID', 'invalid Content-Length');
    if (Number(length) > maxBytes) throw new TrustError('ERR_BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
    // A Content-Length within the cap: one native read, about half the CPU of pulling chunks in
    // workerd. Over HTTP the body is framed by that length (workerd and Node's parser both enforce
    // it), so nothing larger is buffered; only an in-process caller could pair a small
    // Content-Length with a larger stream, and the size is checked again before parsing.
    bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw new TrustError('ERR_BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
  } else {
    bytes = await readCapped(request.body, maxBytes, 'ERR_BODY_TOO_LARGE');
  }
  if (bytes.byteLength === 0) throw new TrustError('ERR_JSON_MALFORMED', 'request body is empty');
  return parseJsonBytes(bytes, 'request body');
}
