import { beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import { validateJwtSvid } from '../../shared/svid/index.js';
import { BundleSet, TrustBundle, type BundleSource } from '../../shared/bundle/index.js';
import { matchId } from '../../shared/spiffe/index.js';
import { TrustError, type ErrorCode } from '../../shared/errors.js';
import { b64urlDecode, b64urlEncode } from '../../shared/lib/encoding.js';
import { JwtFixture, jwtRejectCases, type Alg } from '../support/svid-cases.js';

// Tokens are signed here with the platform's WebCrypto (and jose for an interop check); the core
// verifies with its own provider, so the peculiar run also proves keys cross as JWKs only.
const wc = globalThis.crypto.subtle;
const enc = new TextEncoder();
const NOW = new Date('2030-01-01T00:00:00Z');
const T = NOW.getTime() / 1000;
const TD = 'example.org';
const SUB = 'spiffe://example.org/workload';
const AUD = 'spiffe://example.org/reports';

let fx: JwtFixture;
let bundle: TrustBundle;
let signers: JwtFixture['signers'];
const b64json = (v: unknown) => fx.b64json(v);
const sign = (...a: Parameters<JwtFixture['sign']>) => fx.sign(...a);
const claims = (over?: Record<string, unknown>) => fx.claims(over);
const token = (...a: Parameters<JwtFixture['token']>) => fx.token(...a);

beforeAll(async () => {
  fx = await JwtFixture.create(T);
  ({ bundle, signers } = fx);
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
  it.each(jwtRejectCases(() => fx))('%s', async (_name, make, code) => {
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
