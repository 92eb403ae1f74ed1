// Worker configuration: every variable parsed and checked; a bad value is ERR_CONFIG_INVALID
// naming the variable, never a silent fallback.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseWorkerConfig, type WorkerEnv } from '../../workers/config.js';
import { TrustBundle, serializeSpiffeBundle } from '../../shared/bundle/index.js';
import { encodePem } from '../../shared/x509/index.js';
import { TestCA } from '../support/ca.js';

/** What parseWorkerConfig throws for `env` (undefined when it parses). */
function configError(env: WorkerEnv): unknown {
  try {
    parseWorkerConfig(env);
  } catch (e) {
    return e;
  }
  return undefined;
}

let ca: TestCA;
let jwksText: string;

beforeAll(async () => {
  ca = await TestCA.create({ trustDomain: 'example.org' });
  jwksText = serializeSpiffeBundle(new TrustBundle('example.org', { x509Authorities: [ca.der], refreshHint: 120, sequence: 7 }));
});

const ecKey = { kty: 'EC', crv: 'P-256', kid: 'k1', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
const ecKey2 = { ...ecKey, kid: 'k2' };
const ecKey3 = { ...ecKey, kid: 'k3' };
const ecKey4 = { ...ecKey, kid: 'k4' };

describe('parseWorkerConfig: defaults', () => {
  it('an empty environment is a valid, closed configuration', () => {
    const c = parseWorkerConfig({});
    expect(c.bundles.size).toBe(0);
    expect(c.defaultMode).toBe('strict');
    expect(c.defaultTrustDomain).toBeUndefined();
    expect(c.fetchAllowedOrigins.size).toBe(0);
    expect(c.fetchTimeoutMs).toBe(10_000);
    expect(c.jkuAllowedOrigins).toBeUndefined();
    expect(c.trustedKeys).toBeUndefined();
    expect(c.allowedProfiles).toBeUndefined();
    expect(c.cors).toBeUndefined();
    expect(c.rateLimit).toBeUndefined();
    expect(c.upstash).toBeUndefined();
    expect(c.storeTimeoutMs).toBe(2000);
  });
});

describe('parseWorkerConfig: valid values', () => {
  it('TRUST_BUNDLES as JSON text with a SPIFFE bundle, its JSON text, and PEM', () => {
    const c = parseWorkerConfig({
      TRUST_BUNDLES: JSON.stringify({ 'example.org': JSON.parse(jwksText), 'text.example': jwksText, 'pem.example': ca.pem }),
    });
    expect([...c.bundles.keys()].sort()).toEqual(['example.org', 'pem.example', 'text.example']);
    const e = c.bundles.get('example.org')!;
    expect(e.maxAge).toBe(120);
    expect(JSON.parse(e.document)).toMatchObject({ spiffe_refresh_hint: 120, spiffe_sequence: 7 });
    expect(c.bundles.get('pem.example')!.maxAge).toBe(300);
    expect(JSON.parse(c.bundles.get('pem.example')!.document).keys).toHaveLength(1);
  });

  it('TRUST_BUNDLES as an object (a wrangler [vars] table)', () => {
    const c = parseWorkerConfig({ TRUST_BUNDLES: { 'example.org': JSON.parse(jwksText) } });
    expect(c.bundles.has('example.org')).toBe(true);
  });

  it.each([
    [{ DEFAULT_TRUST_DOMAIN: 'example.org' }, { defaultTrustDomain: 'example.org' }],
    [{ DEFAULT_MODE: 'audit' }, { defaultMode: 'audit' }],
    [{ DEFAULT_MODE: ' strict ' }, { defaultMode: 'strict' }],
    [{ FETCH_TIMEOUT_MS: '250' }, { fetchTimeoutMs: 250 }],
    [{ STORE_TIMEOUT_MS: '500' }, { storeTimeoutMs: 500 }],
    [{ RATE_LIMIT: '60' }, { rateLimit: { limit: 60, windowMs: 60_000 } }],
    [{ RATE_LIMIT: '100/10s' }, { rateLimit: { limit: 100, windowMs: 10_000 } }],
    [{ RATE_LIMIT: '1000/1h' }, { rateLimit: { limit: 1000, windowMs: 3_600_000 } }],
    [{ RATE_LIMIT: '5/m' }, { rateLimit: { limit: 5, windowMs: 60_000 } }],
    [{ ALLOWED_PROFILES: 'jcs-clean, a2a-sdk spec,python-json' }, { allowedProfiles: ['jcs-clean', 'a2a-sdk', 'spec', 'python-json'] }],
    [{ ALLOWED_PROFILES: 'python-json' }, { allowedProfiles: ['python-json'] }],
    [{ JKU_ALLOWED_ORIGINS: 'https://keys.example, https://keys2.example:8443' }, { jkuAllowedOrigins: ['https://keys.example', 'https://keys2.example:8443'] }],
    [{ UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io/', UPSTASH_REDIS_REST_TOKEN: 'tok' }, { upstash: { url: 'https://eu1.upstash.io', token: 'tok' } }],
    [{ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079', UPSTASH_REDIS_REST_TOKEN: 'tok' }, { upstash: { url: 'http://127.0.0.1:8079', token: 'tok' } }],
  ] as [WorkerEnv, object][])('%o', (env, expected) => {
    expect(parseWorkerConfig(env)).toMatchObject(expected);
  });

  // TRUSTED_KEYS is always normalized to a list of key sets; a set without spiffeId has no scope
  it.each([
    ['a plain JWKS', { keys: [ecKey] }, [{ keys: [ecKey] }]],
    ['a JWKS scoped to a workload', { keys: [ecKey], spiffeId: 'spiffe://example.org/agent/a' }, [{ keys: [ecKey], spiffeId: 'spiffe://example.org/agent/a' }]],
    ['a JWKS scoped to a trust domain', { spiffeId: 'spiffe://example.org', keys: [ecKey] }, [{ keys: [ecKey], spiffeId: 'spiffe://example.org' }]],
    ['an array of one set', [{ keys: [ecKey], spiffeId: 'spiffe://example.org/agent/a' }], [{ keys: [ecKey], spiffeId: 'spiffe://example.org/agent/a' }]],
    [
      'an array of scoped and unscoped sets',
      [{ keys: [ecKey], spiffeId: 'spiffe://example.org/agent/a' }, { keys: [ecKey2, ecKey3] }, { keys: [ecKey4], spiffeId: 'spiffe://partner.test' }],
      [{ keys: [ecKey], spiffeId: 'spiffe://example.org/agent/a' }, { keys: [ecKey2, ecKey3] }, { keys: [ecKey4], spiffeId: 'spiffe://partner.test' }],
    ],
  ] as [string, unknown, object[]][])('TRUSTED_KEYS as %s (JSON text and a [vars] value)', (_name, value, expected) => {
    expect(parseWorkerConfig({ TRUSTED_KEYS: JSON.stringify(value) }).trustedKeys).toEqual(expected);
    expect(parseWorkerConfig({ TRUSTED_KEYS: value }).trustedKeys).toEqual(expected);
  });

  it('origin lists', () => {
    const c = parseWorkerConfig({ FETCH_ALLOWED_ORIGINS: 'https://a.example https://b.example/', CORS_ALLOWED_ORIGINS: 'https://app.example,http://localhost:3000' });
    expect([...c.fetchAllowedOrigins]).toEqual(['https://a.example', 'https://b.example']);
    expect(c.cors).toEqual({ any: false, origins: new Set(['https://app.example', 'http://localhost:3000']) });
    expect(parseWorkerConfig({ CORS_ALLOWED_ORIGINS: '*' }).cors).toEqual({ any: true });
  });

  it('ignores variables it does not know', () => {
    expect(() => parseWorkerConfig({ SOMETHING_ELSE: 'x' })).not.toThrow();
  });
});

describe('parseWorkerConfig: invalid values name the variable', () => {
  it.each([
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '{not json' }],
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '[]' }],
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '"x"' }],
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '{"Example.org": {"keys": []}}' }],
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '{"spiffe://example.org": {"keys": []}}' }],
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '{"example.org": {"nokeys": true}}' }],
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '{"example.org": 42}' }],
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '{"example.org": "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n"}' }],
    ['TRUST_BUNDLES', { TRUST_BUNDLES: '{"example.org": "neither json nor pem"}' }],
    ['DEFAULT_TRUST_DOMAIN', { DEFAULT_TRUST_DOMAIN: 'Example.ORG' }],
    ['DEFAULT_TRUST_DOMAIN', { DEFAULT_TRUST_DOMAIN: 'spiffe://example.org' }],
    ['DEFAULT_TRUST_DOMAIN', { DEFAULT_TRUST_DOMAIN: 'exa mple' }],
    ['DEFAULT_MODE', { DEFAULT_MODE: 'lenient' }],
    ['DEFAULT_MODE', { DEFAULT_MODE: 'STRICT' }],
    ['FETCH_ALLOWED_ORIGINS', { FETCH_ALLOWED_ORIGINS: 'http://agent.example' }],
    ['FETCH_ALLOWED_ORIGINS', { FETCH_ALLOWED_ORIGINS: 'https://agent.example/path' }],
    ['FETCH_ALLOWED_ORIGINS', { FETCH_ALLOWED_ORIGINS: '*' }],
    ['FETCH_ALLOWED_ORIGINS', { FETCH_ALLOWED_ORIGINS: 'agent.example' }],
    ['FETCH_TIMEOUT_MS', { FETCH_TIMEOUT_MS: '0' }],
    ['FETCH_TIMEOUT_MS', { FETCH_TIMEOUT_MS: '10s' }],
    ['FETCH_TIMEOUT_MS', { FETCH_TIMEOUT_MS: '600000' }],
    ['JKU_ALLOWED_ORIGINS', { JKU_ALLOWED_ORIGINS: 'http://keys.example' }],
    ['JKU_ALLOWED_ORIGINS', { JKU_ALLOWED_ORIGINS: '*' }],
    ['ALLOWED_PROFILES', { ALLOWED_PROFILES: 'python' }],
    ['ALLOWED_PROFILES', { ALLOWED_PROFILES: 'jcs-clean,JCS-CLEAN' }],
    ['ALLOWED_PROFILES', { ALLOWED_PROFILES: 'jcs-clean,jcs-clean' }],
    ['ALLOWED_PROFILES', { ALLOWED_PROFILES: ' , ' }],
    ['ALLOWED_PROFILES', { ALLOWED_PROFILES: 42 }],
    ['ALLOWED_PROFILES', { ALLOWED_PROFILES: ['python-json'] }],
    ['TRUSTED_KEYS', { TRUSTED_KEYS: 'nope' }],
    ['TRUSTED_KEYS', { TRUSTED_KEYS: '{"keys": []}' }],
    ['TRUSTED_KEYS', { TRUSTED_KEYS: JSON.stringify({ keys: [{ ...ecKey, d: 'private' }] }) }],
    ['TRUSTED_KEYS', { TRUSTED_KEYS: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }] }) }],
    ['TRUSTED_KEYS', { TRUSTED_KEYS: JSON.stringify({ keys: [{ ...ecKey, kid: undefined }] }) }],
    ['TRUSTED_KEYS', { TRUSTED_KEYS: JSON.stringify({ keys: [ecKey, ecKey] }) }],
    ['CORS_ALLOWED_ORIGINS', { CORS_ALLOWED_ORIGINS: 'https://app.example/x' }],
    ['CORS_ALLOWED_ORIGINS', { CORS_ALLOWED_ORIGINS: 'ftp://app.example' }],
    ['RATE_LIMIT', { RATE_LIMIT: '0' }],
    ['RATE_LIMIT', { RATE_LIMIT: '-5' }],
    ['RATE_LIMIT', { RATE_LIMIT: 'lots' }],
    ['RATE_LIMIT', { RATE_LIMIT: '10/0s' }],
    ['RATE_LIMIT', { RATE_LIMIT: '10/2d' }],
    ['UPSTASH_REDIS_REST_URL', { UPSTASH_REDIS_REST_TOKEN: 'tok' }],
    ['UPSTASH_REDIS_REST_TOKEN', { UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io' }],
    ['UPSTASH_REDIS_REST_URL', { UPSTASH_REDIS_REST_URL: 'http://eu1.upstash.io', UPSTASH_REDIS_REST_TOKEN: 'tok' }],
    ['UPSTASH_REDIS_REST_URL', { UPSTASH_REDIS_REST_URL: 'not a url', UPSTASH_REDIS_REST_TOKEN: 'tok' }],
    ['UPSTASH_REDIS_REST_URL', { UPSTASH_REDIS_REST_URL: 'https://u:p@eu1.upstash.io', UPSTASH_REDIS_REST_TOKEN: 'tok' }],
    ['UPSTASH_REDIS_REST_TOKEN', { UPSTASH_REDIS_REST_URL: 'https://eu1.upstash.io', UPSTASH_REDIS_REST_TOKEN: 'a b' }],
    ['STORE_TIMEOUT_MS', { STORE_TIMEOUT_MS: 'fast' }],
    ['DEFAULT_MODE', { DEFAULT_MODE: 42 }],
  ] as [string, WorkerEnv][])('%s: %o', (variable, env) => {
    const err = configError(env);
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    expect((err as Error).message.startsWith(`${variable}: `)).toBe(true);
  });

  // TRUSTED_KEYS is a key-set document, checked by shared/agentcard/key-sets.ts (every refusal is
  // in test/core/agentcard-key-sets.test.ts); here: each kind of refusal is ERR_CONFIG_INVALID,
  // with the checker's message after "TRUSTED_KEYS: "
  it.each([
    ['an empty array', [], /^TRUSTED_KEYS: the array of key sets is empty/],
    ['an array of JWKs instead of key sets', [ecKey], /^TRUSTED_KEYS: set 0: unknown member "kty"/],
    ['a set with empty keys', [{ keys: [ecKey] }, { keys: [] }], /^TRUSTED_KEYS: set 1: the "keys" array is empty/],
    ['a misspelled spiffeId', { keys: [ecKey], spiffeID: 'spiffe://example.org/a' }, /^TRUSTED_KEYS: unknown member "spiffeID"/],
    ['a bad spiffeId in an array set', [{ keys: [ecKey] }, { keys: [ecKey2], spiffeId: 'spiffe:///a' }], /^TRUSTED_KEYS: set 1: "spiffeId": spiffeid: /],
    ['a kid in two sets', [{ keys: [ecKey], spiffeId: 'spiffe://example.org/a' }, { keys: [ecKey2, ecKey], spiffeId: 'spiffe://example.org/b' }], /^TRUSTED_KEYS: kid "k1" appears twice \(sets 0 and 1\)/],
    ['private key material in an array set', [{ keys: [ecKey] }, { keys: [{ ...ecKey2, d: 'private' }] }], /^TRUSTED_KEYS: set 1: keys\[0\] has the private key member "d"/],
    ['a symmetric key', { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }] }, /^TRUSTED_KEYS: keys\[0\] has "kty" "oct"/],
    ['a key without kid in an array set', [{ keys: [ecKey, { ...ecKey, kid: '' }], spiffeId: 'spiffe://example.org/a' }], /^TRUSTED_KEYS: set 0: keys\[1\] has no "kid"/],
  ] as [string, unknown, RegExp][])('TRUSTED_KEYS: refuses %s', (_name, value, message) => {
    for (const env of [{ TRUSTED_KEYS: JSON.stringify(value) }, { TRUSTED_KEYS: value }] as WorkerEnv[]) {
      const err = configError(env);
      expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
      expect((err as Error).message).toMatch(message);
    }
  });

  it('TRUSTED_KEYS: an invalid spiffeId keeps the SPIFFE error as its cause', () => {
    const err = configError({ TRUSTED_KEYS: JSON.stringify({ keys: [ecKey], spiffeId: 'spiffe://example.org/../a' }) });
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID', cause: { code: 'ERR_SPIFFE_ID_INVALID' } });
  });

  it('TRUST_BUNDLES: a PEM root whose key cannot be served as a JWK is a config error, not a per-request 422', async () => {
    // the root's SPKI names the curve 1.2.840.10045.3.1.6 instead of P-256 (…3.1.7): it parses, but has no JWK form
    const der = ca.der.slice();
    const p256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const at = der.findIndex((_, i) => p256.every((b, j) => der[i + j] === b));
    expect(at).toBeGreaterThan(0);
    der[at + p256.length - 1] = 0x06;
    const pem = encodePem('CERTIFICATE', der);
    const err = configError({ TRUST_BUNDLES: JSON.stringify({ 'example.org': pem }) });
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    expect((err as Error).message).toMatch(/^TRUST_BUNDLES: bundle of example\.org: /);
  });

  it('never echoes the Upstash token in a message', () => {
    expect(() => parseWorkerConfig({ UPSTASH_REDIS_REST_URL: 'http://evil.example', UPSTASH_REDIS_REST_TOKEN: 'sekret-token' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('sekret') }),
    );
  });
});
