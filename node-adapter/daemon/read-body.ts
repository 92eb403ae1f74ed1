/**
 * A JSON request body read the way PicoD reads it: gin's `ShouldBindJSON` decodes the body
 * whatever its Content-Type says (pkg/picod/execute.go, files.go `handleJSONBase64Upload`), so a
 * client that sends JSON as `text/plain` or without a Content-Type is answered, not refused with
 * 415. The cap, strict UTF-8 and the I-JSON duplicate-name check stay (shared/http/body.ts).
 */
import { TrustError } from '../../shared/errors.js';
import { parseJsonBytes, readCapped } from '../../shared/http/body.js';

/** The body's bytes, refused by Content-Length before reading or counted while streaming. */
export async function readCappedBody(request: Request, max: number): Promise<Uint8Array> {
  const length = request.headers.get('content-length');
  if (length !== null && /^\d+$/.test(length.trim()) && Number(length) > max) throw new TrustError('ERR_BODY_TOO_LARGE', `daemon: request body exceeds ${max} bytes`);
  return readCapped(request.body, max, 'ERR_BODY_TOO_LARGE');
}

/**
 * @example
 * const body = await readPicodJson(request, 32 * 1024 * 1024);
 */
export async function readPicodJson(request: Request, max: number): Promise<unknown> {
  const bytes = await readCappedBody(request, max);
  if (bytes.byteLength === 0) throw new TrustError('ERR_JSON_MALFORMED', 'daemon: the request body is empty (a JSON object is expected)');
  return parseJsonBytes(bytes, 'request body');
}
