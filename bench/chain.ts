/**
 * Issue 2's rows, for one leaf → intermediate → root ECDSA P-256 X509-SVID chain:
 * the crypto floor, cold and warm `verifyX509Svid`, and the naive `@peculiar/x509` baseline.
 */
import * as x509 from '@peculiar/x509';
import { clearCaches } from '../shared/lib/cache.js';
import { verifyX509Svid } from '../shared/svid/verify-x509-svid.js';
import { bytesEqual, toArrayBuffer } from '../shared/lib/encoding.js';
import { compare, ratio, sample, type CompareOptions } from './lib/timing.js';
import type { ChainFixture } from './lib/fixtures.js';
import type { Report } from './lib/report.js';

const SECTION = 'chain';
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/**
 * The work no verifier can skip: 2 key imports and 2 ECDSA verifications, nothing parsed. Keys are
 * imported from their SPKI, or (`format: 'raw'`) from the bare EC point, as the core imports them.
 */
export function cryptoFloor(f: ChainFixture, format: 'spki' | 'raw' = 'spki'): () => Promise<void> {
  const subtle = globalThis.crypto.subtle;
  return async () => {
    for (const s of f.floor) {
      const key = await subtle.importKey(format, format === 'spki' ? s.spki : s.point, ECDSA_P256, false, ['verify']);
      if (!(await subtle.verify(ES256, key, s.signature, s.data))) throw new Error('bench: floor signature did not verify');
    }
  };
}

/**
 * What a careful user of `@peculiar/x509` alone would write: parse every certificate, let
 * `X509ChainBuilder` find the path (it imports issuer keys and checks signatures on every call),
 * require that the path ends at the trusted root, then add the checks the builder skips using the
 * library's accessors: validity, basicConstraints, keyUsage, exactly one spiffe:// URI SAN.
 */
export function naiveBaseline(f: ChainFixture): () => Promise<void> {
  // trust anchors are configuration, parsed once (the core's bundle holds its root parsed, too)
  const root = new x509.X509Certificate(toArrayBuffer(f.root.der));
  const rootRaw = new Uint8Array(root.rawData);
  const presented = f.presented.map(toArrayBuffer);
  return async () => {
    const at = new Date();
    const [leaf, ...rest] = presented.map((d) => new x509.X509Certificate(d));
    const path = await new x509.X509ChainBuilder({ certificates: [...rest, root] }).build(leaf!);
    if (!bytesEqual(new Uint8Array(path[path.length - 1]!.rawData), rootRaw)) throw new Error('naive: untrusted root');
    for (const c of path) if (at < c.notBefore || at > c.notAfter) throw new Error('naive: outside validity');
    for (const c of path.slice(1)) {
      if (!c.getExtension(x509.BasicConstraintsExtension)?.ca) throw new Error('naive: issuer not a CA');
      const ku = c.getExtension(x509.KeyUsagesExtension);
      if (ku && !(ku.usages & x509.KeyUsageFlags.keyCertSign)) throw new Error('naive: issuer lacks keyCertSign');
    }
    const l = path[0]!;
    if (l.getExtension(x509.BasicConstraintsExtension)?.ca) throw new Error('naive: leaf is a CA');
    const ku = l.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
    if (!(ku & x509.KeyUsageFlags.digitalSignature) || ku & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)) throw new Error('naive: leaf key usage');
    const uris = (l.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? []).filter((n) => n.type === 'url');
    if (uris.length !== 1 || !uris[0]!.value.startsWith(`spiffe://${f.bundle.trustDomain.name}/`)) throw new Error('naive: URI SAN');
  };
}

export async function chainRows(f: ChainFixture, report: Report, timing: CompareOptions): Promise<void> {
  x509.cryptoProvider.set(globalThis.crypto);
  const floor = cryptoFloor(f);
  const floorRaw = cryptoFloor(f, 'raw');
  const naive = naiveBaseline(f);
  const verify = () => verifyX509Svid(f.presented, f.bundle);
  // prove every variant does the work before timing it (a throwing op would time the error path)
  await floor();
  await floorRaw();
  await naive();
  const { id } = await verify();
  if (id.toString() !== f.svid.id) throw new Error('bench: verifyX509Svid returned another ID');

  // clearCaches() is inside the cold op; its own cost is measured and taken out
  const clearRate = await sample(() => clearCaches(), 100);
  const r = await compare(
    {
      floor,
      floorRaw,
      cold: () => {
        clearCaches();
        return verify();
      },
      naive,
      warm: verify,
    },
    timing,
  );
  const clearShare = r.opsPerSec.cold / clearRate;
  const adjust = 1 / (1 - clearShare); // rate without the clear: 1 / (t_cold − t_clear)
  const cold = r.opsPerSec.cold * adjust;

  report.rate(SECTION, 'crypto floor (2× importKey spki + 2× verify ES256)', r.opsPerSec.floor);
  report.rate(SECTION, 'crypto floor, keys imported as raw EC points', r.opsPerSec.floorRaw);
  report.rate(SECTION, 'naive: @peculiar/x509 X509ChainBuilder + skipped checks', r.opsPerSec.naive);
  report.rate(
    SECTION,
    'verifyX509Svid cold (clearCaches() before each)',
    cold,
    `clearCaches() itself: ${(clearShare * 100).toFixed(2)}% of a cold op, subtracted`,
  );
  report.rate(SECTION, 'verifyX509Svid warm (same chain again)', r.opsPerSec.warm);
  report.check(SECTION, 'cold / crypto floor', ratio(r, 'cold', 'floor') * adjust, { min: 0.5, unit: '×' });
  report.info(
    SECTION,
    'cold / crypto floor with raw-point imports',
    `${(ratio(r, 'cold', 'floorRaw') * adjust).toFixed(2)}×`,
    'the core imports EC keys as raw points (Node imports SPKI 3-6× slower): this is the floor of the same work',
  );
  report.check(SECTION, 'cold / naive', ratio(r, 'cold', 'naive') * adjust, { min: 3, unit: '×' });
  report.check(SECTION, 'warm / cold', ratio(r, 'warm', 'cold') / adjust, { min: 20, unit: '×', digits: 1 });
}
