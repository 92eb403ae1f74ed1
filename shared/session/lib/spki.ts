/** Internal: the algorithm and key bits of a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
import { TrustError } from '../../errors.js';
import { TAG, children, expect, readBitString, readOid } from '../../x509/lib/der.js';
import { OID } from '../../x509/lib/oids.js';

export type SpkiKey = { readonly kind: 'EC-P256'; readonly point: Uint8Array } | { readonly kind: 'RSA' } | { readonly kind: 'other'; readonly oid: string; readonly curve?: string };

/** Reads the algorithm of a SubjectPublicKeyInfo; anything that is not one is ERR_KEY_UNSUPPORTED. */
export function readSpki(der: Uint8Array, module: string): SpkiKey {
  const code = 'ERR_KEY_UNSUPPORTED';
  try {
    const spki = expect(der, 0, der.length, TAG.SEQUENCE, code, 'SubjectPublicKeyInfo');
    if (spki.end !== der.length) throw new TrustError(code, 'data after SubjectPublicKeyInfo');
    const [algorithm, bits, extra] = children(der, spki, code);
    if (!algorithm || algorithm.tag !== TAG.SEQUENCE || !bits || extra) throw new TrustError(code, 'not a SubjectPublicKeyInfo');
    const [id, params] = children(der, algorithm, code);
    if (!id) throw new TrustError(code, 'empty algorithm');
    const oid = readOid(der, id, code);
    const { bytes, unused } = readBitString(der, bits, code);
    if (unused !== 0) throw new TrustError(code, 'key bits are not whole octets');
    if (oid === OID.rsaEncryption) return { kind: 'RSA' };
    if (oid === OID.ecPublicKey) {
      const curve = params?.tag === TAG.OID ? readOid(der, params, code) : undefined;
      if (curve === OID.p256) return { kind: 'EC-P256', point: bytes };
      return curve === undefined ? { kind: 'other', oid } : { kind: 'other', oid, curve };
    }
    return { kind: 'other', oid };
  } catch (err) {
    throw new TrustError(code, `${module}: the PUBLIC KEY block is not a SubjectPublicKeyInfo`, { cause: err });
  }
}
