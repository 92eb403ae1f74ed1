/** `importPublicKey`: a certificate's public key as a WebCrypto verification key, imported once. */
import { TrustError } from '../errors.js';
import type { CertificateInput } from './types.js';
import type { ParsedCertificate } from './lib/certificate.js';
import { assertUsableKey, importKeyFor, type ImportParams } from './lib/keys.js';
import { parseCertificate } from './parse.js';

/** JWS algorithm names (RFC 7518, RFC 8037) a certificate key may be used with. */
export type JwsAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'EdDSA';

const CURVE_FOR: Readonly<Record<string, 'P-256' | 'P-384' | 'P-521'>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
const HASH_FOR: Readonly<Record<string, 'SHA-256' | 'SHA-384' | 'SHA-512'>> = { '256': 'SHA-256', '384': 'SHA-384', '512': 'SHA-512' };

/**
 * The JWS algorithm a certificate's key implies when the caller names none: ES256/384/512 by
 * curve, RS256 for RSA, EdDSA for Ed25519. The key type decides, never a header.
 *
 * @example
 * defaultJwsAlgorithm(leaf) // 'ES256'
 */
export function defaultJwsAlgorithm(cert: CertificateInput): JwsAlgorithm {
  const c = parseCertificate(cert) as ParsedCertificate;
  assertUsableKey(c);
  const alg = c.publicKey.algorithm;
  if (alg.name === 'ECDSA') return alg.namedCurve === 'P-256' ? 'ES256' : alg.namedCurve === 'P-384' ? 'ES384' : 'ES512';
  if (alg.name === 'RSA') return 'RS256';
  return 'EdDSA';
}

/**
 * The certificate's public key as a non-extractable `verify` CryptoKey for `alg` (default: the
 * key's natural algorithm, see {@link defaultJwsAlgorithm}). Each (key, algorithm) is imported
 * once and cached. A key that does not fit `alg` (ES256 with a P-384 key, RS256 with an EC key)
 * throws ERR_JWS_KEY_ALGORITHM_MISMATCH; an unusable key (RSA < 2048 bits, unknown type)
 * throws ERR_X509_KEY_UNSUPPORTED.
 *
 * @example
 * const key = await importPublicKey(chain[0], 'ES256')
 * const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, sig, data)
 */
export async function importPublicKey(cert: CertificateInput, alg?: JwsAlgorithm): Promise<CryptoKey> {
  const c = parseCertificate(cert) as ParsedCertificate;
  assertUsableKey(c);
  const jws = alg ?? defaultJwsAlgorithm(c);
  const key = c.publicKey.algorithm;
  const mismatch = () => new TrustError('ERR_JWS_KEY_ALGORITHM_MISMATCH', `an ${key.name} key cannot verify ${jws}`);
  let params: ImportParams;
  if (jws.startsWith('ES')) {
    if (key.name !== 'ECDSA' || key.namedCurve !== CURVE_FOR[jws]) throw mismatch();
    params = { name: 'ECDSA', namedCurve: key.namedCurve };
  } else if (jws.startsWith('RS') || jws.startsWith('PS')) {
    const hash = HASH_FOR[jws.slice(2)];
    if (key.name !== 'RSA' || !hash) throw mismatch();
    params = { name: jws.startsWith('RS') ? 'RSASSA-PKCS1-v1_5' : 'RSA-PSS', hash };
  } else if (jws === 'EdDSA') {
    if (key.name !== 'Ed25519') throw mismatch();
    params = { name: 'Ed25519' };
  } else {
    throw new TrustError('ERR_JWS_ALGORITHM_NOT_ALLOWED', `algorithm ${String(jws)} is not supported`);
  }
  return importKeyFor(c, params);
}
