import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { verifyX509Svid } from '../../shared/svid/index.js';
import { TrustBundle } from '../../shared/bundle/index.js';
import { TrustError } from '../../shared/errors.js';
import { TestCA, type SVID } from '../support/ca.js';

let bundle: TrustBundle;
let s: SVID;

beforeAll(async () => {
  const root = await TestCA.create({ trustDomain: 'example.org' });
  s = await (await root.childCA()).issueSVID('spiffe://example.org/workload');
  bundle = new TrustBundle('example.org', { x509Authorities: [root.der] });
});

async function settle(chain: Parameters<typeof verifyX509Svid>[0]): Promise<'ok' | string> {
  try {
    await verifyX509Svid(chain, bundle);
    return 'ok';
  } catch (err) {
    if (!(err instanceof TrustError)) throw err; // any other exception fails the property
    return err.code;
  }
}

describe('X509-SVID verification, property-based', () => {
  it('the unmodified chain verifies', async () => {
    expect(await settle(s.der)).toBe('ok');
  });

  it('any changed byte in the leaf or the intermediate is rejected with a TrustError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(1), fc.nat(), fc.integer({ min: 1, max: 255 }), async (which, pos, xor) => {
        const chain = s.der.map((d) => d.slice());
        const target = chain[which]!;
        target[pos % target.length]! ^= xor;
        expect(await settle(chain)).not.toBe('ok');
      }),
      { numRuns: 300 },
    );
  });

  it('a truncated or extended leaf, in either position, is rejected with a TrustError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.uint8Array({ maxLength: 8 }), fc.boolean(), async (cut, extra, swap) => {
        const leaf = s.der[0]!;
        const n = cut % (leaf.length + 1);
        fc.pre(n < leaf.length || extra.length > 0 || swap); // the unmodified chain is valid
        const mangled = new Uint8Array([...leaf.subarray(0, n), ...extra]);
        const chain = swap ? [s.der[1]!, mangled] : [mangled, s.der[1]!];
        expect(await settle(chain)).not.toBe('ok');
      }),
      { numRuns: 200 },
    );
  });

  it('arbitrary text is rejected with a TrustError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string().map((t) => `-----BEGIN CERTIFICATE-----\n${t}\n-----END CERTIFICATE-----\n`)), async (t) => {
        expect(await settle(t)).not.toBe('ok');
      }),
      { numRuns: 200 },
    );
  });
});
