/**
 * PicoD's file API inside the workspace jail: upload (JSON base64 or multipart `path`/`file`/`mode`),
 * download (raw bytes, `Content-Disposition: attachment`), list, and delete.
 */
import { Readable } from 'node:stream';
import { TrustError } from '../../shared/errors.js';
import { errorBody, json } from '../../shared/http/respond.js';
import { parseJsonBytes } from '../../shared/http/body.js';
import { goFileMode, parseFileMode } from './file-mode.js';
import { readCappedBody } from './read-body.js';
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

/**
 * Go's `base64.StdEncoding.DecodeString`, which PicoD uses: padded standard base64, where `\r`
 * and `\n` are ignored (so MIME-style 76-column lines, Python's `base64.encodebytes`, decode).
 */
function strictBase64(content: string): Uint8Array {
  const text = content.replace(/[\r\n]/g, '');
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new TrustError('ERR_BASE64_MALFORMED', 'daemon: content must be standard base64');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function fileInfo(relative: string, stat: import('node:fs').Stats) {
  return { path: relative, size: stat.size, mode: goFileMode(stat), modified: stat.mtime.toISOString() };
}

export async function uploadRoute(request: Request, ws: Workspace, maxUploadBytes: number): Promise<Response> {
  const type = request.headers.get('content-type') ?? '';
  let path: unknown;
  let data: Uint8Array;
  let mode: unknown;
  // PicoD: multipart when the media type is multipart/form-data, JSON otherwise whatever the
  // Content-Type says (pkg/picod/files.go UploadFileHandler)
  if (/^\s*multipart\/form-data\s*(;|$)/i.test(type)) {
    const bytes = await readCappedBody(request, maxUploadBytes);
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
    const bytes = await readCappedBody(request, maxUploadBytes);
    if (bytes.byteLength === 0) throw new TrustError('ERR_JSON_MALFORMED', 'daemon: the request body is empty (a JSON object or multipart/form-data is expected)');
    const body = parseJsonBytes(bytes, 'request body');
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

/** One byte range of a file: `start` and `length` (as Go's `httpRange`). */
interface ByteRange {
  start: number;
  length: number;
}

/**
 * Go's `parseRange` (net/http/fs.go), which PicoD's download uses through `http.ServeFile`:
 * `undefined` when there is no header, `'no-overlap'` when every range starts past the end, the
 * ranges otherwise; a malformed header throws `ERR_RANGE_NOT_SATISFIABLE`.
 */
export function parseRange(header: string | null, size: number): ByteRange[] | 'no-overlap' | undefined {
  if (header === null || header === '') return undefined;
  const bad = () => new TrustError('ERR_RANGE_NOT_SATISFIABLE', `daemon: invalid range ${JSON.stringify(header.slice(0, 80))} for a file of ${size} bytes`);
  if (!header.startsWith('bytes=')) throw bad();
  const ranges: ByteRange[] = [];
  let noOverlap = false;
  for (const part of header.slice('bytes='.length).split(',')) {
    const ra = part.trim();
    if (ra === '') continue;
    const dash = ra.indexOf('-');
    if (dash < 0) throw bad();
    const start = ra.slice(0, dash).trim();
    const end = ra.slice(dash + 1).trim();
    const int = (t: string): number => (/^\d{1,15}$/.test(t) ? Number(t) : NaN);
    if (start === '') {
      // a suffix: the last `end` bytes
      let n = int(end);
      if (Number.isNaN(n)) throw bad();
      if (n > size) n = size;
      ranges.push({ start: size - n, length: n });
      continue;
    }
    const first = int(start);
    if (Number.isNaN(first)) throw bad();
    if (first >= size) {
      noOverlap = true;
      continue;
    }
    if (end === '') {
      ranges.push({ start: first, length: size - first });
      continue;
    }
    let last = int(end);
    if (Number.isNaN(last) || first > last) throw bad();
    if (last >= size) last = size - 1;
    ranges.push({ start: first, length: last - first + 1 });
  }
  if (noOverlap && ranges.length === 0) return 'no-overlap';
  return ranges;
}

/** An HTTP date as whole seconds since the epoch, or undefined (Go's `http.ParseTime`, roughly). */
function httpDateSeconds(text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * `GET /api/files/{path}`: what Go's `http.ServeFile` answers for PicoD (pkg/picod/files.go
 * `DownloadFileHandler` → `c.File`): `Accept-Ranges: bytes`, `Last-Modified`, 304 for
 * `If-Modified-Since`, 412 for a failed `If-Unmodified-Since`, 206 for one byte range (several
 * ranges, or ranges larger than the file, get the whole file with 200), 416 for a bad range.
 */
export async function downloadRoute(request: Request, ws: Workspace): Promise<Response> {
  const path = pathFromUrl(request.url);
  if (path === '') throw invalid('missing file path');
  const { handle, stat, relative } = await ws.openRead(path);
  try {
    const name = relative.split('/').at(-1)!;
    const size = stat.size;
    const modified = Math.floor(stat.mtimeMs / 1000);
    const headers: Record<string, string> = {
      'content-type': contentType(name),
      'content-disposition': contentDisposition(name),
      'content-description': 'File Transfer',
      'content-transfer-encoding': 'binary',
      'last-modified': stat.mtime.toUTCString(),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    };
    const unmodifiedSince = httpDateSeconds(request.headers.get('if-unmodified-since'));
    if (unmodifiedSince !== undefined && modified > unmodifiedSince) {
      await handle.close();
      return new Response(null, { status: 412 });
    }
    const modifiedSince = httpDateSeconds(request.headers.get('if-modified-since'));
    if (modifiedSince !== undefined && request.headers.get('if-none-match') === null && modified <= modifiedSince) {
      await handle.close();
      const { 'content-type': _t, ...rest } = headers;
      return new Response(null, { status: 304, headers: rest });
    }
    let range: ByteRange | undefined;
    const ifRange = request.headers.get('if-range');
    const rangeApplies = ifRange === null || (httpDateSeconds(ifRange) === modified && !ifRange.trimStart().startsWith('"') && !ifRange.startsWith('W/'));
    if (rangeApplies) {
      let ranges: ByteRange[] | 'no-overlap' | undefined;
      try {
        ranges = parseRange(request.headers.get('range'), size);
      } catch (err) {
        await handle.close();
        throw err;
      }
      if (ranges === 'no-overlap') {
        // Go ignores a range past the end of an empty file; otherwise 416 with Content-Range
        if (size !== 0) {
          await handle.close();
          return errorBody('ERR_RANGE_NOT_SATISFIABLE', `daemon: the range starts past the end of the file (${size} bytes)`, { 'content-range': `bytes */${size}` });
        }
      } else if (ranges && ranges.length === 1 && ranges[0]!.length <= size) {
        range = ranges[0];
      }
    }
    const start = range?.start ?? 0;
    const length = range?.length ?? size;
    headers['accept-ranges'] = 'bytes';
    headers['content-length'] = String(length);
    if (range) headers['content-range'] = `bytes ${range.start}-${range.start + range.length - 1}/${size}`;
    const status = range ? 206 : 200;
    if (request.method === 'HEAD' || length === 0) {
      await handle.close();
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(0), { status, headers });
    }
    // the stream closes the descriptor at its end or when the client goes away
    const stream = handle.createReadStream({ start, end: start + length - 1, autoClose: true });
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers });
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
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
