/**
 * CORS for browser clients. Origins are configured (`CORS_ALLOWED_ORIGINS`): exact origins, or
 * `*` for any. Without configuration no CORS headers are sent, so browsers on other origins are
 * refused by default.
 */

/** The configured CORS policy; `undefined` means CORS is off. */
export type CorsPolicy = { readonly any: true } | { readonly any: false; readonly origins: ReadonlySet<string> };

const ALLOWED_METHODS = 'GET, HEAD, POST, OPTIONS';
const ALLOWED_HEADERS = 'content-type';
const EXPOSED_HEADERS = 'etag, retry-after';

function allowedOrigin(policy: CorsPolicy | undefined, origin: string | null): string | undefined {
  if (!policy || !origin) return undefined;
  if (policy.any) return '*';
  return policy.origins.has(origin) ? origin : undefined;
}

/**
 * Adds CORS headers to a response for the request's `Origin`, when allowed.
 *
 * @example
 * return withCors(policy, request, response);
 */
export function withCors(policy: CorsPolicy | undefined, request: Request, response: Response): Response {
  if (!policy) return response;
  const allowed = allowedOrigin(policy, request.headers.get('origin'));
  const res = new Response(response.body, response);
  // the answer depends on Origin whenever the policy is a list
  if (!policy.any) res.headers.append('vary', 'Origin');
  if (allowed) {
    res.headers.set('access-control-allow-origin', allowed);
    res.headers.set('access-control-expose-headers', EXPOSED_HEADERS);
  }
  return res;
}

/** True for a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`). */
export function isPreflight(request: Request): boolean {
  return request.method === 'OPTIONS' && request.headers.has('access-control-request-method') && request.headers.has('origin');
}

/**
 * The answer to a preflight: 204 with the allowed methods and headers when the origin is allowed,
 * 204 without CORS headers otherwise (the browser then refuses the actual request).
 *
 * @example
 * if (isPreflight(request)) return preflight(policy, request);
 */
export function preflight(policy: CorsPolicy | undefined, request: Request): Response {
  const headers = new Headers();
  const allowed = allowedOrigin(policy, request.headers.get('origin'));
  if (policy && !policy.any) headers.append('vary', 'Origin');
  if (allowed) {
    headers.set('access-control-allow-origin', allowed);
    headers.set('access-control-allow-methods', ALLOWED_METHODS);
    headers.set('access-control-allow-headers', ALLOWED_HEADERS);
    headers.set('access-control-max-age', '600');
  }
  return new Response(null, { status: 204, headers });
}
