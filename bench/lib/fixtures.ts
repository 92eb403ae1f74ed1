/**
 * What the rows measure against: a leaf → intermediate → root ECDSA P-256 X509-SVID chain made with
 * the project's test CA, its bundle, the pre-extracted inputs of the crypto floor, and a fast minter
 * of many distinct leaves under the same intermediate (for the heap row).
 */
import { KeyObject, sign } from 'node:crypto';
import { TestCA, type SVID } from '../../test/support/ca.js';
import { TrustBundle } from '../../shared/bundle/index.js';
import { parseCertificate } from '../../shared/x509/parse.js';
import { toArrayBuffer } from '../../shared/lib/encoding.js';
import { assembleCertificate, ecdsaDerToRaw, indexOf, splitCertificate } from './der.js';

export const TRUST_DOMAIN = 'example.org';

export interface ChainFixture {
  readonly root: TestCA;
  readonly intermediate: TestCA;
  readonly svid: SVID;
  /** What a peer presents: leaf DER, intermediate DER. */
  readonly presented: readonly Uint8Array[];
  readonly bundle: TrustBundle;
  /**
   * The crypto floor's inputs: for each signature on the path, the issuer SPKI (and its bare EC
   * point, for the floor that imports keys the way the core does), signed bytes and raw r‖s.
   */
  readonly floor: readonly { readonly spki: ArrayBuffer; readonly point: ArrayBuffer; readonly data: ArrayBuffer; readonly signature: ArrayBuffer }[];
}

// same width as the digits the minter writes, so every minted TBS keeps its length
const ID_DIGITS = 7;
const TEMPLATE_ID = `spiffe://${TRUST_DOMAIN}/bench/w${'0'.repeat(ID_DIGITS)}`;
const SERIAL_MARK = '01' + 'a5'.repeat(15);

export async function chainFixture(): Promise<ChainFixture> {
  const root = await TestCA.create({ trustDomain: TRUST_DOMAIN });
  const intermediate = await root.childCA();
  const svid = await intermediate.issueSVID(TEMPLATE_ID, { serialNumber: SERIAL_MARK });
  const [leafDer, interDer] = svid.der as [Uint8Array, Uint8Array];
  const leaf = parseCertificate(leafDer);
  const inter = parseCertificate(interDer);
  return {
    root,
    intermediate,
    svid,
    presented: [leafDer, interDer],
    bundle: new TrustBundle(TRUST_DOMAIN, { x509Authorities: [root.der] }),
    floor: [
      {
        spki: toArrayBuffer(inter.publicKey.spki),
        point: ecPoint(inter.publicKey.spki),
        data: toArrayBuffer(leaf.tbs),
        signature: toArrayBuffer(ecdsaDerToRaw(leaf.signatureValue, 32)),
      },
      {
        spki: toArrayBuffer(root.certificate.publicKey.spki),
        point: ecPoint(root.certificate.publicKey.spki),
        data: toArrayBuffer(inter.tbs),
        signature: toArrayBuffer(ecdsaDerToRaw(inter.signatureValue, 32)),
      },
    ],
  };
}

/** The uncompressed P-256 point that ends a P-256 SubjectPublicKeyInfo (0x04 ‖ X ‖ Y, 65 bytes). */
export function ecPoint(spki: Uint8Array): ArrayBuffer {
  const point = spki.slice(spki.length - 65);
  if (point[0] !== 4) throw new Error('bench: not an uncompressed P-256 SPKI');
  return toArrayBuffer(point);
}

/**
 * Distinct leaves cheaply: the fixture's leaf TBS with a new serial number and SPIFFE ID path
 * written in place (same lengths, so no DER re-encoding), re-signed by the intermediate's key with
 * Node's synchronous signer. Every minted leaf is a valid X509-SVID under the fixture's chain.
 */
export function leafMinter(f: ChainFixture): (i: number) => Uint8Array {
  const { tbs, signatureAlgorithm } = splitCertificate(f.svid.der[0]!);
  const serialAt = indexOf(tbs, Uint8Array.from(SERIAL_MARK.match(/../g)!.map((h) => parseInt(h, 16))));
  const idAt = indexOf(tbs, new TextEncoder().encode(TEMPLATE_ID.slice(-ID_DIGITS - 1)));
  if (serialAt < 0 || idAt < 0) throw new Error('bench: template leaf lacks its serial or ID marker');
  const key = KeyObject.from(f.intermediate.keys.privateKey);
  const template = tbs.slice();
  return (i) => {
    const t = template.slice();
    // the serial's last 6 bytes and the path's digits carry i
    for (let k = 0, v = i; k < 6; k++, v = Math.floor(v / 256)) t[serialAt + 15 - k] = v & 0xff;
    const digits = String(i).padStart(ID_DIGITS, '0');
    for (let k = 0; k < ID_DIGITS; k++) t[idAt + 1 + k] = digits.charCodeAt(k);
    return assembleCertificate(t, signatureAlgorithm, new Uint8Array(sign('sha256', t, key)));
  };
}
