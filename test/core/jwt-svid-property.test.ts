import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateJwtSvid } from '../../shared/svid/index.js';
import { TrustBundle } from '../../shared/bundle/index.js';
import { TrustError } from '../../shared/errors.js';
import { b64urlEncode } from '../../shared/lib/encoding.js';

const wc = globalThis.crypto.subtle;
const enc = new TextEncoder();
const NOW = new Date('2030-01-01T00:00:00Z');
const T = NOW.getTime() / 1000;
const AUD = 'reports';
const b64json = (v: unknown) => b64urlEncode(enc.encode(JSON.stringify(v)));

let bundle: TrustBundle;
let good: string;
let key: CryptoKey;

async function signed(header: unknown, claims: unknown): Promise<string> {
  const input = `${b64json(header)}.${b64json(claims)}`;
  const sig = await wc.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, enc.encode(input));
  return `${input}.${b64urlEncode(new Uint8Array(sig))}`;
}

beforeAll(async () => {
  const kp = (await wc.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  key = kp.privateKey;
  const { kty, crv, x, y } = await wc.exportKey('jwk', kp.publicKey);
  bundle = new TrustBundle('example.org', { jwtAuthorities: { k1: { kty, crv, x, y } } });
  good = await signed({ alg: 'ES256', kid: 'k1', typ: 'JWT' }, { sub: 'spiffe://example.org/w', aud: AUD, exp: T + 60 });
});

async function settle(token: string): Promise<'ok' | string> {
  try {
    await validateJwtSvid(token, bundle, { audience: AUD, at: NOW });
    return 'ok';
  } catch (err) {
    if (!(err instanceof TrustError)) throw err; // any other exception fails the property
    return err.code;
  }
}

describe('JWT-SVID validation, property-based', () => {
  it('the unmodified token is valid', async () => {
    expect(await settle(good)).toBe('ok');
  });

  it('any change to a valid token is rejected with a TrustError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), fc.constantFrom('insert', 'replace', 'delete'), async (pos, s, how) => {
        const i = pos % good.length;
        const t = how === 'insert' ? good.slice(0, i) + s + good.slice(i) : how === 'replace' ? good.slice(0, i) + s + good.slice(i + 1) : good.slice(0, i) + good.slice(i + 1);
        fc.pre(t !== good);
        expect(await settle(t)).not.toBe('ok');
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary strings and dotted junk are rejected with a TrustError', async () => {
    const dotted = fc.array(fc.string({ unit: fc.constantFrom(...'AZaz09-_.'.split('')), maxLength: 30 }), { minLength: 1, maxLength: 6 }).map((p) => p.join('.'));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 80 }), dotted), async (t) => {
        expect(await settle(t)).not.toBe('ok');
      }),
      { numRuns: 300 },
    );
  });

  it('well-signed tokens with arbitrary headers and claims are valid only when every rule holds', async () => {
    const header = fc.record(
      { alg: fc.constantFrom('ES256', 'ES384', 'none', 'HS256'), kid: fc.constantFrom('k1', 'k2', ''), typ: fc.constantFrom('JWT', 'JOSE', 'jwt'), x: fc.jsonValue() },
      { requiredKeys: [] },
    );
    const claims = fc.record(
      {
        sub: fc.constantFrom('spiffe://example.org/w', 'spiffe://other.test/w', 'spiffe://example.org/', 'x', 1),
        aud: fc.constantFrom(AUD, [AUD, 'b'], 'b', [], 7),
        exp: fc.constantFrom(T + 60, T - 60, T, '1', null),
        nbf: fc.constantFrom(T - 1, T + 1),
        iat: fc.constantFrom(T - 1, T + 1),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(header, claims, async (h, c) => {
        const r = await settle(await signed(h, c));
        const shouldPass =
          h.alg === 'ES256' &&
          h.kid === 'k1' &&
          (h.typ === undefined || h.typ === 'JWT' || h.typ === 'JOSE') &&
          !('x' in h) &&
          c.sub === 'spiffe://example.org/w' &&
          (c.aud === AUD || (Array.isArray(c.aud) && (c.aud as string[]).includes(AUD))) &&
          c.exp === T + 60 &&
          (c.nbf === undefined || c.nbf <= T) &&
          (c.iat === undefined || c.iat <= T);
        expect(r === 'ok').toBe(shouldPass);
      }),
      { numRuns: 300 },
    );
  });
});
