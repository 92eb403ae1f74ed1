import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TestCA } from '../support/ca.js';
import { parseCertificate, parseCertificates } from '../../shared/x509/parse.js';
import { verifyChain } from '../../shared/x509/verify-chain.js';
import { encodePem } from '../../shared/x509/pem.js';
import { TrustError } from '../../shared/errors.js';

let root: TestCA;
let inter: TestCA;
let leaf: Uint8Array;

beforeAll(async () => {
  root = await TestCA.create();
  inter = await root.childCA();
  leaf = (await inter.issueSVID('spiffe://example.org/w', { dnsNames: ['a.example.org'] })).der[0]!;
});

function sync(fn: () => unknown): 'ok' | 'trust-error' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof TrustError) return 'trust-error';
    throw err;
  }
}

async function chainOutcome(leafInput: Uint8Array, intermediate: Uint8Array = inter.der): Promise<'valid' | 'trust-error'> {
  try {
    await verifyChain({ leaf: leafInput, intermediates: [intermediate], roots: [root.der] });
    return 'valid';
  } catch (err) {
    if (err instanceof TrustError) return 'trust-error';
    throw err;
  }
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A mutation of `der`: bit flips, a truncation, an insertion or a deletion. */
const mutation = (len: () => number) =>
  fc.oneof(
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }).map((flips) => (d: Uint8Array) => {
      const out = d.slice();
      for (const [i, bit] of flips) out[i % out.length]! ^= 1 << bit;
      return out;
    }),
    fc.nat().map((n) => (d: Uint8Array) => d.slice(0, n % len())),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, b]) => (d: Uint8Array) => {
      const at = i % (d.length + 1);
      return new Uint8Array([...d.subarray(0, at), b, ...d.subarray(at)]);
    }),
    fc.nat().map((i) => (d: Uint8Array) => {
      const at = i % d.length;
      return new Uint8Array([...d.subarray(0, at), ...d.subarray(at + 1)]);
    }),
  );

describe('property: hostile input gives a TrustError or a correct answer', () => {
  it('random bytes to parseCertificate / parseCertificates', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        sync(() => parseCertificate(bytes));
        sync(() => parseCertificates(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('random DER-looking bytes (SEQUENCE header) to parseCertificate', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
        const der = new Uint8Array([0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]);
        sync(() => parseCertificate(der));
      }),
      { numRuns: 500 },
    );
  });

  it('random text to the PEM reader', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('', '-----BEGIN CERTIFICATE-----\n', '-----END CERTIFICATE-----\n'), (text, marker) => {
        sync(() => parseCertificates(marker + text));
        sync(() => parseCertificates(text + encodePem('CERTIFICATE', leaf) + marker));
      }),
      { numRuns: 300 },
    );
  });

  it('mutated leaf DER never verifies, and never throws anything but a TrustError', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(() => leaf.length), async (mutate) => {
        const mutated = mutate(leaf);
        const parsed = sync(() => parseCertificate(mutated));
        const result = await chainOutcome(mutated);
        if (same(mutated, leaf)) expect(result).toBe('valid');
        else expect(result).toBe('trust-error');
        if (parsed === 'trust-error') expect(result).toBe('trust-error');
      }),
      { numRuns: 150 },
    );
  });

  it('mutated intermediate DER never verifies', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(() => inter.der.length), async (mutate) => {
        const mutated = mutate(inter.der);
        const result = await chainOutcome(leaf, mutated);
        expect(result).toBe(same(mutated, inter.der) ? 'valid' : 'trust-error');
      }),
      { numRuns: 100 },
    );
  });

  it('the original chain still verifies after all that (caches not poisoned)', async () => {
    expect(await chainOutcome(leaf)).toBe('valid');
  });
});
