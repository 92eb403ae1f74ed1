// maxCardBytes measures the card as JSON text, whether the caller passed text or an object: an
// object counts as the UTF-8 length of JSON.stringify(card), exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { signAgentCard, verifyAgentCard } from '../../shared/agentcard/index.js';
import { quotedBytes } from '../../shared/agentcard/lib/size.js';
import { TrustError } from '../../shared/errors.js';
import { card, publicJwk, testKeyPair } from './agentcard-fixtures.js';

const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

/** 'ok' when verifyAgentCard accepts the (unsigned) card under maxCardBytes = limit, else the code thrown. */
async function sizeCode(v: object, limit: number): Promise<string> {
  try {
    const report = await verifyAgentCard(v, { limits: { maxCardBytes: limit } });
    expect(report.error?.code).toMatch(/^ERR_CARD_UNSIGNED|ERR_JWS_/);
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(TrustError);
    return (err as TrustError).code;
  }
}

const entry = { protected: 'eyJhbGciOiJFUzI1NiJ9', signature: 'AAAA', header: { note: 'é' } };

describe('the size of an object as JSON text', () => {
  it.each([
    ['ASCII', 'plain text'],
    ['escapes', 'a"b\\c\n\t\u0001\u001f'],
    ['two-byte', 'é ß'],
    ['three-byte, U+2028', '€ \u2028 ✓'],
    ['a surrogate pair', '\u{1F600}'],
    ['lone surrogates', '\ud800 x \udc00'],
    ['empty', ''],
  ])('quotedBytes: %s', (_name, s) => {
    expect(quotedBytes(s)).toBe(bytes(s));
  });

  it('quotedBytes is the UTF-8 length of JSON.stringify for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => quotedBytes(s) === bytes(s)), { numRuns: 150 });
    fc.assert(fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }), (s) => quotedBytes(s) === bytes(s)), { numRuns: 150 });
  });

  it('an object card passes at exactly its JSON size and fails one byte below', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ unit: 'grapheme' }).filter((k) => k !== 'signatures'), fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' })),
        fc.constantFrom(undefined, null, [], [entry], [entry, entry]),
        async (o, signatures) => {
          const c = signatures === undefined ? o : { ...o, signatures };
          const n = bytes(c);
          expect(await sizeCode(c, n)).toBe('ok');
          expect(await sizeCode(c, n - 1)).toBe('ERR_CARD_TOO_LARGE');
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ['undefined members are skipped', { a: undefined, b: 1 }],
    ['undefined in an array is null', { a: [undefined, 2, undefined] }],
    ['numbers as ECMAScript writes them', { a: [-0, 1e21, 5e-324, 0.1, -123456.789] }],
    ['an empty card', {}],
    ['only signatures', { signatures: [entry] }],
    ['signatures first and last in member order', { signatures: [entry], name: 'a', z: [{}] }],
  ])('as JSON.stringify writes it: %s', async (_name, o) => {
    expect(await sizeCode(o, bytes(o))).toBe('ok');
    expect(await sizeCode(o, bytes(o) - 1)).toBe('ERR_CARD_TOO_LARGE');
  });

  it.each([
    ['in the card', (o: Record<string, unknown>) => (o['self'] = o)],
    ['in an unprotected header', (o: Record<string, unknown>) => {
      const header: Record<string, unknown> = {};
      header['self'] = header;
      o['signatures'] = [{ ...entry, header }];
    }],
  ])('a cyclic object %s ends with a code, not a stack overflow', async (_name, cycle) => {
    const o: Record<string, unknown> = { name: 'loop' };
    cycle(o);
    expect(await sizeCode(o, 1 << 30)).toBe('ERR_CARD_MALFORMED');
  });
});

describe('maxCardBytes', () => {
  let keys: CryptoKeyPair;
  let jwk: JsonWebKey & { kid: string };
  let signed: Record<string, unknown>;
  beforeAll(async () => {
    keys = await testKeyPair('P-256');
    jwk = await publicJwk(keys.publicKey, 'k');
    // ~283 KB of JSON, but 140,000 values: an estimate per value (not the text) puts it over 1 MiB
    const big = { ...card(), data: Array.from({ length: 140_000 }, (_, i) => i % 10) };
    signed = (await signAgentCard(big, { privateKey: keys.privateKey, kid: 'k', profile: 'jcs-clean' })) as Record<string, unknown>;
  });

  it('a correctly signed 283 KB card of 140,000 small numbers verifies as an object and as text', async () => {
    const text = JSON.stringify(signed);
    expect(text.length).toBeGreaterThan(280_000);
    expect(text.length).toBeLessThan(290_000);
    const options = { keys: { keys: [jwk] } };
    expect((await verifyAgentCard(signed, options)).verified).toBe(true);
    expect((await verifyAgentCard(text, options)).verified).toBe(true);
  });

  it.each(['object', 'text'] as const)('as %s: the limit is the JSON text size, to the byte', async (form) => {
    const c = { ...card(), description: 'é€\u{1F600}"\n'.repeat(50) };
    const s = (await signAgentCard(c, { privateKey: keys.privateKey, kid: 'k' })) as Record<string, unknown>;
    const n = bytes(s);
    const input = form === 'object' ? s : JSON.stringify(s);
    expect((await verifyAgentCard(input, { keys: { keys: [jwk] }, limits: { maxCardBytes: n } })).verified).toBe(true);
    await expect(verifyAgentCard(input, { keys: { keys: [jwk] }, limits: { maxCardBytes: n - 1 } })).rejects.toMatchObject({ code: 'ERR_CARD_TOO_LARGE' });
  });
});
