/** Public key import from certificates, each (key, algorithm) imported at most once. Internal. */
import { TrustError } from '../../errors.js';
import { subtle } from '../../crypto.js';
import { LruCache } from '../../lib/cache.js';
import { toArrayBuffer } from '../../lib/encoding.js';
import type { ParsedCertificate } from './certificate.js';
import type { Hash } from './oids.js';

export type ImportParams =
  | { readonly name: 'ECDSA'; readonly namedCurve: 'P-256' | 'P-384' | 'P-521' }
  | { readonly name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS'; readonly hash: Hash }
  | { readonly name: 'Ed25519' };

/** RSA below this is refused (issue 2); above the upper bound verification cost is a DoS lever. */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 8192;

const keys = new LruCache<string, Promise<CryptoKey>>(1024);

/** Throws ERR_X509_KEY_UNSUPPORTED when the certificate's key cannot be used for verification. */
export function assertUsableKey(cert: ParsedCertificate): void {
  const alg = cert.publicKey.algorithm;
  if (alg.name === 'unsupported') throw new TrustError('ERR_X509_KEY_UNSUPPORTED', `unsupported public key algorithm ${alg.oid}`);
  if (alg.name === 'RSA' && (alg.modulusBits < RSA_MIN_BITS || alg.modulusBits > RSA_MAX_BITS)) {
    throw new TrustError('ERR_X509_KEY_UNSUPPORTED', `RSA key of ${alg.modulusBits} bits (accepted: ${RSA_MIN_BITS}..${RSA_MAX_BITS})`);
  }
}

/** The CryptoKey for `cert`'s public key under `params`, imported once and then cached. */
export function importKeyFor(cert: ParsedCertificate, params: ImportParams): Promise<CryptoKey> {
  assertUsableKey(cert);
  const id = `${params.name}/${'hash' in params ? params.hash : 'namedCurve' in params ? params.namedCurve : ''}\u0000${cert.spkiKey}`;
  const hit = keys.get(id);
  if (hit) return hit;
  const p = subtle()
    .importKey('spki', toArrayBuffer(cert.publicKey.spki), params, false, ['verify'])
    .catch((err: unknown) => {
      keys.delete(id);
      throw new TrustError('ERR_X509_KEY_UNSUPPORTED', 'the public key could not be imported', { cause: err });
    });
  keys.set(id, p);
  return p;
}
