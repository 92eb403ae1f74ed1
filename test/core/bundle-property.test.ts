import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseBundle, parseSpiffeBundle, serializeSpiffeBundle, TrustBundle } from '../../shared/bundle/index.js';
import { TrustError } from '../../shared/errors.js';
import { getCrypto } from '../../shared/crypto.js';
import { b64Encode } from '../../shared/lib/encoding.js';
import { TestCA } from '../support/ca.js';

function settle(fn: () => unknown): 'ok' | string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof TrustError)) throw err; // any other exception fails the property
    return err.code;
  }
}

let valid: string;
let pem: string;

beforeAll(async () => {
  const ca = await TestCA.create({ trustDomain: 'example.org' });
  const kp = (await getCrypto().subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const { kty, crv, x, y } = await getCrypto().subtle.exportKey('jwk', kp.publicKey);
  valid = serializeSpiffeBundle(
    new TrustBundle('example.org', { x509Authorities: [ca.der], jwtAuthorities: { k1: { kty, crv, x, y } }, sequence: 4, refreshHint: 60 }),
  );
  pem = ca.pem;
});

const jsonish = fc.oneof(
  fc.jsonValue(),
  fc.record({ keys: fc.array(fc.jsonValue(), { maxLength: 4 }) }),
  fc.record({
    keys: fc.array(
      fc.record(
        {
          use: fc.constantFrom('x509-svid', 'jwt-svid', 'other', 1),
          kty: fc.constantFrom('EC', 'RSA', 'OKP', 'oct', null),
          crv: fc.constantFrom('P-256', 'P-384', 'Ed25519', 'X25519'),
          kid: fc.oneof(fc.string(), fc.integer()),
          x: fc.string(),
          y: fc.string(),
          n: fc.string(),
          e: fc.string(),
          x5c: fc.array(fc.string(), { maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 3 },
    ),
    spiffe_sequence: fc.oneof(fc.integer(), fc.double(), fc.string()),
  }),
);

describe('bundle parsing, property-based', () => {
  it('arbitrary JSON values give a bundle or a TrustError', () => {
    fc.assert(
      fc.property(jsonish, (v) => {
        const r1 = settle(() => parseSpiffeBundle(v as object, 'example.org'));
        const r2 = settle(() => parseSpiffeBundle(JSON.stringify(v) ?? 'undefined', 'example.org'));
        // a string is taken as JSON text
        expect(r1 === 'ok' || r1 === 'ERR_BUNDLE_INVALID' || (typeof v === 'string' && r1 === 'ERR_JSON_MALFORMED')).toBe(true);
        expect(r2 === 'ok' || r2 === 'ERR_BUNDLE_INVALID' || r2 === 'ERR_JSON_MALFORMED').toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('mutated bundle text gives a bundle or a TrustError, and only authorities written in the text', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string({ maxLength: 3 }), fc.boolean(), (pos, s, insert) => {
        const i = pos % (valid.length + 1);
        const text = valid.slice(0, i) + s + valid.slice(i + (insert ? 0 : 1));
        let bundle: TrustBundle | undefined;
        const r = settle(() => (bundle = parseSpiffeBundle(text, 'example.org')));
        if (r === 'ok') {
          // every authority comes from an x5c value written in the text, byte for byte
          for (const c of bundle!.x509Authorities) expect(text).toContain(`"${b64Encode(c.der)}"`);
          expect(bundle!.x509Authorities.length + bundle!.jwtAuthorities.size).toBeLessThanOrEqual(2);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('mutated PEM text gives a bundle or a TrustError', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string({ maxLength: 3 }), fc.boolean(), (pos, s, insert) => {
        const i = pos % (pem.length + 1);
        settle(() => parseBundle(pem.slice(0, i) + s + pem.slice(i + (insert ? 0 : 1)), 'example.org'));
      }),
      { numRuns: 300 },
    );
  });
});
