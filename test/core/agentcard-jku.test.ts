import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signAgentCard, verifyAgentCard, type JwksCache } from '../../shared/agentcard/index.js';
import { TrustError } from '../../shared/errors.js';
import { MemoryKeyValueStore } from '../../shared/store/index.js';
import { card, publicJwk, testKeyPair } from './agentcard-fixtures.js';

const URL_OK = 'https://keys.example.com/.well-known/jwks.json';

let keys: CryptoKeyPair;
let jwks: string;
let signed: Record<string, unknown>;
beforeAll(async () => {
  keys = await testKeyPair('P-256');
  jwks = JSON.stringify({ keys: [await publicJwk(keys.publicKey, 'k1')] });
  signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k1', jku: URL_OK });
});

/** A fetch that serves `body` for URL_OK and counts calls. */
function server(respond: (url: string, init?: RequestInit) => Promise<Response> | Response) {
  const calls: string[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push(url);
    return respond(url, init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const serveJwks = () => server((url) => (url === URL_OK ? new Response(jwks, { headers: { 'content-type': 'application/json' } }) : new Response('no', { status: 404 })));

let cache: MemoryKeyValueStore;
beforeEach(() => {
  cache = new MemoryKeyValueStore({ maxEntries: 10 });
});

describe('jku', () => {
  it('verifies with a key fetched from an allowlisted origin, and caches the JWKS', async () => {
    const { fetch, calls } = serveJwks();
    const options = { jku: { allowedOrigins: ['https://keys.example.com'], fetch, cache } };
    const report = await verifyAgentCard(signed, options);
    expect(report.verified).toBe(true);
    expect(report.signatures[0]).toMatchObject({ status: 'valid', kid: 'k1', keySource: 'jku', trustRoot: `jku:${URL_OK}` });
    await verifyAgentCard(signed, options);
    expect(calls).toEqual([URL_OK]);
    expect(await cache.get(URL_OK)).toBe(jwks);
  });

  it('shares one fetch between concurrent verifications', async () => {
    const { fetch, calls } = serveJwks();
    const options = { jku: { allowedOrigins: ['https://keys.example.com'], fetch, cache } };
    const reports = await Promise.all([verifyAgentCard(signed, options), verifyAgentCard(signed, options), verifyAgentCard(signed, options)]);
    expect(reports.every((r) => r.verified)).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['no jku configuration at all', undefined],
    ['another origin', ['https://other.example.com']],
    ['same host over http', ['http://keys.example.com']],
    ['another port', ['https://keys.example.com:8443']],
  ])('a jku from a non-allowlisted origin is refused (%s) and never fetched', async (_name, allowed) => {
    const { fetch, calls } = serveJwks();
    const report = await verifyAgentCard(signed, allowed ? { jku: { allowedOrigins: allowed, fetch, cache } } : {});
    expect(report.verified).toBe(false);
    expect(report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_JKU_NOT_ALLOWED' });
    expect(calls).toEqual([]);
  });

  it('a pinned key with the same kid answers first, without any fetch', async () => {
    const { fetch, calls } = serveJwks();
    const report = await verifyAgentCard(signed, {
      keys: { keys: [await publicJwk(keys.publicKey, 'k1')] },
      jku: { allowedOrigins: ['https://keys.example.com'], fetch, cache },
    });
    expect(report.signatures[0]).toMatchObject({ status: 'valid', keySource: 'kid', trustRoot: 'keyset:k1' });
    expect(calls).toEqual([]);
  });

  it('a JWKS without the kid is ERR_JWS_KEY_NOT_FOUND', async () => {
    const other = await testKeyPair('P-256');
    const body = JSON.stringify({ keys: [await publicJwk(other.publicKey, 'k2')] });
    const { fetch } = server(() => new Response(body));
    const report = await verifyAgentCard(signed, { jku: { allowedOrigins: ['https://keys.example.com'], fetch, cache } });
    expect(report.signatures[0]).toMatchObject({ code: 'ERR_JWS_KEY_NOT_FOUND' });
  });

  it.each([
    ['a timeout', () => new Promise<Response>(() => {}), { timeoutMs: 30 }],
    ['a body that never ends', () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"keys":')) })), { timeoutMs: 30 }],
    ['an oversized body', () => new Response('x'.repeat(2000)), { maxBytes: 1000 }],
    ['an oversized declared length', () => new Response('{}', { headers: { 'content-length': '99999' } }), { maxBytes: 1000 }],
    ['a 404', () => new Response('nope', { status: 404 }), {}],
    ['a redirect', () => new Response(null, { status: 302, headers: { location: 'https://evil.example/jwks.json' } }), {}],
    ['a network error', () => Promise.reject(new TypeError('connection refused')), {}],
    ['a body that is not JSON', () => new Response('<html>'), {}],
    ['a JSON body without keys', () => new Response('{"kid":"k1"}'), {}],
  ])('%s is ERR_JKU_FETCH_FAILED and is not cached', async (_name, respond, extra) => {
    const { fetch } = server(respond as () => Promise<Response>);
    const report = await verifyAgentCard(signed, { jku: { allowedOrigins: ['https://keys.example.com'], fetch, cache, ...extra } });
    expect(report.verified).toBe(false);
    expect(report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_JKU_FETCH_FAILED' });
    expect(await cache.get(URL_OK)).toBeUndefined();
  });

  it('asks for no redirects to be followed', async () => {
    let init: RequestInit | undefined;
    const { fetch } = server((_url, i) => {
      init = i;
      return new Response(jwks);
    });
    await verifyAgentCard(signed, { jku: { allowedOrigins: ['https://keys.example.com'], fetch, cache } });
    expect(init?.redirect).toBe('manual');
  });

  it.each([
    ['a TrustError passes through', new TrustError('ERR_STORE_UNAVAILABLE', 'upstash down')],
    ['any other error becomes ERR_STORE_UNAVAILABLE', new Error('ECONNRESET')],
  ])('a failing cache fails the signature closed: %s', async (_name, error) => {
    const { fetch, calls } = serveJwks();
    const broken: JwksCache = {
      get: () => Promise.reject(error),
      set: () => Promise.reject(error),
    };
    const report = await verifyAgentCard(signed, { jku: { allowedOrigins: ['https://keys.example.com'], fetch, cache: broken } });
    expect(report.verified).toBe(false);
    expect(report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_STORE_UNAVAILABLE' });
    expect(calls).toEqual([]);
  });

  it('a cache that cannot store fails closed too', async () => {
    const { fetch } = serveJwks();
    const broken: JwksCache = { get: async () => undefined, set: () => Promise.reject(new Error('read-only')) };
    const report = await verifyAgentCard(signed, { jku: { allowedOrigins: ['https://keys.example.com'], fetch, cache: broken } });
    expect(report.signatures[0]).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });

  it('a jku signature without kid is refused', async () => {
    const { fetch } = serveJwks();
    const c = card();
    const { rawEntry } = await import('./agentcard-fixtures.js');
    c['signatures'] = [await rawEntry(c, { alg: 'ES256', typ: 'JOSE', jku: URL_OK }, keys.privateKey, { name: 'ECDSA', hash: 'SHA-256' })];
    const report = await verifyAgentCard(c, { jku: { allowedOrigins: ['https://keys.example.com'], fetch, cache } });
    expect(report.signatures[0]).toMatchObject({ code: 'ERR_JWS_KEY_NOT_FOUND' });
  });
});
