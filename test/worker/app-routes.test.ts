// The worker through its real entry (`export default { fetch }` with an env), inside workerd:
// routing, errors, CORS, bundles, health, body limits, configuration errors, the memory rate limiter.
import { beforeAll, describe, expect, it } from 'vitest';
import { exports as workerExports } from 'cloudflare:workers';
import worker, { type ExecutionContext } from '../../workers/index.js';
import { TrustBundle, serializeSpiffeBundle } from '../../shared/bundle/index.js';
import { TestCA } from '../support/ca.js';
import { VERSION } from '../../workers/version.js';

const ctx = {} as ExecutionContext;
const BASE = 'https://cardtrust.test';

let bundleJson: string;
let env: Record<string, string>;

beforeAll(async () => {
  const ca = await TestCA.create({ trustDomain: 'example.org' });
  bundleJson = serializeSpiffeBundle(new TrustBundle('example.org', { x509Authorities: [ca.der], refreshHint: 120, sequence: 3 }));
  const other = await TestCA.create({ trustDomain: 'partner.test' });
  env = {
    TRUST_BUNDLES: JSON.stringify({ 'example.org': JSON.parse(bundleJson), 'partner.test': other.pem }),
    DEFAULT_TRUST_DOMAIN: 'example.org',
    CORS_ALLOWED_ORIGINS: 'https://app.example',
  };
});

function call(path: string, init: RequestInit = {}, e: Record<string, unknown> = env): Promise<Response> {
  return worker.fetch(new Request(BASE + path, init), e, ctx);
}

const postJson = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  body,
  headers: { 'content-type': 'application/json', ...headers },
});

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(Object.keys(body)).toEqual(['error']);
  return body.error;
}

describe('GET /healthz', () => {
  it('reports version, store kind and configured bundles — no secrets', async () => {
    const res = await call('/healthz', {}, { ...env, UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io', UPSTASH_REDIS_REST_TOKEN: 'sekret' });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ status: 'ok', version: VERSION, stores: { kind: 'upstash' }, bundles: ['example.org', 'partner.test'] });
    expect(text).not.toContain('sekret');
    expect(text).not.toContain('upstash.io');
  });

  it('memory stores by default', async () => {
    expect(await (await call('/healthz')).json()).toMatchObject({ stores: { kind: 'memory' } });
  });

  it('answers HEAD without a body', async () => {
    const res = await call('/healthz', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('is served through the deployed entry with wrangler.toml vars', async () => {
    const entry = (workerExports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
    const res = await entry.fetch(new Request(`${BASE}/healthz`));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', bundles: [] });
  });
});

describe('GET /v1/bundles/{trustDomain}', () => {
  it('serves the SPIFFE bundle with ETag and Cache-Control from spiffe_refresh_hint', async () => {
    const res = await call('/v1/bundles/example.org');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=120');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    const body = await res.json();
    expect(body).toEqual(JSON.parse(bundleJson));
  });

  it('the ETag is the SHA-256 of the body', async () => {
    const res = await call('/v1/bundles/example.org');
    const text = await res.text();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(res.headers.get('etag')).toBe(`"${hex}"`);
  });

  it.each([
    ['the same ETag', (e: string) => e, 304],
    ['a weak form of it', (e: string) => `W/${e}`, 304],
    ['a list containing it', (e: string) => `"abc", ${e}`, 304],
    ['*', () => '*', 304],
    ['another ETag', () => '"0000"', 200],
  ])('If-None-Match with %s → %i', async (_n, header, status) => {
    const etag = (await call('/v1/bundles/example.org')).headers.get('etag')!;
    const res = await call('/v1/bundles/example.org', { headers: { 'if-none-match': header(etag) } });
    expect(res.status).toBe(status);
    expect(res.headers.get('etag')).toBe(etag);
    if (status === 304) expect(await res.text()).toBe('');
  });

  it('a PEM-configured bundle is served as a SPIFFE bundle with the default max-age', async () => {
    const res = await call('/v1/bundles/partner.test');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const body = (await res.json()) as { keys: { use: string; x5c: string[] }[] };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ use: 'x509-svid' });
  });

  it.each([
    ['unknown.example', 404, 'ERR_BUNDLE_NOT_FOUND'],
    ['Example.org', 400, 'ERR_TRUST_DOMAIN_INVALID'],
    ['exa%20mple.org', 400, 'ERR_TRUST_DOMAIN_INVALID'],
    ['example.org:443', 400, 'ERR_TRUST_DOMAIN_INVALID'],
    ['ex@mple', 400, 'ERR_TRUST_DOMAIN_INVALID'],
  ])('%s → %i %s', async (td, status, code) => {
    const res = await call(`/v1/bundles/${td}`);
    expect(res.status).toBe(status);
    expect(await errorOf(res)).toMatchObject({ code });
  });
});

describe('the inspector page (GET /, /inspector/app.js, /inspector/app.css)', () => {
  const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
  it.each([
    ['/', 'text/html; charset=utf-8', '<script src="/inspector/app.js" defer></script>'],
    ['/inspector/app.js', 'text/javascript; charset=utf-8', 'inspect-form'],
    ['/inspector/app.css', 'text/css; charset=utf-8', 'prefers-color-scheme: dark'],
  ])('%s: %s with a strict CSP, nosniff, no referrer and an ETag', async (path, type, snippet) => {
    const res = await call(path);
    expect(res.status).toBe(200);
    expect(Object.fromEntries(['content-type', 'content-security-policy', 'x-content-type-options', 'referrer-policy', 'cache-control'].map((h) => [h, res.headers.get(h)]))).toEqual({
      'content-type': type,
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await res.text()).toContain(snippet);

    const again = await call(path, { headers: { 'if-none-match': `W/${etag}, "other"` } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const head = await call(path, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type'), await head.text()]).toEqual([200, type, '']);
  });

  it('the page has no inline script, style or event handler attributes (the CSP would block them)', async () => {
    const html = await (await call('/')).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('POST / → 405 with Allow: GET, HEAD, OPTIONS', async () => {
    const res = await call('/', { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});

describe('routing errors', () => {
  it.each(['/index.html', '/inspector', '/inspector/', '/inspector/app.ts', '/v1', '/v1/agent-cards', '/v1/agent-cards/verify/extra', '/v2/agent-cards/verify', '/v1/bundles/', '/.well-known/agent-card.json'])(
    'unknown route %s → 404 ERR_ROUTE_NOT_FOUND',
    async (path) => {
      const res = await call(path);
      expect(res.status).toBe(404);
      expect(await errorOf(res)).toMatchObject({ code: 'ERR_ROUTE_NOT_FOUND' });
    },
  );

  it.each([
    ['GET', '/v1/agent-cards/verify', 'POST, OPTIONS'],
    ['PUT', '/v1/agent-cards/verify', 'POST, OPTIONS'],
    ['DELETE', '/v1/agent-cards/fetch', 'POST, OPTIONS'],
    ['POST', '/healthz', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/v1/bundles/example.org', 'GET, HEAD, OPTIONS'],
  ])('%s %s → 405 with Allow: %s', async (method, path, allow) => {
    const res = await call(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(await errorOf(res)).toMatchObject({ code: 'ERR_METHOD_NOT_ALLOWED' });
  });

  it('OPTIONS without CORS headers lists the allowed methods', async () => {
    const res = await call('/v1/agent-cards/verify', { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
  });
});

describe('request bodies on POST /v1/agent-cards/verify', () => {
  it.each([
    ['no content type', { method: 'POST', body: '{}' }, 415, 'ERR_CONTENT_TYPE_UNSUPPORTED'],
    ['text/plain', { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } }, 415, 'ERR_CONTENT_TYPE_UNSUPPORTED'],
    ['form data', { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'ERR_CONTENT_TYPE_UNSUPPORTED'],
    ['malformed JSON', postJson('{"name": '), 400, 'ERR_JSON_MALFORMED'],
    ['empty body', postJson(''), 400, 'ERR_JSON_MALFORMED'],
    ['a JSON array', postJson('[]'), 400, 'ERR_REQUEST_INVALID'],
    ['a JSON string', postJson('"card"'), 400, 'ERR_REQUEST_INVALID'],
    ['null', postJson('null'), 400, 'ERR_REQUEST_INVALID'],
    ['card not an object', postJson('{"card": "x"}'), 400, 'ERR_REQUEST_INVALID'],
    ['unknown field next to card', postJson('{"card": {}, "extra": 1}'), 400, 'ERR_REQUEST_INVALID'],
    ['policy not an object', postJson('{"card": {}, "policy": []}'), 400, 'ERR_REQUEST_INVALID'],
    ['unknown policy field', postJson('{"card": {}, "policy": {"trustDomian": "example.org"}}'), 400, 'ERR_REQUEST_INVALID'],
    ['bad mode', postJson('{"card": {}, "policy": {"mode": "lenient"}}'), 400, 'ERR_REQUEST_INVALID'],
    ['bad trust domain', postJson('{"card": {}, "policy": {"trustDomain": "Example.org"}}'), 400, 'ERR_TRUST_DOMAIN_INVALID'],
    ['bad expected id', postJson('{"card": {}, "policy": {"expectedId": "spiffe://example.org/"}}'), 400, 'ERR_SPIFFE_ID_INVALID'],
    ['trust domain not a string', postJson('{"card": {}, "policy": {"trustDomain": 1}}'), 400, 'ERR_REQUEST_INVALID'],
  ] as [string, RequestInit, number, string][])('%s → %i %s', async (_n, init, status, code) => {
    const res = await call('/v1/agent-cards/verify', init);
    expect(res.status).toBe(status);
    expect(await errorOf(res)).toMatchObject({ code });
  });

  it('refuses an oversized body by Content-Length before parsing → 413', async () => {
    const big = '{"name":"' + 'a'.repeat(1024 * 1024) + '"}';
    const res = await call('/v1/agent-cards/verify', postJson(big));
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
  });

  it('refuses an oversized streamed body (no Content-Length) → 413', async () => {
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ === 0) c.enqueue(new TextEncoder().encode('{"name":"'));
        else c.enqueue(new Uint8Array(64 * 1024).fill(0x61));
      },
    });
    const res = await call('/v1/agent-cards/verify', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
  });
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin', async () => {
    const res = await call('/v1/agent-cards/verify', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('gives a preflight from another origin no CORS headers', async () => {
    const res = await call('/v1/agent-cards/verify', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([
    ['a success', '/healthz', {}],
    ['an error', '/nope', {}],
    ['a 405', '/v1/agent-cards/verify', { method: 'GET' }],
  ])('adds CORS headers to %s for an allowed origin', async (_n, path, init) => {
    const res = await call(path, { ...init, headers: { origin: 'https://app.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('sends no CORS headers when CORS is not configured', async () => {
    const { CORS_ALLOWED_ORIGINS: _, ...noCors } = env;
    const res = await call('/healthz', { headers: { origin: 'https://app.example' } }, noCors);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('invalid configuration', () => {
  it.each([
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '{oops' }],
    ['DEFAULT_MODE', { DEFAULT_MODE: 'permissive' }],
    ['RATE_LIMIT', { RATE_LIMIT: 'many' }],
    ['FETCH_ALLOWED_ORIGINS', { FETCH_ALLOWED_ORIGINS: 'http://insecure.example' }],
    ['UPSTASH_REDIS_REST_TOKEN', { UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io' }],
  ])('%s: every route answers 500 ERR_CONFIG_INVALID naming it', async (variable, bad) => {
    for (const [path, init] of [
      ['/healthz', {}],
      ['/v1/bundles/example.org', {}],
      ['/v1/agent-cards/verify', postJson('{}')],
      ['/nope', {}],
    ] as [string, RequestInit][]) {
      const res = await call(path, init, { ...env, ...bad });
      expect(res.status).toBe(500);
      const error = await errorOf(res);
      expect(error.code).toBe('ERR_CONFIG_INVALID');
      expect(error.message.startsWith(`${variable}: `)).toBe(true);
    }
  });

  it('recovers as soon as the configuration is fixed', async () => {
    expect((await call('/healthz', {}, { ...env, DEFAULT_MODE: 'x' })).status).toBe(500);
    expect((await call('/healthz', {}, { ...env, DEFAULT_MODE: 'audit' })).status).toBe(200);
  });
});

describe('rate limiting (in-memory limiter)', () => {
  it('answers 429 with Retry-After after RATE_LIMIT requests per client, per client', async () => {
    const e = { ...env, RATE_LIMIT: '2/1m' };
    const from = (ip: string): RequestInit => ({ headers: { 'cf-connecting-ip': ip } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('/v1/bundles/example.org', from('198.51.100.1'), e)).status);
    expect(statuses).toEqual([200, 200, 429]);
    const limited = await call('/v1/bundles/example.org', from('198.51.100.1'), e);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(limited)).toMatchObject({ code: 'ERR_RATE_LIMITED' });
    expect((await call('/v1/bundles/example.org', from('198.51.100.2'), e)).status).toBe(200);
  });

  it('does not limit /healthz', async () => {
    const e = { ...env, RATE_LIMIT: '2/1m' };
    for (let i = 0; i < 3; i++) expect((await call('/healthz', { headers: { 'cf-connecting-ip': '198.51.100.9' } }, e)).status).toBe(200);
  });
});
