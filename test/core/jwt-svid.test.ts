import { beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import { validateJwtSvid } from '../../shared/svid/index.js';
import { BundleSet, TrustBundle, type BundleSource } from '../../shared/bundle/index.js';
import { matchId } from '../../shared/spiffe/index.js';
import { TrustError, type ErrorCode } from '../../shared/errors.js';
import { b64urlDecode, b64urlEncode } from '../../shared/lib/encoding.js';

// Tokens are signed here with the platform's WebCrypto (and jose for an interop check); the core
// verifies with its own provider, so the peculiar run also proves keys cross as JWKs only.
const wc = globalThis.crypto.subtle;
const enc = new TextEncoder();
const NOW = new Date('2030-01-01T00:00:00Z');
const T = NOW.getTime() / 1000;
const TD = 'example.org';
const SUB = 'spiffe://example.org/workload';
const AUD = 'spiffe://example.org/reports';

type Alg = 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512';
const SIGN_PARAMS: Record<Alg, AlgorithmIdentifier | RsaPssParams | EcdsaParams> = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  ES384: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams,
  ES512: { name: 'ECDSA', hash: 'SHA-512' } as EcdsaParams,
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  RS384: { name: 'RSASSA-PKCS1-v1_5' },
  RS512: { name: 'RSASSA-PKCS1-v1_5' },
  PS256: { name: 'RSA-PSS', saltLength: 32 } as RsaPssParams,
  PS384: { name: 'RSA-PSS', saltLength: 48 } as RsaPssParams,
  PS512: { name: 'RSA-PSS', saltLength: 64 } as RsaPssParams,
};

interface Signer {
  readonly alg: Alg;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JsonWebKey;
}
const signers = new Map<Alg, Signer>();

async function rsaKey(hash: string, name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS', bits = 2048): Promise<CryptoKeyPair> {
  return (await wc.generateKey({ name, modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash }, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function publicJwk(key: CryptoKey): Promise<JsonWebKey> {
  const { kty, crv, x, y, n, e } = await wc.exportKey('jwk', key);
  return JSON.parse(JSON.stringify({ kty, crv, x, y, n, e })) as JsonWebKey;
}

function b64json(v: unknown): string {
  return b64urlEncode(enc.encode(JSON.stringify(v)));
}

async function sign(alg: Alg, header: Record<string, unknown>, claims: Record<string, unknown>, key?: CryptoKey): Promise<string> {
  const input = `${b64json(header)}.${b64json(claims)}`;
  const sig = await wc.sign(SIGN_PARAMS[alg], key ?? signers.get(alg)!.privateKey, enc.encode(input));
  return `${input}.${b64urlEncode(new Uint8Array(sig))}`;
}

function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { sub: SUB, aud: [AUD], exp: T + 300, iat: T - 10 };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

function token(alg: Alg = 'ES256', over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const h: Record<string, unknown> = { alg, kid: alg, typ: 'JWT' };
  for (const [k, v] of Object.entries(header)) {
    if (v === undefined) delete h[k];
    else h[k] = v;
  }
  return sign(alg, h, claims(over));
}

let bundle: TrustBundle;
let weakRsaJwk: JsonWebKey;
let weakRsaKey: CryptoKey;

beforeAll(async () => {
  const ec = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const;
  for (const [alg, namedCurve] of Object.entries(ec) as Array<[Alg, string]>) {
    const kp = (await wc.generateKey({ name: 'ECDSA', namedCurve }, true, ['sign', 'verify'])) as CryptoKeyPair;
    signers.set(alg, { alg, privateKey: kp.privateKey, publicJwk: await publicJwk(kp.publicKey) });
  }
  for (const bits of ['256', '384', '512']) {
    const rs = await rsaKey(`SHA-${bits}`, 'RSASSA-PKCS1-v1_5');
    signers.set(`RS${bits}` as Alg, { alg: `RS${bits}` as Alg, privateKey: rs.privateKey, publicJwk: await publicJwk(rs.publicKey) });
    const ps = await rsaKey(`SHA-${bits}`, 'RSA-PSS');
    signers.set(`PS${bits}` as Alg, { alg: `PS${bits}` as Alg, privateKey: ps.privateKey, publicJwk: await publicJwk(ps.publicKey) });
  }
  const weak = await rsaKey('SHA-256', 'RSASSA-PKCS1-v1_5', 1024);
  weakRsaKey = weak.privateKey;
  weakRsaJwk = await publicJwk(weak.publicKey);
  const jwtAuthorities: Record<string, JsonWebKey> = { weak: weakRsaJwk, pinned: { ...signers.get('RS256')!.publicJwk, alg: 'RS256' } };
  for (const [alg, s] of signers) jwtAuthorities[alg] = s.publicJwk;
  bundle = new TrustBundle(TD, { jwtAuthorities });
});

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok' | 'not a TrustError'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof TrustError ? err.code : 'not a TrustError';
  }
}

const opts = { audience: AUD, at: NOW };

describe('validateJwtSvid accepts', () => {
  it.each<Alg>(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'])('%s', async (alg) => {
    const svid = await validateJwtSvid(await token(alg), bundle, opts);
    expect(svid.id.toString()).toBe(SUB);
    expect(svid.claims.sub).toBe(SUB);
    expect(svid.claims.aud).toEqual([AUD]);
    expect(svid.claims.exp).toBe(T + 300);
    expect(svid.header).toEqual({ alg, kid: alg, typ: 'JWT' });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['typ JOSE', {}, { typ: 'JOSE' }],
    ['no typ', {}, { typ: undefined }],
    ['aud as a string', { aud: AUD }, {}],
    ['aud with several values', { aud: ['other', AUD] }, {}],
    ['no iat', { iat: undefined }, {}],
    ['nbf in the past', { nbf: T - 1 }, {}],
    ['nbf exactly now', { nbf: T }, {}],
    ['iat exactly now', { iat: T }, {}],
    ['exp one second ahead', { exp: T + 1 }, {}],
    ['private claims', { tenant: 't1', nested: { a: [1] } }, {}],
  ])('%s', async (_name, over, header) => {
    const svid = await validateJwtSvid(await token('ES256', over, header), bundle, opts);
    expect(svid.id.toString()).toBe(SUB);
  });

  it('a JWK pinned to its alg', async () => {
    const t = await sign('RS256', { alg: 'RS256', kid: 'pinned' }, claims());
    expect((await validateJwtSvid(t, bundle, opts)).header.alg).toBe('RS256');
  });

  it('any one of several expected audiences', async () => {
    await expect(validateJwtSvid(await token(), bundle, { ...opts, audience: ['x', AUD] })).resolves.toBeTruthy();
  });

  it('clock tolerance on exp, nbf and iat', async () => {
    const o = { ...opts, clockTolerance: 30 };
    await expect(validateJwtSvid(await token('ES256', { exp: T - 20 }), bundle, o)).resolves.toBeTruthy();
    await expect(validateJwtSvid(await token('ES256', { nbf: T + 20 }), bundle, o)).resolves.toBeTruthy();
    await expect(validateJwtSvid(await token('ES256', { iat: T + 20 }), bundle, o)).resolves.toBeTruthy();
    expect(await codeOf(validateJwtSvid(await token('ES256', { exp: T - 30 }), bundle, o))).toBe('ERR_JWT_EXPIRED');
  });

  it('a token made by jose (interop)', async () => {
    const t = await new jose.SignJWT({ extra: 1 })
      .setProtectedHeader({ alg: 'ES384', kid: 'ES384', typ: 'JWT' })
      .setSubject(SUB)
      .setAudience(AUD)
      .setIssuedAt(T - 5)
      .setExpirationTime(T + 60)
      .sign(signers.get('ES384')!.privateKey);
    const svid = await validateJwtSvid(t, bundle, opts);
    expect(svid.claims['extra']).toBe(1);
  });

  it('through a BundleSet and an async live source, choosing the bundle by the subject', async () => {
    const other = new TrustBundle('other.test', { jwtAuthorities: { ES256: signers.get('ES256')!.publicJwk } });
    const set = new BundleSet([bundle, other]);
    const t = await token('ES256', { sub: 'spiffe://other.test/w' });
    expect((await validateJwtSvid(t, set, opts)).id.trustDomain.name).toBe('other.test');
    const live: BundleSource = { getBundle: async (td) => set.getBundle(td) };
    expect((await validateJwtSvid(t, live, opts)).id.toString()).toBe('spiffe://other.test/w');
  });
});

describe('validateJwtSvid rejects', () => {
  it.each<[string, () => Promise<string>, ErrorCode]>([
    // algorithms
    ['alg none', async () => `${b64json({ alg: 'none', kid: 'ES256' })}.${b64json(claims())}.`, 'ERR_JWS_ALGORITHM_NOT_ALLOWED'],
    ['alg missing', async () => sign('ES256', { kid: 'ES256' }, claims()), 'ERR_JWS_ALGORITHM_NOT_ALLOWED'],
    ['alg lowercase', async () => sign('ES256', { alg: 'es256', kid: 'ES256' }, claims()), 'ERR_JWS_ALGORITHM_NOT_ALLOWED'],
    [
      'HS256',
      async () => new jose.SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'ES256' }).sign(new Uint8Array(32).fill(7)),
      'ERR_JWS_ALGORITHM_NOT_ALLOWED',
    ],
    [
      'EdDSA',
      async () => {
        const kp = (await wc.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
        const input = `${b64json({ alg: 'EdDSA', kid: 'ES256' })}.${b64json(claims())}`;
        return `${input}.${b64urlEncode(new Uint8Array(await wc.sign('Ed25519', kp.privateKey, enc.encode(input))))}`;
      },
      'ERR_JWS_ALGORITHM_NOT_ALLOWED',
    ],
    // the key decides the algorithm
    ['ES256 header over an RSA key', async () => sign('ES256', { alg: 'ES256', kid: 'RS256' }, claims()), 'ERR_JWS_KEY_ALGORITHM_MISMATCH'],
    ['RS256 header over an EC key', async () => sign('RS256', { alg: 'RS256', kid: 'ES256' }, claims()), 'ERR_JWS_KEY_ALGORITHM_MISMATCH'],
    ['ES384 header over a P-256 key', async () => sign('ES384', { alg: 'ES384', kid: 'ES256' }, claims()), 'ERR_JWS_KEY_ALGORITHM_MISMATCH'],
    ['PS256 over a key pinned to RS256', async () => sign('PS256', { alg: 'PS256', kid: 'pinned' }, claims()), 'ERR_JWS_KEY_ALGORITHM_MISMATCH'],
    ['RSA key under 2048 bits', async () => sign('RS256', { alg: 'RS256', kid: 'weak' }, claims(), weakRsaKey), 'ERR_KEY_UNSUPPORTED'],
    // header rules
    ['typ JWE', async () => token('ES256', {}, { typ: 'JWE' }), 'ERR_JWS_TYP_INVALID'],
    ['typ lowercase jwt', async () => token('ES256', {}, { typ: 'jwt' }), 'ERR_JWS_TYP_INVALID'],
    ['typ not a string', async () => token('ES256', {}, { typ: 1 }), 'ERR_JWS_TYP_INVALID'],
    ['crit', async () => token('ES256', {}, { crit: ['exp'], exp: 1 }), 'ERR_JWS_CRIT_UNSUPPORTED'],
    ['empty crit', async () => token('ES256', {}, { crit: [] }), 'ERR_JWS_CRIT_UNSUPPORTED'],
    ['jku header', async () => token('ES256', {}, { jku: 'https://evil.test/jwks' }), 'ERR_JWS_MALFORMED'],
    ['embedded jwk header', async () => token('ES256', {}, { jwk: signers.get('ES256')!.publicJwk }), 'ERR_JWS_MALFORMED'],
    ['x5c header', async () => token('ES256', {}, { x5c: ['AAAA'] }), 'ERR_JWS_MALFORMED'],
    ['kid missing', async () => token('ES256', {}, { kid: undefined }), 'ERR_JWS_KEY_NOT_FOUND'],
    ['kid empty', async () => token('ES256', {}, { kid: '' }), 'ERR_JWS_KEY_NOT_FOUND'],
    ['kid unknown', async () => token('ES256', {}, { kid: 'nope' }), 'ERR_JWS_KEY_NOT_FOUND'],
    ['kid not a string', async () => token('ES256', {}, { kid: 7 }), 'ERR_JWS_MALFORMED'],
    // subject
    ['sub missing', async () => token('ES256', { sub: undefined }), 'ERR_JWT_CLAIM_INVALID'],
    ['sub not a string', async () => token('ES256', { sub: 5 }), 'ERR_JWT_CLAIM_INVALID'],
    ['sub not a SPIFFE ID', async () => token('ES256', { sub: 'user@example.org' }), 'ERR_SPIFFE_ID_INVALID'],
    ['sub with a trailing slash', async () => token('ES256', { sub: 'spiffe://example.org/w/' }), 'ERR_SPIFFE_ID_INVALID'],
    ['sub in a trust domain without a bundle', async () => token('ES256', { sub: 'spiffe://evil.test/w' }), 'ERR_BUNDLE_NOT_FOUND'],
    // signature
    [
      'signature by another key',
      async () => {
        const kp = (await wc.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])) as CryptoKeyPair;
        return sign('ES256', { alg: 'ES256', kid: 'ES256' }, claims(), kp.privateKey);
      },
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    [
      'payload changed after signing',
      async () => {
        const [h, , s] = (await token()).split('.');
        return `${h}.${b64json(claims({ sub: 'spiffe://example.org/admin' }))}.${s}`;
      },
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    [
      'header changed after signing',
      async () => {
        const [, p, s] = (await token()).split('.');
        return `${b64json({ alg: 'ES256', kid: 'ES256', typ: 'JOSE' })}.${p}.${s}`;
      },
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    [
      'signature truncated',
      async () => {
        const t = await token();
        const sig = Uint8Array.from(atob(t.split('.')[2]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
        return t.replace(/[^.]*$/, b64urlEncode(sig.subarray(0, sig.length - 3)));
      },
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    ['signature empty', async () => (await token()).replace(/\.[^.]*$/, '.'), 'ERR_JWS_SIGNATURE_INVALID'],
    [
      'RS256 signature under a PS256 header',
      async () => {
        const input = `${b64json({ alg: 'PS256', kid: 'RS256' })}.${b64json(claims())}`;
        const sig = await wc.sign('RSASSA-PKCS1-v1_5', signers.get('RS256')!.privateKey, enc.encode(input));
        return `${input}.${b64urlEncode(new Uint8Array(sig))}`;
      },
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    // registered claims
    ['exp missing', async () => token('ES256', { exp: undefined }), 'ERR_JWT_CLAIM_INVALID'],
    ['exp a string', async () => token('ES256', { exp: String(T + 60) }), 'ERR_JWT_CLAIM_INVALID'],
    ['exp in the past', async () => token('ES256', { exp: T - 1 }), 'ERR_JWT_EXPIRED'],
    ['exp exactly now', async () => token('ES256', { exp: T }), 'ERR_JWT_EXPIRED'],
    ['nbf in the future', async () => token('ES256', { nbf: T + 1 }), 'ERR_JWT_NOT_YET_VALID'],
    ['iat in the future', async () => token('ES256', { iat: T + 1 }), 'ERR_JWT_NOT_YET_VALID'],
    ['nbf not a number', async () => token('ES256', { nbf: 'soon' }), 'ERR_JWT_CLAIM_INVALID'],
    ['aud missing', async () => token('ES256', { aud: undefined }), 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud empty', async () => token('ES256', { aud: [] }), 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud another service', async () => token('ES256', { aud: 'spiffe://example.org/billing' }), 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud differs in case', async () => token('ES256', { aud: AUD.toUpperCase() }), 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud a number', async () => token('ES256', { aud: 1 }), 'ERR_JWT_CLAIM_INVALID'],
    ['aud an array with a number', async () => token('ES256', { aud: [AUD, 1] }), 'ERR_JWT_CLAIM_INVALID'],
    // serialization
    ['empty string', async () => '', 'ERR_JWS_MALFORMED'],
    ['two parts', async () => (await token()).split('.').slice(0, 2).join('.'), 'ERR_JWS_MALFORMED'],
    ['four parts', async () => `${await token()}.x`, 'ERR_JWS_MALFORMED'],
    ['five parts (JWE)', async () => 'a.b.c.d.e', 'ERR_JWS_MALFORMED'],
    ['JWS JSON serialization', async () => JSON.stringify({ payload: 'x', signatures: [] }), 'ERR_JWS_MALFORMED'],
    ['padding characters', async () => `${await token()}==`, 'ERR_JWS_MALFORMED'],
    ['whitespace', async () => ` ${await token()}`, 'ERR_JWS_MALFORMED'],
    ['header not JSON', async () => `${b64urlEncode(enc.encode('{alg'))}.${b64json(claims())}.AAAA`, 'ERR_JWS_MALFORMED'],
    ['header an array', async () => `${b64json(['ES256'])}.${b64json(claims())}.AAAA`, 'ERR_JWS_MALFORMED'],
    ['header null', async () => `${b64json(null)}.${b64json(claims())}.AAAA`, 'ERR_JWS_MALFORMED'],
    ['payload not JSON', async () => sign('ES256', { alg: 'ES256', kid: 'ES256' }, claims()).then((t) => t.replace(/\.[^.]+\./, '.bm90IGpzb24.')), 'ERR_JWS_MALFORMED'],
    ['payload a string', async () => `${b64json({ alg: 'ES256', kid: 'ES256' })}.${b64json('x')}.AAAA`, 'ERR_JWS_MALFORMED'],
    ['header too large', async () => token('ES256', {}, { kid: 'k'.repeat(3000) }), 'ERR_JWS_HEADER_TOO_LARGE'],
    ['token too large', async () => token('ES256', { pad: 'p'.repeat(20_000) }), 'ERR_JWS_MALFORMED'],
  ])('%s', async (_name, make, code) => {
    expect(await codeOf(validateJwtSvid(await make(), bundle, opts))).toBe(code);
  });

  it.each<[string, unknown]>([
    ['a number', 42],
    ['null', null],
    ['an object', { token: 'x' }],
  ])('a token that is %s', async (_name, t) => {
    expect(await codeOf(validateJwtSvid(t as string, bundle, opts))).toBe('ERR_JWS_MALFORMED');
  });

  it('a subject the matcher does not accept', async () => {
    const p = validateJwtSvid(await token(), bundle, { ...opts, match: matchId('spiffe://example.org/other') });
    await expect(p).rejects.toMatchObject({ code: 'ERR_SPIFFE_ID_NOT_AUTHORIZED' });
  });

  it('a bundle key whose point is not on its curve, in every runtime', async () => {
    const good = signers.get('ES256')!.publicJwk;
    const y = b64urlDecode(good.y!);
    y[31]! ^= 0x01;
    const bent = new TrustBundle(TD, { jwtAuthorities: { ES256: { ...good, y: b64urlEncode(y) } } });
    expect(await codeOf(validateJwtSvid(await token(), bent, opts))).toBe('ERR_KEY_UNSUPPORTED');
  });

  it('a revoked key (bundle without it)', async () => {
    const revoked = new TrustBundle(TD, {});
    expect(await codeOf(validateJwtSvid(await token(), revoked, opts))).toBe('ERR_JWS_KEY_NOT_FOUND');
  });

  it('a bundle source that fails with a foreign error, without leaking its message', async () => {
    const broken: BundleSource = {
      getBundle: () => {
        throw new Error('socket hang up');
      },
    };
    const err = await validateJwtSvid(await token(), broken, opts).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_BUNDLE_NOT_FOUND' });
    expect((err as Error).message).not.toContain('socket');
  });

  it.each<[string, object]>([
    ['no audience', { audience: undefined }],
    ['empty audience', { audience: '' }],
    ['empty audience list', { audience: [] }],
    ['negative tolerance', { audience: AUD, clockTolerance: -1 }],
    ['huge tolerance', { audience: AUD, clockTolerance: 3600 }],
    ['invalid date', { audience: AUD, at: new Date(NaN) }],
  ])('bad options: %s', async (_name, o) => {
    expect(await codeOf(validateJwtSvid(await token(), bundle, o as never))).toBe('ERR_INPUT_INVALID');
  });

  it('missing bundle source or options', async () => {
    expect(await codeOf(validateJwtSvid(await token(), undefined as never, opts))).toBe('ERR_INPUT_INVALID');
    expect(await codeOf(validateJwtSvid(await token(), bundle, undefined as never))).toBe('ERR_INPUT_INVALID');
  });

  it('does not leak engine messages', async () => {
    const err = await validateJwtSvid(await token('ES256', {}, { alg: 'HS256' }), bundle, opts).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^jwtsvid: /);
  });
});
