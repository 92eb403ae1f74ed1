/**
 * The SVID rejection tables, shared by the core's tests (test/core/svid.test.ts,
 * test/core/jwt-svid.test.ts) and the HTTP endpoints' tests (the worker in workerd, `cardtrust
 * serve` over real HTTP), so the endpoints are held to exactly the core's cases.
 */
import * as jose from 'jose';
import { TrustBundle } from '../../shared/bundle/index.js';
import type { ErrorCode } from '../../shared/errors.js';
import { b64urlEncode } from '../../shared/lib/encoding.js';
import { KeyUsage, TestCA, type IssueOptions, type SVID } from './ca.js';

const HOUR = 3600_000;
const enc = new TextEncoder();

/** A view of the fixture `get` returns, read at each property access. */
function lazy<T extends object>(get: () => T): T {
  return new Proxy({} as T, { get: (_t, key) => { const v = (get() as Record<PropertyKey, unknown>)[key]; return typeof v === 'function' ? v.bind(get()) : v; } });
}

/** A chain as `verifyX509Svid` takes it: one PEM text, or certificates as DER. */
export type ChainInput = string | readonly Uint8Array[];

export interface X509Fixture {
  readonly trustDomain: string;
  readonly id: string;
  readonly root: TestCA;
  readonly inter: TestCA;
  readonly bundle: TrustBundle;
  svid(options?: IssueOptions, id?: string, ca?: TestCA): Promise<SVID>;
}

/**
 * A root and an intermediate of `trustDomain`, and its bundle. `rootSan`: the root carries the
 * trust domain's SPIFFE ID as a URI SAN (as `cardtrust ca init` and SPIRE make them), so a bundle
 * file of it names its trust domain.
 */
export async function createX509Fixture(trustDomain = 'example.org', options: { rootSan?: boolean } = {}): Promise<X509Fixture> {
  const root = await TestCA.create({ trustDomain, ...(options.rootSan ? { uris: [`spiffe://${trustDomain}`] } : {}) });
  const inter = await root.childCA();
  const id = `spiffe://${trustDomain}/workload`;
  return {
    trustDomain,
    id,
    root,
    inter,
    bundle: new TrustBundle(trustDomain, { x509Authorities: [root.der] }),
    svid: (options = {}, sid = id, ca = inter) => ca.issueSVID(sid, options),
  };
}

/** Chains `verifyX509Svid` refuses, with the code it refuses them with (`get`: the fixture, once made). */
export function x509RejectCases(get: () => X509Fixture): Array<[string, () => Promise<ChainInput>, ErrorCode]> {
  // the fixture is made in a beforeAll, after the table is collected: read it when a case runs
  const fx = lazy(get);
  const svid = (o: IssueOptions = {}, id = fx.id) => fx.svid(o, id);
  return [
    // guard clauses
    ['an empty chain', async () => [], 'ERR_SVID_CHAIN_EMPTY'],
    ['an empty PEM text', async () => '', 'ERR_SVID_CHAIN_EMPTY'],
    ['text without PEM', async () => 'hello', 'ERR_PEM_MALFORMED'],
    ['bytes that are not a certificate', async () => [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])], 'ERR_X509_MALFORMED'],
    // leaf SVID rules
    ['a leaf with cA true', async () => (await svid({ ca: true, keyUsage: KeyUsage.digitalSignature })).der, 'ERR_SVID_LEAF_IS_CA'],
    ['a leaf with keyCertSign', async () => (await svid({ keyUsage: KeyUsage.digitalSignature | KeyUsage.keyCertSign })).der, 'ERR_SVID_KEY_USAGE_INVALID'],
    ['a leaf with cRLSign', async () => (await svid({ keyUsage: KeyUsage.digitalSignature | KeyUsage.cRLSign })).der, 'ERR_SVID_KEY_USAGE_INVALID'],
    ['a leaf without digitalSignature', async () => (await svid({ keyUsage: KeyUsage.keyEncipherment | KeyUsage.keyAgreement })).der, 'ERR_SVID_KEY_USAGE_INVALID'],
    ['a leaf without key usage', async () => (await svid({ keyUsage: null })).der, 'ERR_SVID_KEY_USAGE_INVALID'],
    ['a leaf with two URI SANs', async () => (await svid({ uris: [fx.id, `spiffe://${fx.trustDomain}/other`] })).der, 'ERR_SVID_URI_SAN_INVALID'],
    ['a leaf with a SPIFFE and an https URI SAN', async () => (await svid({ uris: [fx.id, `https://${fx.trustDomain}/`] })).der, 'ERR_SVID_URI_SAN_INVALID'],
    ['a leaf without a URI SAN', async () => (await svid({ uris: [], dnsNames: [`workload.${fx.trustDomain}`] })).der, 'ERR_SVID_URI_SAN_INVALID'],
    ['a leaf with the root path', async () => (await svid({}, `spiffe://${fx.trustDomain}`)).der, 'ERR_SVID_URI_SAN_INVALID'],
    ['a leaf with an https URI', async () => (await svid({}, `https://${fx.trustDomain}/workload`)).der, 'ERR_SPIFFE_ID_INVALID'],
    ['a leaf with an uppercase trust domain', async () => (await svid({}, `spiffe://${fx.trustDomain.toUpperCase()}/w`)).der, 'ERR_SPIFFE_ID_INVALID'],
    ['a leaf with a trailing slash', async () => (await svid({}, `spiffe://${fx.trustDomain}/w/`)).der, 'ERR_SPIFFE_ID_INVALID'],
    // bundle lookup
    ['a leaf in a trust domain without a bundle', async () => (await svid({}, 'spiffe://other.test/workload')).der, 'ERR_BUNDLE_NOT_FOUND'],
    // path validation
    ['an expired leaf', async () => (await svid({ notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) })).der, 'ERR_X509_EXPIRED'],
    ['a leaf not yet valid', async () => (await svid({ notBefore: new Date(Date.now() + HOUR), lifetime: HOUR })).der, 'ERR_X509_NOT_YET_VALID'],
    [
      'an expired intermediate',
      async () => (await (await fx.root.childCA({ notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) })).issueSVID(fx.id)).der,
      'ERR_X509_EXPIRED',
    ],
    ['an intermediate without keyCertSign', async () => (await (await fx.root.childCA({ keyUsage: KeyUsage.cRLSign | KeyUsage.digitalSignature })).issueSVID(fx.id)).der, 'ERR_X509_KEY_USAGE_INVALID'],
    ['an intermediate that is not a CA', async () => (await (await fx.root.childCA({ ca: false })).issueSVID(fx.id)).der, 'ERR_X509_ISSUER_NOT_CA'],
    ['an unknown root', async () => (await (await TestCA.create({ trustDomain: fx.trustDomain })).issueSVID(fx.id)).der, 'ERR_X509_CHAIN_UNTRUSTED'],
    ['a missing intermediate', async () => [(await svid()).der[0]!], 'ERR_X509_CHAIN_UNTRUSTED'],
    ['a leaf first, then a wrong intermediate', async () => [(await svid()).der[0]!, (await fx.root.childCA()).der], 'ERR_X509_CHAIN_UNTRUSTED'],
    ['an intermediate presented as the leaf', async () => [fx.inter.der, fx.root.der], 'ERR_SVID_URI_SAN_INVALID'],
    ['a signing certificate whose SPIFFE ID has a path', async () => (await (await fx.root.childCA({ uris: [`spiffe://${fx.trustDomain}/ca`] })).issueSVID(fx.id)).der, 'ERR_SVID_URI_SAN_INVALID'],
  ];
}

export type Alg = 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512';
export const ALGS: readonly Alg[] = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

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

export interface Signer {
  readonly alg: Alg;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JsonWebKey;
}

/**
 * JWT-SVID signing keys of every allowed algorithm (the bundle's `kid` is the algorithm), plus a
 * 1024-bit RSA key (`weak`) and the RS256 key pinned to its `alg` (`pinned`). Tokens are signed
 * with the platform's WebCrypto; `T` is the validation time in seconds.
 */
export class JwtFixture {
  readonly trustDomain = 'example.org';
  readonly sub = 'spiffe://example.org/workload';
  readonly aud = 'spiffe://example.org/reports';

  private constructor(
    readonly T: number,
    readonly signers: ReadonlyMap<Alg, Signer>,
    readonly weakRsaKey: CryptoKey,
    readonly bundle: TrustBundle,
  ) {}

  static async create(T: number): Promise<JwtFixture> {
    const wc = globalThis.crypto.subtle;
    const publicJwk = async (key: CryptoKey): Promise<JsonWebKey> => {
      const { kty, crv, x, y, n, e } = await wc.exportKey('jwk', key);
      return JSON.parse(JSON.stringify({ kty, crv, x, y, n, e })) as JsonWebKey;
    };
    const rsaKey = async (hash: string, name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS', bits = 2048) =>
      (await wc.generateKey({ name, modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const signers = new Map<Alg, Signer>();
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
    const jwtAuthorities: Record<string, JsonWebKey> = { weak: await publicJwk(weak.publicKey), pinned: { ...signers.get('RS256')!.publicJwk, alg: 'RS256' } };
    for (const [alg, s] of signers) jwtAuthorities[alg] = s.publicJwk;
    return new JwtFixture(T, signers, weak.privateKey, new TrustBundle('example.org', { jwtAuthorities }));
  }

  b64json(v: unknown): string {
    return b64urlEncode(enc.encode(JSON.stringify(v)));
  }

  async sign(alg: Alg, header: Record<string, unknown>, claims: Record<string, unknown>, key?: CryptoKey): Promise<string> {
    const input = `${this.b64json(header)}.${this.b64json(claims)}`;
    const sig = await globalThis.crypto.subtle.sign(SIGN_PARAMS[alg], key ?? this.signers.get(alg)!.privateKey, enc.encode(input));
    return `${input}.${b64urlEncode(new Uint8Array(sig))}`;
  }

  claims(over: Record<string, unknown> = {}): Record<string, unknown> {
    const base: Record<string, unknown> = { sub: this.sub, aud: [this.aud], exp: this.T + 300, iat: this.T - 10 };
    for (const [k, v] of Object.entries(over)) {
      if (v === undefined) delete base[k];
      else base[k] = v;
    }
    return base;
  }

  token(alg: Alg = 'ES256', over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
    const h: Record<string, unknown> = { alg, kid: alg, typ: 'JWT' };
    for (const [k, v] of Object.entries(header)) {
      if (v === undefined) delete h[k];
      else h[k] = v;
    }
    return this.sign(alg, h, this.claims(over));
  }
}

/** Tokens `validateJwtSvid` refuses for audience `fx.aud` at `fx.T`, with the code it refuses them with. */
export function jwtRejectCases(get: () => JwtFixture): Array<[string, () => Promise<string>, ErrorCode]> {
  const wc = globalThis.crypto.subtle;
  const fx = lazy(get);
  const b64json = (v: unknown) => fx.b64json(v);
  const sign = (...a: Parameters<JwtFixture['sign']>) => fx.sign(...a);
  const claims = (o?: Record<string, unknown>) => fx.claims(o);
  const token = (...a: Parameters<JwtFixture['token']>) => fx.token(...a);
  return [
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
    ['RSA key under 2048 bits', async () => sign('RS256', { alg: 'RS256', kid: 'weak' }, claims(), fx.weakRsaKey), 'ERR_KEY_UNSUPPORTED'],
    // header rules
    ['typ JWE', async () => token('ES256', {}, { typ: 'JWE' }), 'ERR_JWS_TYP_INVALID'],
    ['typ lowercase jwt', async () => token('ES256', {}, { typ: 'jwt' }), 'ERR_JWS_TYP_INVALID'],
    ['typ not a string', async () => token('ES256', {}, { typ: 1 }), 'ERR_JWS_TYP_INVALID'],
    ['crit', async () => token('ES256', {}, { crit: ['exp'], exp: 1 }), 'ERR_JWS_CRIT_UNSUPPORTED'],
    ['empty crit', async () => token('ES256', {}, { crit: [] }), 'ERR_JWS_CRIT_UNSUPPORTED'],
    ['jku header', async () => token('ES256', {}, { jku: 'https://evil.test/jwks' }), 'ERR_JWS_MALFORMED'],
    ['embedded jwk header', async () => token('ES256', {}, { jwk: fx.signers.get('ES256')!.publicJwk }), 'ERR_JWS_MALFORMED'],
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
        const sig = await wc.sign('RSASSA-PKCS1-v1_5', fx.signers.get('RS256')!.privateKey, enc.encode(input));
        return `${input}.${b64urlEncode(new Uint8Array(sig))}`;
      },
      'ERR_JWS_SIGNATURE_INVALID',
    ],
    // registered claims
    ['exp missing', async () => token('ES256', { exp: undefined }), 'ERR_JWT_CLAIM_INVALID'],
    ['exp a string', async () => token('ES256', { exp: String(fx.T + 60) }), 'ERR_JWT_CLAIM_INVALID'],
    ['exp in the past', async () => token('ES256', { exp: fx.T - 1 }), 'ERR_JWT_EXPIRED'],
    ['exp exactly now', async () => token('ES256', { exp: fx.T }), 'ERR_JWT_EXPIRED'],
    ['nbf in the future', async () => token('ES256', { nbf: fx.T + 1 }), 'ERR_JWT_NOT_YET_VALID'],
    ['iat in the future', async () => token('ES256', { iat: fx.T + 1 }), 'ERR_JWT_NOT_YET_VALID'],
    ['nbf not a number', async () => token('ES256', { nbf: 'soon' }), 'ERR_JWT_CLAIM_INVALID'],
    ['aud missing', async () => token('ES256', { aud: undefined }), 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud empty', async () => token('ES256', { aud: [] }), 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud another service', async () => token('ES256', { aud: 'spiffe://example.org/billing' }), 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud differs in case', async () => token('ES256', { aud: fx.aud.toUpperCase() }), 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud a number', async () => token('ES256', { aud: 1 }), 'ERR_JWT_CLAIM_INVALID'],
    ['aud an array with a number', async () => token('ES256', { aud: [fx.aud, 1] }), 'ERR_JWT_CLAIM_INVALID'],
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
  ];
}
