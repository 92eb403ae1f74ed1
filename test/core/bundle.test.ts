import { beforeAll, describe, expect, it } from 'vitest';
import {
  BundleSet,
  parseBundle,
  parsePemBundle,
  parseSpiffeBundle,
  serializeSpiffeBundle,
  spiffeBundleToJwks,
  TrustBundle,
} from '../../shared/bundle/index.js';
import { TrustError, type ErrorCode } from '../../shared/errors.js';
import { getCrypto } from '../../shared/crypto.js';
import { b64Encode, toHex } from '../../shared/lib/encoding.js';
import { TestCA } from '../support/ca.js';

// the test CA makes its keys with the core's provider (peculiar in the core:peculiar run)
const wc = () => getCrypto().subtle;
const TD = 'example.org';

function codeOf(fn: () => unknown): ErrorCode | 'ok' | 'not a TrustError' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof TrustError ? err.code : 'not a TrustError';
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

async function publicJwk(key: CryptoKey): Promise<Record<string, string>> {
  const { kty, crv, x, y, n, e } = await wc().exportKey('jwk', key);
  return JSON.parse(JSON.stringify({ kty, crv, x, y, n, e })) as Record<string, string>;
}

let ecRoot: TestCA;
let rsaRoot: TestCA;
let edRoot: TestCA;
let otherRoot: TestCA;
let leafDer: Uint8Array;
let ecEntry: Record<string, unknown>;
let rsaEntry: Record<string, unknown>;
let edEntry: Record<string, unknown>;
let jwtEc: Record<string, string>;
let jwtRsa: Record<string, string>;

beforeAll(async () => {
  ecRoot = await TestCA.create({ trustDomain: TD });
  rsaRoot = await TestCA.create({ trustDomain: TD, keyAlg: 'RSA' });
  edRoot = await TestCA.create({ trustDomain: TD, keyAlg: 'Ed25519' });
  otherRoot = await TestCA.create({ trustDomain: TD });
  leafDer = (await ecRoot.issue()).der;
  ecEntry = { use: 'x509-svid', ...(await publicJwk(ecRoot.keys.publicKey)), x5c: [b64Encode(ecRoot.der)] };
  rsaEntry = { use: 'x509-svid', ...(await publicJwk(rsaRoot.keys.publicKey)), x5c: [b64Encode(rsaRoot.der)] };
  edEntry = { use: 'x509-svid', ...(await publicJwk(edRoot.keys.publicKey)), x5c: [b64Encode(edRoot.der)] };
  const ecKp = (await wc().generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  jwtEc = await publicJwk(ecKp.publicKey);
  jwtRsa = await publicJwk(rsaRoot.keys.publicKey);
});

function doc(keys: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...extra, keys });
}

describe('parseSpiffeBundle accepts', () => {
  it('X.509 and JWT authorities with sequence and refresh hint', () => {
    const b = parseSpiffeBundle(
      doc([ecEntry, rsaEntry, edEntry, { use: 'jwt-svid', kid: 'k1', ...jwtEc }, { use: 'jwt-svid', kid: 'k2', ...jwtRsa, alg: 'RS256' }], {
        spiffe_sequence: 7,
        spiffe_refresh_hint: 300,
      }),
      TD,
    );
    expect(b.trustDomain.name).toBe(TD);
    expect(b.x509Authorities.map((c) => toHex(c.der))).toEqual([ecRoot.der, rsaRoot.der, edRoot.der].map(toHex));
    expect([...b.jwtAuthorities.keys()]).toEqual(['k1', 'k2']);
    expect(b.jwtAuthority('k2')).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    expect(b.sequence).toBe(7);
    expect(b.refreshHint).toBe(300);
  });

  it('an empty key list (every key revoked)', () => {
    const b = parseSpiffeBundle({ keys: [] }, TD);
    expect(b.empty).toBe(true);
    expect(b.sequence).toBeUndefined();
    expect(b.refreshHint).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>]>([
    ['an unknown use', { use: 'wit-svid', kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }],
    ['a use differing in case', { use: 'X509-SVID', kty: 'EC' }],
    ['an unknown kty', { use: 'jwt-svid', kty: 'XYZ', kid: 'k' }],
    ['a symmetric key', { use: 'jwt-svid', kty: 'oct', kid: 'k', k: 'c2VjcmV0' }],
    ['an unsupported curve', { use: 'jwt-svid', kty: 'EC', crv: 'secp256k1', kid: 'k', x: 'AA', y: 'AA' }],
    ['an X25519 key', { use: 'jwt-svid', kty: 'OKP', crv: 'X25519', kid: 'k', x: 'AA' }],
    // Trust Domain and Bundle §4.2.2: a missing use MUST be ignored, like an unknown one
    ['no use', { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }],
    ['no use, no kty', { kid: 'k' }],
    // X509-SVID §6.2: an x509-svid entry without x5c, or with an empty one, MUST be ignored
    ['an x509-svid entry without x5c', { use: 'x509-svid', kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }],
    ['an x509-svid entry with an empty x5c', { use: 'x509-svid', kty: 'EC', crv: 'P-256', x: 'x', y: 'y', x5c: [] }],
  ])('and ignores an entry with %s', (_name, entry) => {
    const b = parseSpiffeBundle(doc([entry, { use: 'jwt-svid', kid: 'k1', ...jwtEc }]), TD);
    expect([...b.jwtAuthorities.keys()]).toEqual(['k1']);
    expect(b.x509Authorities).toHaveLength(0);
  });

  it('uses the first x5c certificate of an x509-svid entry and ignores the others (X509-SVID §6.2)', () => {
    const b = parseSpiffeBundle(doc([{ ...ecEntry, x5c: [b64Encode(ecRoot.der), b64Encode(otherRoot.der), 'not even base64!', 7] }]), TD);
    expect(b.x509Authorities).toHaveLength(1);
    expect(b.x509Authorities[0]!.der).toEqual(ecRoot.der);
  });

  it('unknown top-level parameters and a JSON object input', () => {
    const b = parseSpiffeBundle({ keys: [ecEntry], spiffe_other: true, issuer: 'x' }, 'spiffe://example.org');
    expect(b.x509Authorities).toHaveLength(1);
  });

  it('spiffe_sequence up to 2^53-1', () => {
    expect(parseSpiffeBundle(doc([], { spiffe_sequence: Number.MAX_SAFE_INTEGER }), TD).sequence).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('parseSpiffeBundle rejects', () => {
  it.each<[string, () => string | object, ErrorCode, string]>([
    ['malformed JSON', () => '{"keys": [', 'ERR_JSON_MALFORMED', 'not valid JSON'],
    ['empty text', () => '', 'ERR_JSON_MALFORMED', 'not valid JSON'],
    ['a JSON array', () => '[]', 'ERR_BUNDLE_INVALID', 'JSON object'],
    ['JSON null', () => 'null', 'ERR_BUNDLE_INVALID', 'JSON object'],
    ['a JSON string', () => '"keys"', 'ERR_BUNDLE_INVALID', 'JSON object'],
    ['no keys', () => '{}', 'ERR_BUNDLE_INVALID', '"keys" parameter is required'],
    ['keys null', () => '{"keys": null}', 'ERR_BUNDLE_INVALID', 'must be an array'],
    ['keys an object', () => '{"keys": {}}', 'ERR_BUNDLE_INVALID', 'must be an array'],
    ['an entry that is not an object', () => doc(['x']), 'ERR_BUNDLE_INVALID', 'key 0 is not a JSON object'],
    ['use not a string', () => doc([{ use: 1, kty: 'EC' }]), 'ERR_BUNDLE_INVALID', '"use" must be a string'],
    ['an entry without kty', () => doc([{ use: 'jwt-svid', kid: 'k' }]), 'ERR_BUNDLE_INVALID', '"kty" is required'],
    ['an EC entry without crv', () => doc([{ use: 'jwt-svid', kid: 'k', kty: 'EC', x: 'AA', y: 'AA' }]), 'ERR_BUNDLE_INVALID', '"crv" is required'],
    // x509-svid entries
    ['an x509-svid entry with a kid', () => doc([{ ...ecEntry, kid: 'k' }]), 'ERR_BUNDLE_INVALID', '"kid" must not be set'],
    ['x5c not an array', () => doc([{ ...ecEntry, x5c: b64Encode(ecRoot.der) }]), 'ERR_BUNDLE_INVALID', '"x5c" must be an array'],
    ['the first x5c certificate not the entry key (the second is)', () => doc([{ ...ecEntry, x5c: [b64Encode(otherRoot.der), b64Encode(ecRoot.der)] }]), 'ERR_BUNDLE_INVALID', 'do not match'],
    ['x5c not base64', () => doc([{ ...ecEntry, x5c: ['not base64!'] }]), 'ERR_BUNDLE_INVALID', 'valid certificate'],
    ['x5c in base64url', () => doc([{ ...ecEntry, x5c: [b64Encode(ecRoot.der).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')] }]), 'ERR_BUNDLE_INVALID', 'valid certificate'],
    ['x5c not a certificate', () => doc([{ ...ecEntry, x5c: ['AAECAw=='] }]), 'ERR_BUNDLE_INVALID', 'valid certificate'],
    ['x5c a number', () => doc([{ ...ecEntry, x5c: [1] }]), 'ERR_BUNDLE_INVALID', 'base64 strings'],
    ['an x509-svid certificate that is not a CA', () => doc([{ ...ecEntry, x5c: [b64Encode(leafDer)] }]), 'ERR_BUNDLE_INVALID', 'not a CA'],
    ['key members of another key', () => doc([{ ...ecEntry, x5c: [b64Encode(otherRoot.der)] }]), 'ERR_BUNDLE_INVALID', 'do not match'],
    ['key members missing', () => doc([{ use: 'x509-svid', kty: 'EC', crv: 'P-256', x5c: [b64Encode(ecRoot.der)] }]), 'ERR_BUNDLE_INVALID', 'member "x"'],
    ['kty of another key type', () => doc([{ ...rsaEntry, x5c: [b64Encode(ecRoot.der)] }]), 'ERR_BUNDLE_INVALID', 'do not match'],
    // jwt-svid entries
    ['a jwt-svid entry without kid', () => doc([{ use: 'jwt-svid', ...jwtEc }]), 'ERR_BUNDLE_INVALID', '"kid" is required'],
    ['a jwt-svid entry with an empty kid', () => doc([{ use: 'jwt-svid', kid: '', ...jwtEc }]), 'ERR_BUNDLE_INVALID', '"kid" is required'],
    ['a jwt-svid entry with a numeric kid', () => doc([{ use: 'jwt-svid', kid: 1, ...jwtEc }]), 'ERR_BUNDLE_INVALID', '"kid" must be a string'],
    ['a duplicate kid', () => doc([{ use: 'jwt-svid', kid: 'k', ...jwtEc }, { use: 'jwt-svid', kid: 'k', ...jwtRsa }]), 'ERR_BUNDLE_INVALID', 'duplicate kid'],
    ['a private key member', () => doc([{ use: 'jwt-svid', kid: 'k', ...jwtEc, d: 'AAAA' }]), 'ERR_BUNDLE_INVALID', 'private key member "d"'],
    ['EC coordinates of the wrong size', () => doc([{ use: 'jwt-svid', kid: 'k', ...jwtEc, crv: 'P-384' }]), 'ERR_BUNDLE_INVALID', '48 bytes'],
    ['EC coordinate not base64url', () => doc([{ use: 'jwt-svid', kid: 'k', ...jwtEc, x: 'a+b/' }]), 'ERR_BUNDLE_INVALID', 'not valid base64url'],
    ['RSA modulus with a leading zero', () => doc([{ use: 'jwt-svid', kid: 'k', kty: 'RSA', n: 'AAEC', e: 'AQAB' }]), 'ERR_BUNDLE_INVALID', 'leading zero'],
    ['RSA without e', () => doc([{ use: 'jwt-svid', kid: 'k', kty: 'RSA', n: jwtRsa['n'] }]), 'ERR_BUNDLE_INVALID', 'member "e"'],
    ['alg not a string', () => doc([{ use: 'jwt-svid', kid: 'k', ...jwtEc, alg: 1 }]), 'ERR_BUNDLE_INVALID', '"alg" must be a string'],
    // counters
    ['a negative spiffe_sequence', () => doc([], { spiffe_sequence: -1 }), 'ERR_BUNDLE_INVALID', 'spiffe_sequence'],
    ['a fractional spiffe_sequence', () => doc([], { spiffe_sequence: 1.5 }), 'ERR_BUNDLE_INVALID', 'spiffe_sequence'],
    ['a string spiffe_sequence', () => doc([], { spiffe_sequence: '1' }), 'ERR_BUNDLE_INVALID', 'spiffe_sequence'],
    ['a spiffe_sequence beyond 2^53', () => '{"keys":[],"spiffe_sequence":18446744073709551615}', 'ERR_BUNDLE_INVALID', 'spiffe_sequence'],
    ['a negative refresh hint', () => doc([], { spiffe_refresh_hint: -5 }), 'ERR_BUNDLE_INVALID', 'spiffe_refresh_hint'],
    ['a string refresh hint', () => doc([], { spiffe_refresh_hint: '60' }), 'ERR_BUNDLE_INVALID', 'spiffe_refresh_hint'],
    // limits
    ['more than 1000 keys', () => doc(Array.from({ length: 1001 }, () => ({ use: 'other' }))), 'ERR_BUNDLE_INVALID', 'more than 1000'],
    ['more than 1 MiB', () => doc([], { pad: 'x'.repeat(1 << 20) }), 'ERR_BUNDLE_INVALID', 'larger than'],
  ])('%s', (_name, input, code, text) => {
    expect(codeOf(() => parseSpiffeBundle(input(), TD))).toBe(code);
    expect(messageOf(() => parseSpiffeBundle(input(), TD))).toContain(text);
  });

  it('honours smaller limits', () => {
    expect(codeOf(() => parseSpiffeBundle(doc([{ use: 'a' }, { use: 'b' }]), TD, { maxKeys: 1 }))).toBe('ERR_BUNDLE_INVALID');
    expect(codeOf(() => parseSpiffeBundle(doc([]), TD, { maxBytes: 5 }))).toBe('ERR_BUNDLE_INVALID');
  });

  it('rejects an invalid trust domain', () => {
    expect(codeOf(() => parseSpiffeBundle(doc([]), 'Example.org'))).toBe('ERR_BUNDLE_INVALID');
  });
});

describe('serializeSpiffeBundle', () => {
  it('round-trips through parseSpiffeBundle', () => {
    const original = parseSpiffeBundle(
      doc([ecEntry, rsaEntry, edEntry, { use: 'jwt-svid', kid: 'k1', ...jwtEc }, { use: 'jwt-svid', kid: 'k2', ...jwtRsa, alg: 'PS256' }], {
        spiffe_sequence: 3,
        spiffe_refresh_hint: 60,
      }),
      TD,
    );
    const text = serializeSpiffeBundle(original);
    const again = parseSpiffeBundle(text, TD);
    expect(again.x509Authorities.map((c) => toHex(c.der))).toEqual(original.x509Authorities.map((c) => toHex(c.der)));
    expect([...again.jwtAuthorities]).toEqual([...original.jwtAuthorities]);
    expect(again.sequence).toBe(3);
    expect(again.refreshHint).toBe(60);
    expect(serializeSpiffeBundle(again)).toBe(text);
  });

  it('writes the standard shape: x509-svid entries with x5c and no kid, jwt-svid entries with kid', () => {
    const b = new TrustBundle(TD, { x509Authorities: [ecRoot.pem], jwtAuthorities: { k1: jwtEc } });
    const jwks = spiffeBundleToJwks(b);
    expect(jwks).toEqual({
      keys: [
        { use: 'x509-svid', kty: 'EC', crv: 'P-256', x: ecEntry['x'], y: ecEntry['y'], x5c: [b64Encode(ecRoot.der)] },
        { use: 'jwt-svid', kid: 'k1', ...jwtEc },
      ],
    });
    expect(JSON.parse(serializeSpiffeBundle(b))).toEqual(jwks);
    expect(serializeSpiffeBundle(new TrustBundle(TD, { sequence: 1, refreshHint: 2 }))).toBe('{"spiffe_sequence":1,"spiffe_refresh_hint":2,"keys":[]}');
  });

  it('writes RSA members as the certificate holds them', () => {
    const jwks = spiffeBundleToJwks(new TrustBundle(TD, { x509Authorities: [rsaRoot.der] }));
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', n: rsaEntry['n'], e: 'AQAB' });
  });
});

describe('PEM bundles', () => {
  it('reads every certificate, ignoring text between blocks', () => {
    const pem = `subject=CN=root 1\nissuer=CN=root 1\n${ecRoot.pem}\nsome garbage text; not base64 either!\n\n${rsaRoot.pem}trailing words`;
    const b = parsePemBundle(pem, TD);
    expect(b.x509Authorities.map((c) => toHex(c.der))).toEqual([ecRoot.der, rsaRoot.der].map(toHex));
    expect(TrustBundle.fromPem(TD, pem).x509Authorities).toHaveLength(2);
  });

  it('keeps a repeated certificate once', () => {
    expect(parsePemBundle(ecRoot.pem + ecRoot.pem, TD).x509Authorities).toHaveLength(1);
  });

  it.each<[string, () => string, ErrorCode]>([
    ['no certificate at all', () => 'just text', 'ERR_BUNDLE_INVALID'],
    ['an empty string', () => '', 'ERR_BUNDLE_INVALID'],
    ['a private key block', () => `${ecRoot.pem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`, 'ERR_BUNDLE_INVALID'],
    ['a CERTIFICATE block that is not a certificate', () => '-----BEGIN CERTIFICATE-----\nAAECAw==\n-----END CERTIFICATE-----\n', 'ERR_BUNDLE_INVALID'],
    ['garbage holding a stray marker', () => `${ecRoot.pem}-----END CERTIFICATE-----\n`, 'ERR_PEM_MALFORMED'],
    ['a block with no END', () => ecRoot.pem.replace('-----END CERTIFICATE-----', ''), 'ERR_PEM_MALFORMED'],
    ['a block with a corrupted body', () => ecRoot.pem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!'), 'ERR_PEM_MALFORMED'],
    ['mismatched labels', () => ecRoot.pem.replace('END CERTIFICATE', 'END X509 CRL'), 'ERR_PEM_MALFORMED'],
  ])('rejects %s', (_name, pem, code) => {
    expect(codeOf(() => parsePemBundle(pem(), TD))).toBe(code);
  });

  it('rejects a non-string', () => {
    expect(codeOf(() => parsePemBundle(42 as unknown as string, TD))).toBe('ERR_BUNDLE_INVALID');
  });
});

describe('parseBundle', () => {
  it('tells JSON from PEM', () => {
    expect(parseBundle(`  \n${doc([ecEntry])}`, TD).x509Authorities).toHaveLength(1);
    expect(parseBundle(rsaRoot.pem, TD).x509Authorities).toHaveLength(1);
    expect(codeOf(() => parseBundle('hello', TD))).toBe('ERR_BUNDLE_INVALID');
    expect(codeOf(() => parseBundle('{"keys":', TD))).toBe('ERR_JSON_MALFORMED');
  });
});

describe('TrustBundle and BundleSet as bundle sources', () => {
  it('a bundle serves only its own trust domain', () => {
    const b = new TrustBundle(TD, { x509Authorities: [ecRoot.der, ecRoot.pem] });
    expect(b.x509Authorities).toHaveLength(1);
    expect(b.getBundle('example.org')).toBe(b);
    expect(b.getBundle(b.trustDomain)).toBe(b);
    expect(b.getBundle('spiffe://example.org/x')).toBe(b);
    expect(codeOf(() => b.getBundle('other.test'))).toBe('ERR_BUNDLE_NOT_FOUND');
    expect(codeOf(() => b.getBundle('Bad'))).toBe('ERR_TRUST_DOMAIN_INVALID');
  });

  it('a bundle set serves each trust domain from its bundle', () => {
    const a = new TrustBundle('a.test', { x509Authorities: [ecRoot.der] });
    const b = new TrustBundle('b.test', { x509Authorities: [rsaRoot.der] });
    const b2 = new TrustBundle('b.test', { x509Authorities: [edRoot.der] });
    const set = new BundleSet([b, a]);
    expect(set.size).toBe(2);
    expect(set.getBundle('a.test')).toBe(a);
    expect(set.getBundle('spiffe://b.test')).toBe(b);
    expect(set.bundles().map((x) => x.trustDomain.name)).toEqual(['a.test', 'b.test']);
    set.add(b2);
    expect(set.getBundle('b.test')).toBe(b2);
    expect(set.has('b.test')).toBe(true);
    expect(set.delete('b.test')).toBe(true);
    expect(set.has('b.test')).toBe(false);
    expect(codeOf(() => set.getBundle('b.test'))).toBe('ERR_BUNDLE_NOT_FOUND');
    expect(codeOf(() => set.add({} as TrustBundle))).toBe('ERR_BUNDLE_INVALID');
  });

  it.each<[string, () => unknown, ErrorCode]>([
    ['invalid trust domain', () => new TrustBundle('Example.org'), 'ERR_BUNDLE_INVALID'],
    ['a certificate that does not parse', () => new TrustBundle(TD, { x509Authorities: [new Uint8Array([1, 2, 3])] }), 'ERR_BUNDLE_INVALID'],
    ['an empty kid', () => new TrustBundle(TD, { jwtAuthorities: { '': jwtEc } }), 'ERR_BUNDLE_INVALID'],
    ['a JWK that is not an object', () => new TrustBundle(TD, { jwtAuthorities: { k: 'x' as unknown as JsonWebKey } }), 'ERR_BUNDLE_INVALID'],
    ['a symmetric JWK', () => new TrustBundle(TD, { jwtAuthorities: { k: { kty: 'oct', k: 'AAAA' } } }), 'ERR_BUNDLE_INVALID'],
    ['a private JWK', () => new TrustBundle(TD, { jwtAuthorities: new Map([['k', { ...jwtEc, d: 'AAAA' }]]) }), 'ERR_BUNDLE_INVALID'],
    ['a negative sequence', () => new TrustBundle(TD, { sequence: -1 }), 'ERR_BUNDLE_INVALID'],
    ['too many authorities', () => new TrustBundle(TD, { x509Authorities: Array.from({ length: 1001 }, () => ecRoot.der) }), 'ERR_BUNDLE_INVALID'],
  ])('the constructor rejects %s', (_name, make, code) => {
    expect(codeOf(make)).toBe(code);
  });

  it('bundles are immutable', () => {
    const b = new TrustBundle(TD, { x509Authorities: [ecRoot.der] });
    expect(Object.isFrozen(b)).toBe(true);
    expect(Object.isFrozen(b.x509Authorities)).toBe(true);
  });
});
