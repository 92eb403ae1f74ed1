/** Public key import from certificates, each (key, algorithm) imported at most once. Internal. */
import { describeCertificate } from './describe.js';
import { TrustError } from '../../errors.js';
import { subtle } from '../../crypto.js';
import { LruCache } from '../../lib/cache.js';
import { b64urlEncode, toArrayBuffer } from '../../lib/encoding.js';
import { isOnCurve } from '../../lib/ec.js';
import type { ParsedCertificate } from './certificate.js';
import { TAG, expect } from './der.js';
import type { Hash } from './oids.js';

export type ImportParams =
  | { readonly name: 'ECDSA'; readonly namedCurve: 'P-256' | 'P-384' | 'P-521' }
  | { readonly name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS'; readonly hash: Hash }
  | { readonly name: 'Ed25519' };

/** RSA below this is refused (issues 2 and 3); above the upper bound verification cost is a DoS lever. */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 8192;

const keys = new LruCache<string, Promise<CryptoKey>>(1024);

/** Throws ERR_X509_KEY_UNSUPPORTED when the certificate's key cannot be used for verification (type, RSA size, RSA exponent). */
export function assertUsableKey(cert: ParsedCertificate): void {
  const alg = cert.publicKey.algorithm;
  if (alg.name === 'unsupported') throw new TrustError('ERR_X509_KEY_UNSUPPORTED', `unsupported public key algorithm ${alg.oid}`);
  if (alg.name === 'RSA' && (alg.modulusBits < RSA_MIN_BITS || alg.modulusBits > RSA_MAX_BITS)) {
    throw new TrustError('ERR_X509_KEY_UNSUPPORTED', `RSA key of ${alg.modulusBits} bits (accepted: ${RSA_MIN_BITS}..${RSA_MAX_BITS})`);
  }
  // odd, 3 ≤ e ≤ 2^32 − 1: a long exponent makes every verification with the key dear
  if (cert.rsaExponentProblem !== undefined) throw new TrustError('ERR_X509_KEY_UNSUPPORTED', `certificate ${describeCertificate(cert)}: ${cert.rsaExponentProblem}`);
}

/** An RSA key's modulus or exponent as a JWK member: unsigned big-endian, no leading zero octet. */
function jwkInteger(buf: Uint8Array, start: number, end: number): string {
  let s = start;
  while (s < end - 1 && buf[s] === 0) s++;
  return b64urlEncode(buf.subarray(s, end));
}

/** The JWK members `n` and `e` of an RSA certificate key (its RSAPublicKey, checked by the parser). */
export function rsaJwk(cert: ParsedCertificate): { kty: 'RSA'; n: string; e: string } {
  const key = cert.publicKeyBytes;
  const seq = expect(key, 0, key.length, TAG.SEQUENCE, 'ERR_X509_MALFORMED', 'RSAPublicKey');
  const n = expect(key, seq.cs, seq.end, TAG.INTEGER, 'ERR_X509_MALFORMED', 'modulus');
  const e = expect(key, n.end, seq.end, TAG.INTEGER, 'ERR_X509_MALFORMED', 'publicExponent');
  return { kty: 'RSA', n: jwkInteger(key, n.cs, n.end), e: jwkInteger(key, e.cs, e.end) };
}

/**
 * The certificate's key in the import format that carries exactly its key and imports fastest:
 * EC points (uncompressed, as the parser requires) and Ed25519 keys as 'raw', RSA keys as a JWK of
 * modulus and exponent. Node imports 'spki' through OpenSSL 3's decoder, three to six times slower
 * than these formats (docs/benchmarks.md); workerd and other engines accept all three alike. The
 * SPKI was checked by the parser (structure, curve, point form); an EC point is checked to be on
 * its curve here, since not every engine checks that on a raw import.
 */
function keyData(cert: ParsedCertificate): { format: 'raw'; data: ArrayBuffer } | { format: 'jwk'; data: JsonWebKey } {
  const alg = cert.publicKey.algorithm;
  if (alg.name === 'RSA') return { format: 'jwk', data: rsaJwk(cert) };
  const key = cert.publicKeyBytes;
  if (alg.name === 'ECDSA' && !isOnCurve(alg.namedCurve, key)) {
    throw new TrustError('ERR_X509_KEY_UNSUPPORTED', `the ${alg.namedCurve} public key is not a point on its curve`);
  }
  return { format: 'raw', data: toArrayBuffer(key.slice()) };
}

/** The CryptoKey for `cert`'s public key under `params`, imported once and then cached. */
export function importKeyFor(cert: ParsedCertificate, params: ImportParams): Promise<CryptoKey> {
  assertUsableKey(cert);
  const id = `${params.name}/${'hash' in params ? params.hash : 'namedCurve' in params ? params.namedCurve : ''}\u0000${cert.spkiKey}`;
  const hit = keys.get(id);
  if (hit) return hit;
  let imported: Promise<CryptoKey>;
  try {
    const { format, data } = keyData(cert);
    imported = format === 'raw' ? subtle().importKey('raw', data, params, false, ['verify']) : subtle().importKey('jwk', data, params, false, ['verify']);
  } catch (err) {
    imported = Promise.reject(err);
  }
  const p = imported.catch((err: unknown) => {
    keys.delete(id);
    if (err instanceof TrustError) throw err;
    throw new TrustError('ERR_X509_KEY_UNSUPPORTED', 'the public key could not be imported', { cause: err });
  });
  keys.set(id, p);
  return p;
}
