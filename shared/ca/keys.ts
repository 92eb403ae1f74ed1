/** Key pairs for issuing certificates (the dev CA, the test CA, the `cardtrust ca` CLI). */
import { getCrypto } from '../crypto.js';
import { guard } from '../errors.js';
import { encodePem } from '../x509/pem.js';

/** Key algorithms the issuer can mint. `RSA` signs with PKCS#1 v1.5, `RSA-PSS` with PSS. */
export type KeyAlgorithm = 'P-256' | 'P-384' | 'P-521' | 'RSA' | 'RSA-PSS' | 'Ed25519';

export interface GenerateKeyPairOptions {
  /** RSA modulus size in bits; default 2048. */
  readonly modulusLength?: number;
  /** Hash for RSA keys; default SHA-256. */
  readonly hash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

/**
 * Generates an extractable signing key pair through WebCrypto.
 *
 * @example
 * const keys = await generateKeyPair('P-256')
 * const rsa = await generateKeyPair('RSA-PSS', { modulusLength: 3072 })
 */
export async function generateKeyPair(alg: KeyAlgorithm = 'P-256', options: GenerateKeyPairOptions = {}): Promise<CryptoKeyPair> {
  const usages: KeyUsage[] = ['sign', 'verify'];
  let params: AlgorithmIdentifier | RsaHashedKeyGenParams | EcKeyGenParams;
  switch (alg) {
    case 'P-256':
    case 'P-384':
    case 'P-521':
      params = { name: 'ECDSA', namedCurve: alg };
      break;
    case 'RSA':
    case 'RSA-PSS':
      params = {
        name: alg === 'RSA' ? 'RSASSA-PKCS1-v1_5' : 'RSA-PSS',
        modulusLength: options.modulusLength ?? 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: options.hash ?? 'SHA-256',
      };
      break;
    case 'Ed25519':
      params = { name: 'Ed25519' };
      break;
  }
  return guard('ERR_KEY_UNSUPPORTED', `cannot generate a ${alg} key`, async () => {
    return (await getCrypto().subtle.generateKey(params, true, usages)) as CryptoKeyPair;
  });
}

/**
 * PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of an extractable private key.
 *
 * @example
 * await writeFile('svid_key.pem', await exportPrivateKeyPem(keys.privateKey))
 */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await guard('ERR_KEY_UNSUPPORTED', 'cannot export the private key', () => getCrypto().subtle.exportKey('pkcs8', key));
  return encodePem('PRIVATE KEY', new Uint8Array(der));
}

/**
 * SPKI PEM (`-----BEGIN PUBLIC KEY-----`) of a public key.
 *
 * @example
 * const pem = await exportPublicKeyPem(keys.publicKey)
 */
export async function exportPublicKeyPem(key: CryptoKey): Promise<string> {
  const der = await guard('ERR_KEY_UNSUPPORTED', 'cannot export the public key', () => getCrypto().subtle.exportKey('spki', key));
  return encodePem('PUBLIC KEY', new Uint8Array(der));
}
