// Session tokens (ES256 with the registered session key): every claim rule with its exact code,
// alg confusion, malformed forms, and interop with jose. Runs in Node, Node + @peculiar and workerd.
import { beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import { generateSessionKeyPair, importSessionPublicKey, mintSessionToken, verifySessionToken, type SessionKeyPair, type VerifySessionTokenOptions } from '../../shared/session/index.js';
import { exportPublicKeyPem, generateKeyPair } from '../../shared/ca/index.js';
import { getCrypto } from '../../shared/crypto.js';
import type { ErrorCode } from '../../shared/errors.js';
import { b64json, signHs256, signJws } from '../support/jws.js';
import { b64urlDecode, b64urlEncode } from '../../shared/lib/encoding.js';
import { testKeyPair } from '../support/ca.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const T = NOW.getTime() / 1000;
const ISS = 'cardtrust';
const AUD = 'cardtrust-sandbox';
const SID = 'session-1';

let s: SessionKeyPair;
let other: SessionKeyPair;
let rsa: CryptoKeyPair;
let p384: CryptoKeyPair;

beforeAll(async () => {
  [s, other, rsa, p384] = await Promise.all([generateSessionKeyPair(), generateSessionKeyPair(), testKeyPair('RSA'), generateKeyPair('P-384')]);
});

function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = { iss: ISS, sub: SID, aud: AUD, jti: 't-1', iat: T - 10, exp: T + 200 };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

function opts(over: Partial<VerifySessionTokenOptions> = {}): VerifySessionTokenOptions {
  return { key: s.publicKey, issuer: ISS, audience: AUD, now: () => NOW, ...over };
}

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code: ErrorCode }).code;
  }
}

describe('mintSessionToken → verifySessionToken', () => {
  it('round trip with default 300 s lifetime and a random jti', async () => {
    const a = await mintSessionToken({ privateKey: s.privateKey, issuer: ISS, audience: AUD, sessionId: SID, now: () => NOW });
    const b = await mintSessionToken({ privateKey: s.privateKey, issuer: ISS, audience: AUD, sessionId: SID, now: () => NOW, ttlSeconds: 60, jti: 'fixed' });
    expect(jose.decodeProtectedHeader(a)).toEqual({ alg: 'ES256', typ: 'JWT' });
    const ra = await verifySessionToken(a, opts({ sessionId: SID }));
    expect(ra.claims).toMatchObject({ iss: ISS, sub: SID, aud: AUD, iat: T, exp: T + 300 });
    expect(ra.claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect((await verifySessionToken(b, opts())).claims).toEqual({ iss: ISS, sub: SID, aud: AUD, jti: 'fixed', iat: T, exp: T + 60 });
  });

  it('a key registered from the bootstrap claim (JWK or PEM) verifies', async () => {
    const token = await mintSessionToken({ privateKey: s.privateKey, issuer: ISS, audience: AUD, sessionId: SID, now: () => NOW });
    for (const form of [s.publicJwk, await exportPublicKeyPem(s.publicKey)]) {
      const { key, thumbprint } = await importSessionPublicKey(form);
      expect(thumbprint).toBe(s.thumbprint);
      expect(await codeOf(verifySessionToken(token, opts({ key })))).toBe('ok');
    }
  });

  it('interop with jose both ways', async () => {
    const pair = await jose.generateKeyPair('ES256', { extractable: true });
    const { key } = await importSessionPublicKey(await jose.exportJWK(pair.publicKey));
    const token = await new jose.SignJWT({}).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setIssuer(ISS).setSubject(SID).setAudience(AUD).setJti('x').setIssuedAt(T).setExpirationTime(T + 60).sign(pair.privateKey);
    expect(await codeOf(verifySessionToken(token, opts({ key })))).toBe('ok');
    const ours = await mintSessionToken({ privateKey: s.privateKey, issuer: ISS, audience: AUD, sessionId: SID, now: () => NOW });
    const { payload } = await jose.jwtVerify(ours, await jose.importJWK(s.publicJwk as jose.JWK, 'ES256'), { issuer: ISS, audience: AUD, subject: SID, currentDate: NOW, algorithms: ['ES256'] });
    expect(payload.sub).toBe(SID);
  });
});

describe('verifySessionToken claim rules (exact codes)', () => {
  const cases: Array<[string, Record<string, unknown>, Partial<VerifySessionTokenOptions>, ErrorCode | 'ok']> = [
    ['valid', {}, {}, 'ok'],
    ['expired', { iat: T - 400, exp: T - 100 }, {}, 'ERR_JWT_EXPIRED'],
    ['future-dated iat', { iat: T + 31, exp: T + 200 }, {}, 'ERR_JWT_NOT_YET_VALID'],
    ['future-dated iat with tolerance 0', { iat: T + 1, exp: T + 200 }, { clockToleranceSeconds: 0 }, 'ERR_JWT_NOT_YET_VALID'],
    ['exp - iat > 5 min', { iat: T - 100, exp: T + 201 }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['exp - iat = 5 min', { iat: T - 100, exp: T + 200 }, {}, 'ok'],
    ['wrong aud', { aud: 'x' }, {}, 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['wrong iss', { iss: 'x' }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['wrong sub', { sub: 'session-2' }, { sessionId: SID }, 'ERR_JWT_CLAIM_INVALID'],
    ['missing sub', { sub: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing jti', { jti: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing iat', { iat: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing exp', { exp: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['missing iss', { iss: undefined }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['exp NaN-like', { exp: 'NaN' }, {}, 'ERR_JWT_CLAIM_INVALID'],
    ['iat null', { iat: null }, {}, 'ERR_JWT_CLAIM_INVALID'],
  ];
  it.each(cases)('%s', async (_n, over, o, code) => {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(over), s.privateKey);
    expect(await codeOf(verifySessionToken(token, opts(o)))).toBe(code);
  });
});

describe('verifySessionToken: keys, algorithms, forms', () => {
  it('refuses a token signed by another key', async () => {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(), other.privateKey);
    expect(await codeOf(verifySessionToken(token, opts()))).toBe('ERR_JWS_SIGNATURE_INVALID');
  });

  it('refuses a truncated or padded signature', async () => {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(), s.privateKey);
    const [h, pl, sig] = token.split('.') as [string, string, string];
    const bytes = b64urlDecode(sig);
    expect(await codeOf(verifySessionToken(`${h}.${pl}.${b64urlEncode(bytes.slice(0, 63))}`, opts()))).toBe('ERR_JWS_SIGNATURE_INVALID');
    expect(await codeOf(verifySessionToken(`${h}.${pl}.${b64urlEncode(new Uint8Array([...bytes, 0]))}`, opts()))).toBe('ERR_JWS_SIGNATURE_INVALID');
    expect(await codeOf(verifySessionToken(token.replace(/\.[^.]*$/, '.'), opts()))).toBe('ERR_JWS_SIGNATURE_INVALID');
  });

  it('alg confusion: HS256 with the public key bytes, none, RS256 over an EC key, ES384', async () => {
    const pem = await exportPublicKeyPem(s.publicKey);
    const hs = await signHs256({ alg: 'HS256', typ: 'JWT' }, claims(), new TextEncoder().encode(pem));
    expect(await codeOf(verifySessionToken(hs, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
    const hsJwk = await signHs256({ alg: 'HS256', typ: 'JWT' }, claims(), new TextEncoder().encode(JSON.stringify(s.publicJwk)));
    expect(await codeOf(verifySessionToken(hsJwk, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
    expect(await codeOf(verifySessionToken(`${b64json({ alg: 'none' })}.${b64json(claims())}.`, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
    const rs = await signJws({ alg: 'RS256', typ: 'JWT' }, claims(), s.privateKey, 'ES256');
    expect(await codeOf(verifySessionToken(rs, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
    const rsReal = await signJws({ alg: 'RS256', typ: 'JWT' }, claims(), rsa.privateKey);
    expect(await codeOf(verifySessionToken(rsReal, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
    const es384 = await signJws({ alg: 'ES384', typ: 'JWT' }, claims(), p384.privateKey);
    expect(await codeOf(verifySessionToken(es384, opts()))).toBe('ERR_JWS_ALGORITHM_NOT_ALLOWED');
  });

  it('only an ECDSA P-256 public key verifies session tokens', async () => {
    const token = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(), s.privateKey);
    for (const key of [rsa.publicKey, p384.publicKey, s.privateKey, undefined as unknown as CryptoKey]) {
      expect(await codeOf(verifySessionToken(token, opts({ key })))).toBe('ERR_KEY_UNSUPPORTED');
    }
  });

  it.each([
    ['unknown crit', { alg: 'ES256', crit: ['x'], x: 1 }, 'ERR_JWS_CRIT_UNSUPPORTED'],
    ['typ JOSE', { alg: 'ES256', typ: 'JOSE' }, 'ERR_JWS_TYP_INVALID'],
    ['typ lowercase jwt', { alg: 'ES256', typ: 'jwt' }, 'ERR_JWS_TYP_INVALID'],
  ] as const)('header: %s', async (_n, header, code) => {
    const token = await signJws(header as Record<string, unknown>, claims(), s.privateKey, 'ES256');
    expect(await codeOf(verifySessionToken(token, opts()))).toBe(code);
  });

  it.each(['', 'abc', 'a.b', 'a.b.c.d', 'a..c', '.b.c', 'é.b.c', `${b64json({ alg: 'ES256' })}.${b64json([1, 2])}.AAAA`])('malformed %j → ERR_JWS_MALFORMED', async (token) => {
    expect(await codeOf(verifySessionToken(token, opts()))).toBe('ERR_JWS_MALFORMED');
  });

  it('UTF-8 claims decode; invalid UTF-8 and non-canonical base64url payloads are ERR_JWS_MALFORMED', async () => {
    const utf = await signJws({ alg: 'ES256', typ: 'JWT' }, claims({ sub: 'séance-✓' }), s.privateKey);
    expect((await verifySessionToken(utf, opts())).claims.sub).toBe('séance-✓');
    const badUtf8 = b64urlEncode(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])); // {"a":"\xff"}
    const t1 = await signJws({ alg: 'ES256', typ: 'JWT' }, badUtf8, s.privateKey);
    expect(await codeOf(verifySessionToken(t1, opts()))).toBe('ERR_JWS_MALFORMED');
    const p = b64json(claims());
    // flip the unused low bits of the last character (a second encoding of the same bytes)
    const B = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    if (p.length % 4 !== 0) {
      const alt = p.slice(0, -1) + B[B.indexOf(p[p.length - 1]!) | 1];
      const t2 = await signJws({ alg: 'ES256', typ: 'JWT' }, alt, s.privateKey);
      expect(await codeOf(verifySessionToken(t2, opts()))).toBe('ERR_JWS_MALFORMED');
    }
  });

  it('mintSessionToken refuses a non-P-256 key', async () => {
    const o = { issuer: ISS, audience: AUD, sessionId: SID };
    expect(await codeOf(mintSessionToken({ ...o, privateKey: rsa.privateKey }))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await codeOf(mintSessionToken({ ...o, privateKey: p384.privateKey }))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await codeOf(mintSessionToken({ ...o, privateKey: s.publicKey }))).toBe('ERR_INPUT_INVALID');
  });

  it('the answer for a token does not depend on what was verified before (header cache)', async () => {
    const bad = await signJws({ alg: 'ES256', typ: 'JOSE' }, claims(), s.privateKey, 'ES256');
    const good = await signJws({ alg: 'ES256', typ: 'JWT' }, claims(), s.privateKey);
    for (let i = 0; i < 3; i++) {
      expect(await codeOf(verifySessionToken(bad, opts()))).toBe('ERR_JWS_TYP_INVALID');
      expect(await codeOf(verifySessionToken(good, opts()))).toBe('ok');
    }
  });
});

describe('why the core does its own JWS (docs/sessions.md)', () => {
  it.runIf(getCrypto() !== globalThis.crypto)('with an injected provider, jose cannot sign with the core\'s keys; the core can', async () => {
    await expect(new jose.SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(s.privateKey)).rejects.toThrow(TypeError);
    expect(await mintSessionToken({ privateKey: s.privateKey, issuer: ISS, audience: AUD, sessionId: SID })).toMatch(/^eyJ/);
  });
});

describe('session keys', () => {
  it('generateSessionKeyPair: P-256, extractable private key, RFC 7638 thumbprint', async () => {
    expect(s.privateKey.extractable).toBe(true);
    expect(s.publicJwk).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
    const viaJose = await jose.calculateJwkThumbprint(s.publicJwk as jose.JWK, 'sha256');
    expect(s.thumbprint).toBe(viaJose);
  });

  it('jwkThumbprint matches the RFC 7638 §3.1 example', async () => {
    const { jwkThumbprint } = await import('../../shared/session/index.js');
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(await jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(await codeOf(jwkThumbprint({ kty: 'oct', k: 'AA' }))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await codeOf(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'AA' }))).toBe('ERR_KEY_UNSUPPORTED');
  });

  it('importSessionPublicKey: the same key from JWK and PEM has one thumbprint', async () => {
    const a = await importSessionPublicKey(s.publicJwk);
    const b = await importSessionPublicKey(await exportPublicKeyPem(s.publicKey));
    expect(a.jwk).toEqual(b.jwk);
    expect(a.thumbprint).toBe(b.thumbprint);
    // extra members (kid, alg ES256, use sig) are accepted and dropped
    const c = await importSessionPublicKey({ ...s.publicJwk, kid: 'k', alg: 'ES256', use: 'sig', key_ops: ['verify'] } as JsonWebKey);
    expect(c.jwk).toEqual(s.publicJwk);
    expect(await codeOf(importSessionPublicKey({ ...s.publicJwk, key_ops: ['encrypt'] }))).toBe('ERR_KEY_UNSUPPORTED');
    expect(await codeOf(importSessionPublicKey(null as unknown as JsonWebKey))).toBe('ERR_KEY_UNSUPPORTED');
    expect((await getCrypto().subtle.exportKey('jwk', a.key) as JsonWebKey).crv).toBe('P-256');
  });
});
