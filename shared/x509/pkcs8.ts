/**
 * The key type a PKCS#8 private key names (RFC 5958 §2, PrivateKeyInfo), read with the module's
 * strict DER reader, so a key file can be imported without a certificate to say what it is.
 */
import { TrustError } from '../errors.js';
import { TAG, children, expect, fail, readOid } from './lib/der.js';
import { OID } from './lib/oids.js';

/** What a PKCS#8 key is, in JWK terms: the signing keys the toolkit imports. */
export type Pkcs8KeyType =
  | { readonly kty: 'EC'; readonly crv: 'P-256' | 'P-384' | 'P-521' }
  | { readonly kty: 'RSA' }
  | { readonly kty: 'OKP'; readonly crv: 'Ed25519' };

const CURVES: Readonly<Record<string, 'P-256' | 'P-384' | 'P-521'>> = { [OID.p256]: 'P-256', [OID.p384]: 'P-384', [OID.p521]: 'P-521' };
// recognised only to name them in the error
const NAMED: Readonly<Record<string, string>> = {
  [OID.rsassaPss]: 'RSASSA-PSS (id-RSASSA-PSS; WebCrypto imports rsaEncryption keys only)',
  '1.3.101.110': 'X25519 (key agreement only)',
  '1.3.101.111': 'X448 (key agreement only)',
  '1.3.101.113': 'Ed448',
  '1.2.840.10040.4.1': 'DSA',
  '1.2.840.113549.1.3.1': 'DH',
  '1.3.132.0.10': 'EC secp256k1',
};

/**
 * The key type of a PKCS#8 PrivateKeyInfo (DER): EC on P-256/P-384/P-521, RSA (rsaEncryption) or
 * Ed25519. DER that is not a PrivateKeyInfo is `ERR_PEM_MALFORMED` (it came from a `PRIVATE KEY`
 * block); any other key type (X25519, secp256k1, explicit curve parameters, id-RSASSA-PSS, DSA…)
 * is `ERR_KEY_UNSUPPORTED`, naming it. Only the structure up to the algorithm is read: whether the
 * key material itself is sound is for the WebCrypto import that follows.
 *
 * @example
 * pkcs8KeyType(decodePemBlocks(pem)[0].der) // { kty: 'EC', crv: 'P-256' }
 */
export function pkcs8KeyType(der: Uint8Array): Pkcs8KeyType {
  const code = 'ERR_PEM_MALFORMED';
  let oid: string;
  let curve: string | undefined;
  let explicitCurve = false;
  try {
    const info = expect(der, 0, der.length, TAG.SEQUENCE, code, 'PrivateKeyInfo');
    if (info.end !== der.length) fail(code, 'data after PrivateKeyInfo');
    const version = expect(der, info.cs, info.end, TAG.INTEGER, code, 'version');
    const algorithm = expect(der, version.end, info.end, TAG.SEQUENCE, code, 'privateKeyAlgorithm');
    const [id, params] = children(der, algorithm, code);
    if (id === undefined) fail(code, 'empty privateKeyAlgorithm');
    oid = readOid(der, id, code);
    if (params?.tag === TAG.OID) curve = readOid(der, params, code);
    else explicitCurve = params?.tag === TAG.SEQUENCE;
  } catch (err) {
    throw new TrustError('ERR_PEM_MALFORMED', 'the PRIVATE KEY block is not a PKCS#8 PrivateKeyInfo', { cause: err });
  }
  if (oid === OID.rsaEncryption) return { kty: 'RSA' };
  if (oid === OID.ed25519) return { kty: 'OKP', crv: 'Ed25519' };
  if (oid === OID.ecPublicKey) {
    const crv = curve === undefined ? undefined : CURVES[curve];
    if (crv !== undefined) return { kty: 'EC', crv };
    throw unsupported(curve !== undefined ? (NAMED[curve] ?? `EC on curve ${curve}`) : explicitCurve ? 'EC with explicit curve parameters' : 'EC without a named curve');
  }
  throw unsupported(NAMED[oid] ?? oid);
}

function unsupported(what: string): TrustError {
  return new TrustError('ERR_KEY_UNSUPPORTED', `unsupported key type ${what}: use an EC P-256, P-384 or P-521, RSA (rsaEncryption) or Ed25519 key`);
}
