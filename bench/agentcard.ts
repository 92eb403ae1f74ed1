/**
 * Issue 3's rows: `verifyAgentCard` of an x5c-signed card (an X509-SVID chain, ES256), warm and
 * cold, each against the raw WebCrypto work it cannot avoid.
 */
import { canonicalizeAgentCard, signAgentCard, verifyAgentCard } from '../shared/agentcard/index.js';
import { BundleSet } from '../shared/bundle/index.js';
import { clearCaches } from '../shared/lib/cache.js';
import { b64urlDecode, b64urlEncode, toArrayBuffer } from '../shared/lib/encoding.js';
import { sampleCard } from './lib/card.js';
import { TRUST_DOMAIN, ecPoint, type ChainFixture } from './lib/fixtures.js';
import { compare, ratio, sample, type CompareOptions } from './lib/timing.js';
import type { Report } from './lib/report.js';

const SECTION = 'agentcard';
const utf8 = new TextEncoder();
const utf8Encode = (s: string): Uint8Array => utf8.encode(s);
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface SignedCardFixture {
  readonly card: Record<string, unknown>;
  readonly bundles: BundleSet;
  readonly options: Parameters<typeof verifyAgentCard>[1];
  /** The JWS signing input and raw signature of the card's signature: the floor's inputs. */
  readonly signingInput: ArrayBuffer;
  readonly signature: ArrayBuffer;
}

/** The sample card signed with the fixture's SVID key, `x5c` = leaf + intermediate. */
export async function signedCard(f: ChainFixture): Promise<SignedCardFixture> {
  const card = (await signAgentCard(sampleCard(), { privateKey: f.svid.privateKey, certificateChain: f.presented })) as Record<string, unknown>;
  const bundles = new BundleSet([f.bundle]);
  const options = { bundles, trustDomain: TRUST_DOMAIN, mode: 'strict' as const };
  const report = await verifyAgentCard(card, options);
  if (!report.verified || !report.profile) throw new Error(`bench: the signed sample card did not verify: ${JSON.stringify(report.signatures)}`);
  const sig = (card.signatures as { protected: string; signature: string }[])[0]!;
  const payload = b64urlEncode(utf8Encode(canonicalizeAgentCard(card, report.profile)));
  return { card, bundles, options, signingInput: toArrayBuffer(utf8Encode(`${sig.protected}.${payload}`)), signature: toArrayBuffer(b64urlDecode(sig.signature)) };
}

export async function agentCardRows(f: ChainFixture, report: Report, timing: CompareOptions): Promise<void> {
  const s = await signedCard(f);
  const subtle = globalThis.crypto.subtle;
  const leafSpki = toArrayBuffer(f.svid.certificates[0]!.publicKey.spki);
  const leafKey = await subtle.importKey('spki', leafSpki, ECDSA_P256, false, ['verify']);
  if (!(await subtle.verify(ES256, leafKey, s.signature, s.signingInput))) throw new Error('bench: floor signing input does not match the card signature');

  const verify = async (): Promise<void> => {
    if (!(await verifyAgentCard(s.card, s.options)).verified) throw new Error('bench: card did not verify');
  };
  const floorWarm = async (): Promise<void> => {
    if (!(await subtle.verify(ES256, leafKey, s.signature, s.signingInput))) throw new Error('bench: floor');
  };
  const leafPoint = ecPoint(f.svid.certificates[0]!.publicKey.spki);
  // cold: every key imported and every signature checked: chain (2) and card (1); keys from their
  // SPKI (the floor) or from the bare EC point (as the core imports them)
  const floorColdWith = (format: 'spki' | 'raw') => async (): Promise<void> => {
    for (const c of f.floor) {
      const key = await subtle.importKey(format, format === 'spki' ? c.spki : c.point, ECDSA_P256, false, ['verify']);
      if (!(await subtle.verify(ES256, key, c.signature, c.data))) throw new Error('bench: floor');
    }
    const key = await subtle.importKey(format, format === 'spki' ? leafSpki : leafPoint, ECDSA_P256, false, ['verify']);
    if (!(await subtle.verify(ES256, key, s.signature, s.signingInput))) throw new Error('bench: floor');
  };
  const floorCold = floorColdWith('spki');
  const floorColdRaw = floorColdWith('raw');
  await floorCold();
  await floorColdRaw();

  const clearRate = await sample(() => clearCaches(), 100);
  const r = await compare(
    {
      floorWarm,
      warm: verify,
      floorCold,
      floorColdRaw,
      cold: () => {
        clearCaches();
        return verify();
      },
    },
    timing,
  );
  const clearShare = r.opsPerSec.cold / clearRate;
  const adjust = 1 / (1 - clearShare);

  report.rate(SECTION, 'floor warm: 1× verify ES256, cached key', r.opsPerSec.floorWarm);
  report.rate(SECTION, 'verifyAgentCard warm (x5c chain seen before)', r.opsPerSec.warm);
  report.rate(SECTION, 'floor cold: 3× importKey spki + 3× verify ES256', r.opsPerSec.floorCold);
  report.rate(SECTION, 'floor cold, keys imported as raw EC points', r.opsPerSec.floorColdRaw);
  report.rate(SECTION, 'verifyAgentCard cold (clearCaches() before each)', r.opsPerSec.cold * adjust, `clearCaches() itself: ${(clearShare * 100).toFixed(2)}% of a cold op, subtracted`);
  report.check(SECTION, 'warm / floor warm', ratio(r, 'warm', 'floorWarm'), { min: 0.7, unit: '×' }, `card JSON ${utf8Encode(JSON.stringify(s.card)).length} bytes`);
  report.check(SECTION, 'cold / floor cold', ratio(r, 'cold', 'floorCold') * adjust, { min: 0.7, unit: '×' });
  report.info(
    SECTION,
    'cold / floor cold with raw-point imports',
    `${(ratio(r, 'cold', 'floorColdRaw') * adjust).toFixed(2)}×`,
    'the same work imported the way the core imports EC keys: what is left is the core\'s own overhead',
  );
}
