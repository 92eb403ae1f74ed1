/**
 * `GET /`, `GET /inspector/app.js`, `GET /inspector/app.css`: the AgentCard inspector page
 * (docs/inspector.md), served from the generated module so the Worker and `cardtrust serve` need
 * no file system. A strict CSP (no inline script or style: the page's script and styles are these
 * files), no sniffing, no referrer; revalidated by ETag.
 */
import type { InspectorAsset } from '../inspector/assets.gen.js';

export const INSPECTOR_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** True when an `If-None-Match` header names `etag` (weak comparison, RFC 9110 §13.1.2). */
function matches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function inspectorAssetRoute(request: Request, asset: InspectorAsset): Response {
  const headers = {
    etag: asset.etag,
    // not fingerprinted URLs: always revalidate (a 304 costs one round trip, no body)
    'cache-control': 'no-cache',
    'content-security-policy': INSPECTOR_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (matches(request.headers.get('if-none-match'), asset.etag)) return new Response(null, { status: 304, headers });
  return new Response(asset.body, { status: 200, headers: { ...headers, 'content-type': asset.type } });
}
