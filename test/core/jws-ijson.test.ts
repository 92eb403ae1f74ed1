// I-JSON (RFC 7493) in the compact JWTs the core verifies: a header or claims set with a member
// name twice ("sub" twice: which one did the signer mean?) is ERR_JWS_MALFORMED, even correctly
// signed. Session tokens and JWT-SVIDs; the AgentCard header is in agentcard-ijson.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSessionKeyPair, verifySessionToken, type SessionKeyPair } from '../../shared/session/index.js';
import { BundleSet, TrustBundle } from '../../shared/bundle/index.js';
import { validateJwtSvid } from '../../shared/svid/index.js';
import { getCrypto } from '../../shared/crypto.js';
import { b64urlEncode, toArrayBuffer } from '../../shared/lib/encoding.js';

const enc = new TextEncoder();
const NOW = new Date('2030-01-01T00:00:00Z');
const T = NOW.getTime() / 1000;

/** A compact ES256 JWS over exactly these header and payload texts. */
async function rawJws(header: string, payload: string, key: CryptoKey): Promise<string> {
  const input = `${b64urlEncode(enc.encode(header))}.${b64urlEncode(enc.encode(payload))}`;
  const sig = await getCrypto().subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, toArrayBuffer(enc.encode(input)));
  return `${input}.${b64urlEncode(new Uint8Array(sig))}`;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

let s: SessionKeyPair;
beforeAll(async () => {
  s = await generateSessionKeyPair();
});

const claims = `"iss":"cardtrust","aud":"cardtrust-sandbox","jti":"t-1","iat":${T - 10},"exp":${T + 200}`;

describe('session tokens', () => {
  const verify = (token: string) => verifySessionToken(token, { key: s.publicKey, issuer: 'cardtrust', audience: 'cardtrust-sandbox', now: () => NOW });

  it.each([
    ['plain (the control)', '{"alg":"ES256","typ":"JWT"}', `{${claims},"sub":"session-1"}`, 'ok'],
    ['"sub" twice in the claims', '{"alg":"ES256","typ":"JWT"}', `{"sub":"session-2",${claims},"sub":"session-1"}`, 'ERR_JWS_MALFORMED'],
    ['"alg" twice in the header', '{"alg":"HS256","typ":"JWT","alg":"ES256"}', `{${claims},"sub":"session-1"}`, 'ERR_JWS_MALFORMED'],
    ['a header starting with a byte-order mark', '\ufeff{"alg":"ES256","typ":"JWT"}', `{${claims},"sub":"session-1"}`, 'ERR_JWS_MALFORMED'],
  ])('%s: %s', async (_name, header, payload, code) => {
    expect(await codeOf(verify(await rawJws(header, payload, s.privateKey)))).toBe(code);
  });
});

describe('JWT-SVIDs', () => {
  let keys: CryptoKeyPair;
  let bundles: BundleSet;
  beforeAll(async () => {
    keys = await getCrypto().subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const { kty, crv, x, y } = await getCrypto().subtle.exportKey('jwk', keys.publicKey);
    bundles = new BundleSet([new TrustBundle('example.org', { jwtAuthorities: { k1: { kty, crv, x, y } as JsonWebKey } })]);
  });
  const verify = (token: string) => validateJwtSvid(token, bundles, { audience: 'spiffe://example.org/reports', at: NOW });
  const body = `"aud":"spiffe://example.org/reports","exp":${T + 200}`;

  it.each([
    ['plain (the control)', '{"alg":"ES256","kid":"k1","typ":"JWT"}', `{"sub":"spiffe://example.org/web",${body}}`, 'ok'],
    ['"sub" twice in the claims', '{"alg":"ES256","kid":"k1","typ":"JWT"}', `{"sub":"spiffe://example.org/admin","sub":"spiffe://example.org/web",${body}}`, 'ERR_JWS_MALFORMED'],
    ['"kid" twice in the header', '{"alg":"ES256","kid":"other","kid":"k1","typ":"JWT"}', `{"sub":"spiffe://example.org/web",${body}}`, 'ERR_JWS_MALFORMED'],
  ])('%s: %s', async (_name, header, payload, code) => {
    expect(await codeOf(verify(await rawJws(header, payload, keys.privateKey)))).toBe(code);
  });
});
