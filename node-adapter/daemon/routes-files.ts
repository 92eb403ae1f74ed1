/**
 * PicoD's file API inside the workspace jail: upload (JSON base64 or multipart `path`/`file`/`mode`),
 * download (raw bytes, `Content-Disposition: attachment`), list, and delete.
 */
import { Readable } from 'node:stream';
import { TrustError } from '../../shared/errors.js';
import { json } from '../../shared/http/respond.js';
import { isJsonContentType, parseJsonBytes, readCapped } from '../../shared/http/body.js';
import { goFileMode, parseFileMode } from './file-mode.js';
import type { Workspace } from './workspace.js';

const invalid = (message: string) => new TrustError('ERR_REQUEST_INVALID', `daemon: ${message}`);

const MIME: Readonly<Record<string, string>> = {
  txt: 'text/plain; charset=utf-8', md: 'text/markdown; charset=utf-8', csv: 'text/csv; charset=utf-8', html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', json: 'application/json', xml: 'text/xml; charset=utf-8',
  py: 'text/x-python; charset=utf-8', sh: 'text/x-sh; charset=utf-8', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg',
  gif: 'image/gif', svg: 'image/svg+xml', webp: 'image/webp', pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip',
  tar: 'application/x-tar', wasm: 'application/wasm',
};

function contentType(name: string): string {
  const ext = /\.([^.]+)$/.exec(name)?.[1]?.toLowerCase();
  return (ext && MIME[ext]) || 'application/octet-stream';
}

/** `attachment; filename="…"` with a safe ASCII fallback and RFC 5987 `filename*` for the rest. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const plain = `attachment; filename="${ascii}"`;
  return ascii === name ? plain : `${plain}; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function strictBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new TrustError('ERR_BASE64_MALFORMED', 'daemon: content must be standard base64');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function fileInfo(relative: string, stat: import('node:fs').Stats) {
  return { path: relative, size: stat.size, mode: goFileMode(stat), modified: stat.mtime.toISOString() };
}

/** The request body, by Content-Length first, then counted while read. */
async function readBody(request: Request, max: number): Promise<Uint8Array> {
  const length = request.headers.get('content-length');
  if (length !== null && /^\d+$/.test(length.trim()) && Number(length) > max) throw new TrustError('ERR_BODY_TOO_LARGE', `daemon: upload exceeds ${max} bytes`);
  return readCapped(request.body, max, 'ERR_BODY_TOO_LARGE');
}

export async function uploadRoute(request: Request, ws: Workspace, maxUploadBytes: number): Promise<Response> {
  const type = request.headers.get('content-type') ?? '';
  let path: unknown;
  let data: Uint8Array;
  let mode: unknown;
  if (/^multipart\/form-data\s*;/i.test(type)) {
    const bytes = await readBody(request, maxUploadBytes);
    let form: FormData;
    try {
      form = await new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': type } }).formData();
    } catch (err) {
      throw new TrustError('ERR_REQUEST_INVALID', 'daemon: the multipart body cannot be parsed', { cause: err });
    }
    path = form.get('path');
    mode = form.get('mode') ?? undefined;
    const file = form.get('file');
    if (typeof path !== 'string' || path === '') throw invalid("missing 'path' field");
    if (file === null || typeof file === 'string') throw invalid("missing 'file' field (a file part)");
    data = new Uint8Array(await file.arrayBuffer());
  } else {
    if (!isJsonContentType(type)) throw new TrustError('ERR_CONTENT_TYPE_UNSUPPORTED', 'daemon: upload with application/json (base64 content) or multipart/form-data');
    const body = parseJsonBytes(await readBody(request, maxUploadBytes), 'request body');
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the request body must be a JSON object');
    const b = body as Record<string, unknown>;
    path = b['path'];
    mode = b['mode'];
    if (typeof path !== 'string' || path === '') throw invalid('path must be a non-empty string');
    if (typeof b['content'] !== 'string') throw invalid('content must be a base64 string');
    data = strictBase64(b['content']);
  }
  const fileMode = parseFileMode(mode);
  const { stat, relative } = await ws.writeFile(path as string, data, fileMode);
  return json(fileInfo(relative, stat));
}

/** The file path of `/api/files/<path>` (percent-decoded). */
export function pathFromUrl(url: string): string {
  const raw = new URL(url).pathname.slice('/api/files/'.length);
  try {
    return decodeURIComponent(raw);
  } catch (err) {
    throw new TrustError('ERR_REQUEST_INVALID', 'daemon: the file path is not valid percent-encoding', { cause: err });
  }
}

export async function downloadRoute(request: Request, ws: Workspace): Promise<Response> {
  const path = pathFromUrl(request.url);
  if (path === '') throw invalid('missing file path');
  const { handle, stat, relative } = await ws.openRead(path);
  const name = relative.split('/').at(-1)!;
  const headers = {
    'content-type': contentType(name),
    'content-length': String(stat.size),
    'content-disposition': contentDisposition(name),
    'content-description': 'File Transfer',
    'content-transfer-encoding': 'binary',
    'last-modified': stat.mtime.toUTCString(),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  if (request.method === 'HEAD') {
    await handle.close();
    return new Response(null, { headers });
  }
  // the stream closes the descriptor at its end or when the client goes away
  const stream = handle.createReadStream({ start: 0, end: Math.max(0, stat.size - 1), autoClose: true });
  if (stat.size === 0) {
    stream.destroy();
    return new Response(new Uint8Array(0), { headers });
  }
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { headers });
}

export async function listRoute(request: Request, ws: Workspace): Promise<Response> {
  const path = new URL(request.url).searchParams.get('path');
  if (path === null || path === '') throw invalid("missing 'path' query parameter (use path=. for the workspace)");
  const entries = await ws.list(path);
  return json({
    files: entries.map(({ name, stat }) => ({ name, size: stat.size, modified: stat.mtime.toISOString(), mode: goFileMode(stat), is_dir: stat.isDirectory() })),
  });
}

export async function deleteRoute(request: Request, ws: Workspace): Promise<Response> {
  const path = pathFromUrl(request.url);
  if (path === '') throw invalid('missing file path');
  const relative = await ws.remove(path);
  return json({ path: relative, deleted: true });
}
