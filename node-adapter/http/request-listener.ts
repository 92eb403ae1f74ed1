/**
 * The one Node ↔ Fetch bridge: an `IncomingMessage` becomes a Fetch `Request` (headers as sent,
 * the body streamed with Node's backpressure and a byte cap, a signal that aborts when the client
 * goes away), the app's `Response` is written back to the `ServerResponse` chunk by chunk, waiting
 * for `drain` when the socket is slow (the edge cases of @hono/node-server's listener: HEAD, an
 * aborted client, backpressure, a failing handler).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { TrustError } from '../../shared/errors.js';
import { errorBody, errorResponse, textAnswerOf, writesTextBodies } from '../../shared/http/respond.js';
import { withBufferedBody } from '../../shared/http/body.js';
import { lightRequest } from './light-request.js';
import type { Socket } from 'node:net';
import { connInfoOf, type ConnInfo } from './conn-info.js';

export type FetchHandler = (request: Request, conn: ConnInfo) => Promise<Response> | Response;

export interface ListenerOptions {
  /** How a socket becomes ConnInfo; default {@link connInfoOf}. The mTLS layer passes its verified peer. */
  connInfo?: (socket: Socket) => ConnInfo;
  /** Request body cap in bytes (by Content-Length before reading, and while streaming). Default 1 MiB. */
  maxBodyBytes?: number;
}

/** Default body cap of the bridge: 1 MiB (the daemon raises it to its upload cap). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const NO_BODY = new Set(['GET', 'HEAD']);

/** The request's URL from the Host header; a Host that does not parse becomes `localhost`. */
function requestUrl(req: IncomingMessage): string {
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  const host = req.headers.host ?? 'localhost';
  const path = req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`;
  try {
    return new URL(`${scheme}://${host}${path}`).href;
  } catch {
    return new URL(`${scheme}://localhost${path}`).href;
  }
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // HTTP/2 pseudo-headers (":path") are not header names
    if (raw[i]!.startsWith(':')) continue;
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // a value Node's parser accepted but the Headers class refuses: leave it out
    }
  }
  return headers;
}

/** Bodies up to this size with a Content-Length are read whole before the handler runs. */
const BUFFERED_BODY_BYTES = 256 * 1024;

/** The whole body of a request whose Content-Length is small; the client going away is ERR_REQUEST_INVALID. */
function readSmallBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const cut = () => reject(new TrustError('ERR_REQUEST_INVALID', 'http: the request body was cut off'));
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      resolve(new Uint8Array(all.buffer as ArrayBuffer, all.byteOffset, all.byteLength));
    });
    req.once('error', cut);
    req.once('aborted', cut);
    req.once('close', () => {
      if (!req.complete) cut();
    });
  });
}

/** The body as a byte stream that pauses the socket when the consumer is slow and stops at `max`. */
function bodyStream(req: IncomingMessage, max: number, onTooLarge: () => void): ReadableStream<Uint8Array> {
  let size = 0;
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on('data', (chunk: Buffer) => {
          if (done) return;
          size += chunk.byteLength;
          if (size > max) {
            done = true;
            onTooLarge();
            req.pause();
            controller.error(new TrustError('ERR_BODY_TOO_LARGE', `http: request body exceeds ${max} bytes`));
            return;
          }
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.on('end', () => {
          if (done) return;
          done = true;
          controller.close();
        });
        req.on('error', () => {
          if (done) return;
          done = true;
          controller.error(new TrustError('ERR_REQUEST_INVALID', 'http: the request body was cut off'));
        });
        req.on('aborted', () => {
          if (done) return;
          done = true;
          controller.error(new TrustError('ERR_REQUEST_INVALID', 'http: the client went away'));
        });
      },
      pull() {
        if (!done) req.resume();
      },
      cancel() {
        // the app stopped reading: drain the rest so the connection can answer
        done = true;
        req.resume();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}

/** `headers` as node:http takes them (every Set-Cookie its own value). */
function headersRecord(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value;
  });
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

/** Writes `response` to `res`, honouring backpressure; `head` writes the headers only. */
async function writeResponse(res: ServerResponse, response: Response, head: boolean, closeAfter: boolean): Promise<void> {
  const answer = textAnswerOf(response);
  if (answer !== undefined) {
    // a JSON answer of the app: its text as one write (no stream to pull it back out of), and its
    // headers as given when nothing read them (no Headers object to build and walk)
    const headers: Record<string, string | string[]> = answer.headers instanceof Headers ? headersRecord(answer.headers) : { ...answer.headers };
    if (closeAfter) headers['connection'] = 'close';
    headers['content-length'] = String(Buffer.byteLength(answer.text));
    res.writeHead(response.status, response.statusText || undefined, headers);
    res.end(head ? undefined : answer.text);
    return;
  }
  const headers = headersRecord(response.headers);
  if (closeAfter) headers['connection'] = 'close';
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (head || !response.body) {
    if (response.body) await response.body.cancel().catch(() => {});
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const gone = new Promise<'gone'>((resolve) => res.once('close', () => resolve('gone')));
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), gone]);
      if (next === 'gone') {
        await reader.cancel().catch(() => {});
        return;
      }
      if (next.done) break;
      if (!res.write(next.value)) {
        const drained = await Promise.race([new Promise<'drain'>((resolve) => res.once('drain', () => resolve('drain'))), gone]);
        if (drained === 'gone') {
          await reader.cancel().catch(() => {});
          return;
        }
      }
    }
    res.end();
  } catch {
    // the app's body stream failed after the headers went out: cut the connection so the client
    // sees a truncated response rather than a complete-looking one
    res.destroy();
  }
}

/**
 * A Node `request` listener that runs a Fetch handler.
 *
 * @example
 * http.createServer(toRequestListener((req) => new Response('ok'))).listen(0);
 */
export function toRequestListener(handler: FetchHandler, options: ListenerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const connInfo = options.connInfo ?? connInfoOf;
  return (req, res) => {
    void handle(handler, req, res, max, connInfo);
  };
}

async function handle(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, max: number, connInfo: (socket: Socket) => ConnInfo): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  // the request's signal, made when the handler first reads it (most never do); aborted when the
  // client goes away before the answer is written, or made aborted if it already has
  let abort: AbortController | undefined;
  let gone: TrustError | undefined;
  res.once('close', () => {
    if (res.writableFinished) return;
    gone = new TrustError('ERR_REQUEST_INVALID', 'http: the client went away');
    abort?.abort(gone);
  });
  const signal = (): AbortSignal => {
    if (!abort) {
      abort = new AbortController();
      if (gone) abort.abort(gone);
    }
    return abort.signal;
  };
  let tooLarge = false;
  let response: Response;
  try {
    const length = req.headers['content-length'];
    if (length !== undefined && /^\d+$/.test(length) && Number(length) > max) {
      tooLarge = true;
      response = errorBody('ERR_BODY_TOO_LARGE', `http: request body exceeds ${max} bytes`);
    } else {
      let whole: Uint8Array<ArrayBuffer> | undefined;
      let stream: ReadableStream<Uint8Array> | undefined;
      if (!NO_BODY.has(method)) {
        if (length !== undefined && /^\d+$/.test(length) && Number(length) <= BUFFERED_BODY_BYTES) {
          // a small body of known length: read it whole (the parser frames it by that length);
          // one buffer costs far less than a ReadableStream per request
          whole = await readSmallBody(req);
        } else {
          stream = bodyStream(req, max, () => (tooLarge = true));
        }
      }
      // built lazily: most handlers never need undici's Request (see light-request.ts)
      const request = lightRequest({ method, url: requestUrl(req), headers: headersOf(req), signal, ...(whole ? { bytes: whole } : {}), ...(stream ? { stream } : {}) });
      if (whole) withBufferedBody(request, whole);
      // this bridge writes a JSON answer's text itself: the app need not build a platform Response for it
      writesTextBodies(request);
      response = await handler(request, connInfo(req.socket));
    }
  } catch (err) {
    response = errorResponse(err);
  }
  if (res.destroyed) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  // a body the app answered without reading to its end (refused by Content-Length, or not needed)
  // leaves the connection mid-request: say so and close it after this response, so the client
  // does not send its next request on a connection that still carries the last one's bytes
  try {
    await writeResponse(res, response, method === 'HEAD', tooLarge || !req.complete);
  } catch {
    // node:http refused what the app answered (a header value it does not allow): cut the
    // connection rather than leave the client waiting or the rejection unhandled
    res.destroy();
  }
  // an oversized body is not read to its end: close rather than drain an attacker's upload
  if (tooLarge) res.once('finish', () => req.destroy());
}
