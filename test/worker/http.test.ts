// The HTTP building blocks of the worker, inside workerd: the error-status map, body reading
// (content type, size cap before parsing, JSON), CORS.
import { describe, expect, it, vi } from 'vitest';
import { ERROR_CODES } from '../../shared/errors.js';
import { STATUS_BY_CODE } from '../../workers/http/status.js';
import { isJsonContentType, readJsonBody, MAX_BODY_BYTES } from '../../workers/http/body.js';
import { isPreflight, preflight, withCors, type CorsPolicy } from '../../workers/http/cors.js';
import { errorResponse } from '../../workers/http/respond.js';
import { TrustError } from '../../shared/errors.js';

const post = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }): Request =>
  new Request('https://svc.test/v1/agent-cards/verify', { method: 'POST', body, headers });

describe('error status map', () => {
  it('gives every error code a deliberate status', () => {
    const missing = ERROR_CODES.filter((c) => STATUS_BY_CODE[c] === undefined);
    expect(missing).toEqual([]);
  });

  it.each([
    ['ERR_JSON_MALFORMED', 400],
    ['ERR_REQUEST_INVALID', 400],
    ['ERR_TRUST_DOMAIN_INVALID', 400],
    ['ERR_BODY_TOO_LARGE', 413],
    ['ERR_CONTENT_TYPE_UNSUPPORTED', 415],
    ['ERR_ROUTE_NOT_FOUND', 404],
    ['ERR_METHOD_NOT_ALLOWED', 405],
    ['ERR_BUNDLE_NOT_FOUND', 404],
    ['ERR_RATE_LIMITED', 429],
    ['ERR_FETCH_ORIGIN_NOT_ALLOWED', 403],
    ['ERR_FETCH_TIMEOUT', 504],
    ['ERR_FETCH_FAILED', 502],
    ['ERR_CONFIG_INVALID', 500],
    ['ERR_STORE_UNAVAILABLE', 503],
  ] as const)('%s → %i', async (code, status) => {
    const res = errorResponse(new TrustError(code, 'message for people'));
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code, message: 'message for people' } });
  });

  it('never leaks the text of a non-TrustError', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = errorResponse(new Error('secret engine detail at /srv/x'));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret');
    expect(JSON.parse(text)).toEqual({ error: { code: 'ERR_INTERNAL', message: 'internal error' } });
  });
});

describe('readJsonBody', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON; Charset="UTF-8"', true],
    ['application/agent-card+json', true],
    ['application/json; charset=latin1', false],
    ['text/plain', false],
    ['text/json', false],
    ['application/x-www-form-urlencoded', false],
    ['multipart/form-data; boundary=x', false],
    ['', false],
  ])('content type %j is JSON: %s', (type, ok) => {
    expect(isJsonContentType(type)).toBe(ok);
  });

  it('parses a JSON body', async () => {
    expect(await readJsonBody(post('{"a":[1,"é"]}'))).toEqual({ a: [1, 'é'] });
  });

  it.each([
    ['no content type', post('{}', {}), 'ERR_CONTENT_TYPE_UNSUPPORTED'],
    ['text/plain', post('{}', { 'content-type': 'text/plain' }), 'ERR_CONTENT_TYPE_UNSUPPORTED'],
    ['empty body', post(null), 'ERR_JSON_MALFORMED'],
    ['truncated JSON', post('{"a":'), 'ERR_JSON_MALFORMED'],
    ['trailing garbage', post('{} x'), 'ERR_JSON_MALFORMED'],
    ['invalid UTF-8', post(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), 'ERR_JSON_MALFORMED'],
    ['a byte-order mark', post(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), 'ERR_JSON_MALFORMED'],
    ['bad Content-Length', post('{}', { 'content-type': 'application/json', 'content-length': 'abc' }), 'ERR_REQUEST_INVALID'],
  ])('%s → %s', async (_name, request, code) => {
    await expect(readJsonBody(request)).rejects.toMatchObject({ code });
  });

  it('refuses by Content-Length before reading anything', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(1024));
      },
    });
    const request = new Request('https://svc.test/', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) },
    });
    await expect(readJsonBody(request)).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it('stops reading a streamed body at the cap (no Content-Length)', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const request = new Request('https://svc.test/', { method: 'POST', body: stream, headers: { 'content-type': 'application/json' } });
    await expect(readJsonBody(request, 256 * 1024)).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    // a bounded number of chunks was read, not the endless stream
    expect(pulled).toBeLessThan(16);
  });

  it('still refuses a body larger than a Content-Length that lied (in-process callers)', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (++pulled > 4) return c.close();
        c.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const request = new Request('https://svc.test/', { method: 'POST', body: stream, headers: { 'content-type': 'application/json', 'content-length': '10' } });
    await expect(readJsonBody(request, 128 * 1024)).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
  });

  it('accepts exactly the cap', async () => {
    const body = '"' + 'a'.repeat(98) + '"';
    expect(await readJsonBody(post(body), 100)).toBe('a'.repeat(98));
    await expect(readJsonBody(post(body + ' '), 100)).rejects.toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
  });
});

describe('CORS', () => {
  const list: CorsPolicy = { any: false, origins: new Set(['https://app.example']) };
  const any: CorsPolicy = { any: true };
  const req = (origin?: string, method = 'GET', extra: Record<string, string> = {}): Request =>
    new Request('https://svc.test/healthz', { method, headers: { ...(origin ? { origin } : {}), ...extra } });

  it.each([
    ['listed origin', list, 'https://app.example', 'https://app.example'],
    ['unlisted origin', list, 'https://evil.example', null],
    ['any origin', any, 'https://evil.example', '*'],
    ['CORS off', undefined, 'https://app.example', null],
  ] as const)('%s', (_n, policy, origin, expected) => {
    const res = withCors(policy, req(origin), new Response('x'));
    expect(res.headers.get('access-control-allow-origin')).toBe(expected);
  });

  it('varies on Origin for a list', () => {
    expect(withCors(list, req('https://app.example'), new Response('x')).headers.get('vary')).toContain('Origin');
  });

  it('answers a preflight for an allowed origin', () => {
    const r = req('https://app.example', 'OPTIONS', { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' });
    expect(isPreflight(r)).toBe(true);
    const res = preflight(list, r);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type');
  });

  it('gives a disallowed preflight no CORS headers', () => {
    const r = req('https://evil.example', 'OPTIONS', { 'access-control-request-method': 'POST' });
    const res = preflight(list, r);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
