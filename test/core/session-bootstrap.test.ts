// Bootstrap tokens: every claim rule with its exact code, alg confusion, the session_public_key
// forms (JWK, PEM SPKI) and the replay guard. Runs in Node, Node + @peculiar and workerd.
import { beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import {
  generateSessionKeyPair,
  importBootstrapPublicKey,
  mintBootstrapToken,
  verifyBootstrapToken,
  type SessionKeyPair,
  type VerifyBootstrapTokenOptions,
} from '../../shared/session/index.js';
import { MemoryReplayGuard, type ReplayGuard } from '../../shared/store/index.js';
import { exportPublicKeyPem, generateKeyPair } from '../../shared/ca/index.js';
import { getCrypto } from '../../shared/crypto.js';
import type { ErrorCode } from '../../shared/errors.js';
import { b64json, signHs256, signJws } from '../support/jws.js';
import { testKeyPair } from '../support/ca.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const T = NOW.getTime() / 1000;
const ISS = 'cardtrust';
const AUD = 'cardtrust-sandbox';
const SID = 'session-1';

let ec: CryptoKeyPair;
let rsa: CryptoKeyPair;
let other: CryptoKeyPair;
let p384: CryptoKeyPair;
let session: SessionKeyPair;
let ecPem: string;

beforeAll(async () => {
  [ec, rsa, other, p384, session] = await Promise.all([
    generateKeyPair('P-256'),
    testKeyPair('RSA'),
    generateKeyPair('P-256'),
    generateKeyPair('P-384'),
    generateSessionKeyPair(),
  ]);
  ecPem = await exportPublicKeyPem(ec.publicKey);
});

function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { iss: ISS, sub: SID, aud: AUD, jti: 'j-1', iat: T - 10, exp: T + 200, session_public_key: session.publicJwk };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

function opts(over: Partial<VerifyBootstrapTokenOptions> = {}): VerifyBootstrapTokenOptions {
  return { key: ec.publicKey, issuer: ISS, audience: AUD, replayGuard: new MemoryReplayGuard(), now: () => NOW, ...over };
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code: ErrorCode }).code;
  }
}

describe('mintBootstrapToken → verifyBootstrapToken', () => {
  it('ES256 round trip: claims, session key, thumbprint', async () => {
    const token = await mintBootstrapToken({ privateKey: ec.privateKey, issuer: ISS, audience: AUD, sessionId: SID, sessionPublicKey: session.publicJwk, now: () => NOW, kid: 'k1' });
    expect(jose.decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'k1' });
    const r = await verifyBootstrapToken(token, opts({ sessionId: SID }));
    expect(r.sessionId).toBe(SID);
    expect(r.thumbprint).toBe(session.thumbprint);
    expect(r.sessionJwk).toEqual(session.publicJwk);
    expect(r.claims).toMatchObject({ iss: ISS, sub: SID, aud: AUD, iat: T, exp: T + 300 });
    expect(typeof r.claims.jti).toBe('string');
    expect(r.sessionKey.type).toBe('public');
  });

  it('RS256 round trip, with the key as CryptoKey, PEM SPKI and JWK', async () => {
    const token = await mintBootstrapToken({ privateKey: rsa.privateKey, issuer: ISS, audience: AUD, sessionId: SID, sessionPublicKey: session.publicJwk, now: () => NOW });
    expect(jose.decodeProtectedHeader(token).alg).toBe('RS256');
    const pem = await exportPublicKeyPem(rsa.publicKey);
    const jwk = (await getCrypto().subtle.exportKey('jwk', rsa.publicKey)) as JsonWebKey;
    const guard = new MemoryReplayGuard();
    // each verification claims the jti: use a fresh guard per key form
    expect((await verifyBootstrapToken(token, opts({ key: rsa.publicKey, replayGuard: guard }))).thumbprint).toBe(session.thumbprint);
    expect(await codeOf(verifyBootstrapToken(token, opts({ key: pem, replayGuard: new MemoryReplayGuard() })))).toBe('ok');
    expect(await codeOf(verifyBootstrapToken(token, opts({ key: { kty: 'RSA', n: jwk.n, e: jwk.e } as JsonWebKey })))).toBe('ok');
  });

  it('accepts the bootstrap key as PEM SPKI and session_public_key as PEM SPKI (AgentCube format)', async () => {
    const sessionPem = await exportPublicKeyPem(session.publicKey);
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims({ session_public_key: sessionPem }), ec.privateKey);
    const r = await verifyBootstrapToken(token, opts({ key: ecPem }));
    expect(r.thumbprint).toBe(session.thumbprint);
    expect(r.sessionJwk).toEqual(session.publicJwk);
    expect(r.claims.session_public_key).toBe(sessionPem);
  });

  it('verifies tokens made by jose (RS256 and ES256), and jose verifies ours', async () => {
    for (const alg of ['ES256', 'RS256'] as const) {
      const pair = await jose.generateKeyPair(alg, { extractable: true });
      const pub = await jose.exportJWK(pair.publicKey);
      const token = await new jose.SignJWT({ session_public_key: session.publicJwk })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setIssuer(ISS).setSubject(SID).setAudience(AUD).setJti(`jose-${alg}`).setIssuedAt(T).setExpirationTime(T + 300)
        .sign(pair.privateKey);
      expect((await verifyBootstrapToken(token, opts({ key: pub }))).sessionId).toBe(SID);
    }
    const ours = await mintBootstrapToken({ privateKey: ec.privateKey, issuer: ISS, audience: AUD, sessionId: SID, sessionPublicKey: session.publicJwk, now: () => NOW });
    const pub = await jose.importJWK((await getCrypto().subtle.exportKey('jwk', ec.publicKey)) as jose.JWK, 'ES256');
    const { payload } = await jose.jwtVerify(ours, pub, { issuer: ISS, audience: AUD, currentDate: NOW });
    expect(payload['session_public_key']).toEqual(session.publicJwk);
  });
});

describe('verifyBootstrapToken claim rules (exact codes)', () => {
  const cases: Array<[string, Record<string, unknown>, Partial<VerifyBootstrapTokenOptions>, ErrorCode | 'ok']> = [
    ['valid', {}, {}, 'ok'],
    ['expired', { iat: T - 400, exp: T - 100 }, {}, 'ERR_JWT_EXPIRED'],
    ['expired within tolerance is still valid', { iat: T - 290, exp: T - 10 }, {}, 'ok'],
    ['expired beyond a zero tolerance', { iat: T - 290, exp: T - 10 }, { clockToleranceSeconds: 0 }, 'ERR_JWT_EXPIRED'],
    ['exp exactly now + tolerance', { iat: T - 100, exp: T - 30 }, {}, 'ERR_JWT_EXPIRED'],
    ['future-dated iat', { iat: T + 60, exp: T + 200 }, {}, 'ERR_JWT_NOT_YET_VALID'],
    ['iat in the future within tolerance', { iat: T + 20, exp: T + 200 }, {}, 'ok'],
    ['nbf in the future', { nbf: T + 100 }, {}, 'ERR_JWT_NOT_YET_VALID'],
    ['nbf not a number', { nbf: 'soon' }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['exp - iat > 5 min', { iat: T - 10, exp: T + 291 }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['exp - iat > a smaller max lifetime', { iat: T - 10, exp: T + 100 }, { maxLifetimeSeconds: 60 }, 'ERR_JWT_CLAIM_INVALID'],
    ['exp before iat', { iat: T + 10, exp: T + 5 }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['wrong aud', { aud: 'someone-else' }, {}, 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud array containing ours', { aud: ['x', AUD] }, {}, 'ok'],
    ['aud array without ours', { aud: ['x', 'y'] }, {}, 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['aud not a string', { aud: 7 }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing aud', { aud: undefined }, {}, 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['wrong iss', { iss: 'evil' }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing iss', { iss: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['wrong sub', { sub: 'session-2' }, { sessionId: SID }, 'ERR_JWT_CLAIM_INVALID'],
    ['any sub without a configured session id', { sub: 'session-2' }, {}, 'ok'],
    ['missing sub', { sub: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['empty sub', { sub: '' }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing jti', { jti: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['empty jti', { jti: '' }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['numeric jti', { jti: 42 }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing iat', { iat: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing exp', { exp: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['string exp', { exp: String(T + 100) }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing session_public_key', { session_public_key: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['session_public_key a number', { session_public_key: 5 }, {}, 'ERR_JWT_CLAIM_INVALID'],
  ];
  it.each(cases)('%s', async (_name, over, o, code) => {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(over), ec.privateKey);
    expect(await codeOf(verifyBootstrapToken(token, opts(o)))).toBe(code);
  });
});

describe('verifyBootstrapToken: keys and algorithms', () => {
  it('refuses a token signed by another key', async () => {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(), other.privateKey);
    expect(await codeOf(verifyBootstrapToken(token, opts()))).toBe('ERR_JWS_SIGNATURE_INVALID');
  });

  it('refuses a tampered payload', async () => {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(), ec.privateKey);
    const [h, , s] = token.split('.');
    expect(await codeOf(verifyBootstrapToken(`${h}.${b64json(claims({ sub: 'x' }))}.${s}`, opts()))).toBe('ERR_JWS_SIGNATURE_INVALID');
  });

  it('alg confusion: HS256 keyed with the public key bytes (PEM and SPKI DER)', async () => {
    const der = new Uint8Array(await getCrypto().subtle.exportKey('spki', ec.publicKey));
    for (const secret of [new TextEncoder().encode(ecPem), der]) {
      const token = await signHs256({ alg: 'HS256', typ: 'JWT' }, claims(), secret);
      expect(await codeOf(verifyBootstrapToken(token, opts({ key: ecPem })))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
    }
  });

  it('alg confusion: "none" with and without a signature', async () => {
    const unsigned = `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(claims())}.`;
    expect(await codeOf(verifyBootstrapToken(unsigned, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
    const withSig = (await signJws({ alg: 'none' }, claims(), ec.privateKey, 'ES256'));
    expect(await codeOf(verifyBootstrapToken(withSig, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
  });

  it('alg confusion: an RS256 header over an EC key, an ES256 header over an RSA key', async () => {
    const rsToken = await signJws({ alg: 'RS256', typ: 'JWT' }, claims(), ec.privateKey, 'ES256');
    expect(await codeOf(verifyBootstrapToken(rsToken, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
    const esToken = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(), rsa.privateKey, 'RS256');
    expect(await codeOf(verifyBootstrapToken(esToken, opts({ key: rsa.publicKey })))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
  });

  it('alg confusion: ES384 (a P-384 signature, and the ES384 name over P-256)', async () => {
    const t384 = await signJws({ alg: 'ES384', typ: 'JWT' }, claims(), p384.privateKey);
    expect(await codeOf(verifyBootstrapToken(t384, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
    // a P-384 verification key is not a bootstrap key at all
    expect(await codeOf(verifyBootstrapToken(t384, opts({ key: p384.publicKey })))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await codeOf(verifyBootstrapToken(t384, opts({ key: await exportPublicKeyPem(p384.publicKey) })))).toBe('ERR_KEY_UNSUPPORTED');
  });

  it.each([
    ['unknown crit', { alg: 'ES256', typ: 'JWT', crit: ['exp-ext'], 'exp-ext': 1 }, 'ERR_JWS_CRIT_UNSUPPORTED'],
    ['crit b64', { alg: 'ES256', crit: ['b64'], b64: false }, 'ERR_JWS_CRIT_UNSUPPORTED'],
    ['typ other than JWT', { alg: 'ES256', typ: 'at+jwt' }, 'ERR_JWS_TYP_INVALID'],
    ['no typ is fine', { alg: 'ES256' }, 'ok'],
    ['no alg', { typ: 'JWT' }, 'ERR_JWS_MALFORMED'],
    ['kid not a string', { alg: 'ES256', kid: 3 }, 'ERR_JWS_MALFORMED'],
  ] as const)('header: %s', async (_n, header, code) => {
    const token = await signJws(header as Record<string, unknown>, claims(), ec.privateKey, 'ES256');
    expect(await codeOf(verifyBootstrapToken(token, opts()))).toBe(code);
  });

  it.each([
    ['two segments', 'a.b'],
    ['four segments', 'a.b.c.d'],
    ['five segments (JWE)', 'a.b.c.d.e'],
    ['empty', ''],
    ['padding characters', 'eyJh=.eyJh.c2ln'],
    ['spaces', 'eyJhbGciOiJFUzI1NiJ9 .e30.c2ln'],
    ['header not JSON', `${btoa('nope').replace(/=+$/, '')}.e30.c2ln`],
    ['header a JSON array', `${b64json([1])}.e30.c2ln`],
    ['payload not JSON', `${b64json({ alg: 'ES256' })}.bm9wZQ.c2ln`],
    ['payload a JSON string', `${b64json({ alg: 'ES256' })}.${b64json('x')}.c2ln`],
    ['non-canonical base64url', `${b64json({ alg: 'ES256' })}.e31.c2ln`],
  ])('malformed compact form: %s', async (_n, token) => {
    expect(await codeOf(verifyBootstrapToken(token, opts()))).toBe('ERR_JWS_MALFORMED');
  });

  it('refuses a non-string token and an oversized one', async () => {
    expect(await codeOf(verifyBootstrapToken(42 as unknown as string, opts()))).toBe('ERR_JWS_MALFORMED');
    expect(await codeOf(verifyBootstrapToken('a'.repeat(20_000) + '.b.c', opts()))).toBe('ERR_JWS_MALFORMED');
  });

  it('refuses bootstrap keys that cannot be one (private, P-384, HMAC, RSA-PSS, 1024-bit RSA JWK)', async () => {
    const hmac = await getCrypto().subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    const small = { kty: 'RSA', n: 'x'.repeat(171) + 'E', e: 'AQAB' };
    for (const key of [ec.privateKey, p384.publicKey, hmac as CryptoKey, small as JsonWebKey]) {
      expect(await codeOf(importBootstrapPublicKey(key))).toBe('ERR_KEY_UNSUPPORTED');
    }
  });
});

describe('verifyBootstrapToken: session_public_key', () => {
  async function withKey(spk: unknown): Promise<ErrorCode | 'ok'> {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims({ session_public_key: spk }), ec.privateKey);
    return codeOf(verifyBootstrapToken(token, opts()));
  }

  it('refuses a key that is not P-256 (P-384 JWK and PEM, RSA JWK and PEM)', async () => {
    const p384Jwk = (await getCrypto().subtle.exportKey('jwk', p384.publicKey)) as JsonWebKey;
    const rsaJwk = (await getCrypto().subtle.exportKey('jwk', rsa.publicKey)) as JsonWebKey;
    expect(await withKey({ kty: 'EC', crv: 'P-384', x: p384Jwk.x, y: p384Jwk.y })).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey(await exportPublicKeyPem(p384.publicKey))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey({ kty: 'RSA', n: rsaJwk.n, e: rsaJwk.e })).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey(await exportPublicKeyPem(rsa.publicKey))).toBe('ERR_KEY_UNSUPPORTED');
  });

  it('refuses a JWK with private members', async () => {
    const priv = (await getCrypto().subtle.exportKey('jwk', session.privateKey)) as JsonWebKey;
    expect(priv.d).toBeTypeOf('string');
    expect(await withKey(priv)).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey({ ...session.publicJwk, k: 'AAAA' })).toBe('ERR_KEY_UNSUPPORTED');
  });

  it('refuses a point that is not on the curve, wrong sizes, and a wrong alg', async () => {
    const x = session.publicJwk.x!;
    const flipped = (x[0] === 'A' ? 'B' : 'A') + x.slice(1);
    expect(await withKey({ ...session.publicJwk, x: flipped })).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey({ ...session.publicJwk, x: x.slice(0, 20) })).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey({ ...session.publicJwk, alg: 'ES384' })).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey({ ...session.publicJwk, use: 'enc' })).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey({ kty: 'oct', k: 'AAAA' })).toBe('ERR_KEY_UNSUPPORTED');
  });

  it('refuses PEM that is not SPKI (a private key, a certificate label, two blocks, garbage)', async () => {
    const pkcs8 = new Uint8Array(await getCrypto().subtle.exportKey('pkcs8', session.privateKey));
    const { encodePem } = await import('../../shared/x509/index.js');
    const spki = await exportPublicKeyPem(session.publicKey);
    expect(await withKey(encodePem('PRIVATE KEY', pkcs8))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey(encodePem('PUBLIC KEY', pkcs8))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey(spki.replace(/PUBLIC KEY/g, 'CERTIFICATE'))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey(spki + spki)).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey('-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n')).toBe('ERR_KEY_UNSUPPORTED');
    expect(await withKey('')).toBe('ERR_KEY_UNSUPPORTED');
  });
});

describe('verifyBootstrapToken: replay guard', () => {
  it('claims bootstrap:jti:<jti> until exp + tolerance; a second use is ERR_TOKEN_REPLAYED', async () => {
    const seen: Array<[string, number]> = [];
    const inner = new MemoryReplayGuard();
    const guard: ReplayGuard = { claim: (id, ttl) => (seen.push([id, ttl]), inner.claim(id, ttl)) };
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims({ jti: 'abc' }), ec.privateKey);
    expect(await codeOf(verifyBootstrapToken(token, opts({ replayGuard: guard })))).toBe('ok');
    expect(await codeOf(verifyBootstrapToken(token, opts({ replayGuard: guard })))).toBe('ERR_TOKEN_REPLAYED');
    expect(seen[0]).toEqual(['bootstrap:jti:abc', (200 + 30) * 1000]);
  });

  it('allowReplayed (an initialized daemon answering a retry): replayed: true instead of the error, other rules still apply', async () => {
    const guard = new MemoryReplayGuard();
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims({ jti: 'retry' }), ec.privateKey);
    expect((await verifyBootstrapToken(token, opts({ replayGuard: guard }))).replayed).toBe(false);
    expect(await codeOf(verifyBootstrapToken(token, opts({ replayGuard: guard })))).toBe('ERR_TOKEN_REPLAYED');
    const again = await verifyBootstrapToken(token, opts({ replayGuard: guard, allowReplayed: true }));
    expect(again.replayed).toBe(true);
    expect(again.thumbprint).toBe(session.thumbprint);
    expect(await codeOf(verifyBootstrapToken(token, opts({ replayGuard: guard, allowReplayed: true, audience: 'x' })))).toBe('ERR_JWT_AUDIENCE_MISMATCH');
  });

  it('a token that fails any other rule does not use up its jti', async () => {
    const guard = new MemoryReplayGuard();
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims({ jti: 'kept' }), ec.privateKey);
    expect(await codeOf(verifyBootstrapToken(token, opts({ replayGuard: guard, audience: 'other' })))).toBe('ERR_JWT_AUDIENCE_MISMATCH');
    expect(await codeOf(verifyBootstrapToken(token, opts({ replayGuard: guard })))).toBe('ok');
  });

  it('fails closed when the guard fails: ERR_STORE_UNAVAILABLE', async () => {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(), ec.privateKey);
    const broken: ReplayGuard = { claim: async () => Promise.reject(new Error('ECONNREFUSED')) };
    expect(await codeOf(verifyBootstrapToken(token, opts({ replayGuard: broken })))).toBe('ERR_STORE_UNAVAILABLE');
  });

  it('refuses missing or invalid options with ERR_INPUT_INVALID', async () => {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(), ec.privateKey);
    for (const o of [{ replayGuard: undefined as unknown as ReplayGuard }, { issuer: '' }, { audience: '' }, { clockToleranceSeconds: 301 }, { maxLifetimeSeconds: 301 }, { maxLifetimeSeconds: 0 }]) {
      expect(await codeOf(verifyBootstrapToken(token, opts(o)))).toBe('ERR_INPUT_INVALID');
    }
  });
});

describe('mintBootstrapToken options', () => {
  it.each([
    ['ttl over 300 s', { ttlSeconds: 301 }, 'ERR_INPUT_INVALID'],
    ['ttl zero', { ttlSeconds: 0 }, 'ERR_INPUT_INVALID'],
    ['empty session id', { sessionId: '' }, 'ERR_INPUT_INVALID'],
    ['empty issuer', { issuer: '' }, 'ERR_INPUT_INVALID'],
  ] as const)('%s → %s', async (_n, over, code) => {
    const p = mintBootstrapToken({ privateKey: ec.privateKey, issuer: ISS, audience: AUD, sessionId: SID, sessionPublicKey: session.publicJwk, ...over });
    expect(await codeOf(p)).toBe(code);
  });

  it('refuses a P-384 bootstrap key, a public key, and a session key that is not P-256', async () => {
    const base = { issuer: ISS, audience: AUD, sessionId: SID, sessionPublicKey: session.publicJwk };
    expect(await codeOf(mintBootstrapToken({ ...base, privateKey: p384.privateKey }))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await codeOf(mintBootstrapToken({ ...base, privateKey: ec.publicKey }))).toBe('ERR_INPUT_INVALID');
    const p384Jwk = (await getCrypto().subtle.exportKey('jwk', p384.publicKey)) as JsonWebKey;
    expect(await codeOf(mintBootstrapToken({ ...base, privateKey: ec.privateKey, sessionPublicKey: { kty: 'EC', crv: 'P-384', x: p384Jwk.x, y: p384Jwk.y } }))).toBe('ERR_KEY_UNSUPPORTED');
  });
});
