/** Private keys from PEM files, imported for the certificate they belong to. */
import { TrustError, decodePemBlocks, getCrypto, type Certificate } from './core.js';

/**
 * Imports a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`) for signing, with the algorithm
 * of `cert`'s public key, and proves it is that certificate's key by signing a challenge and
 * verifying it with the certificate's public key (a mismatched pair fails here, not later).
 * RSA keys are imported for RSASSA-PKCS1-v1_5 (RS256).
 *
 * @example
 * const key = await importPrivateKeyFor(await readFile('svid_key.pem', 'utf8'), leaf)
 */
export async function importPrivateKeyFor(pem: string, cert: Certificate): Promise<CryptoKey> {
  const blocks = decodePemBlocks(pem);
  const pkcs8 = blocks.filter((b) => b.label === 'PRIVATE KEY');
  if (pkcs8.length !== 1) {
    const hint = blocks.some((b) => b.label === 'EC PRIVATE KEY' || b.label === 'RSA PRIVATE KEY')
      ? ' (convert with: openssl pkcs8 -topk8 -nocrypt -in key.pem)'
      : '';
    throw new TrustError('ERR_PEM_MALFORMED', `expected exactly one PKCS#8 PRIVATE KEY block${hint}`);
  }
  const { sign, verify } = algorithmsFor(cert);
  const subtle = getCrypto().subtle;
  let key: CryptoKey;
  try {
    key = await subtle.importKey('pkcs8', pkcs8[0]!.der.slice(), sign.import, false, ['sign']);
  } catch (err) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', `the private key is not a ${describe(cert)} key`, { cause: err });
  }
  const challenge = getCrypto().getRandomValues(new Uint8Array(32));
  let ok = false;
  try {
    const publicKey = await subtle.importKey('spki', cert.publicKey.spki.slice(), verify.import, false, ['verify']);
    const signature = await subtle.sign(sign.params, key, challenge);
    ok = await subtle.verify(verify.params, publicKey, signature, challenge);
  } catch (err) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', 'the private key cannot be used with the certificate', { cause: err });
  }
  if (!ok) throw new TrustError('ERR_INPUT_INVALID', "the private key does not belong to the certificate");
  return key;
}

function describe(cert: Certificate): string {
  const a = cert.publicKey.algorithm;
  return a.name === 'ECDSA' ? `ECDSA ${a.namedCurve}` : a.name;
}

interface Algs {
  import: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams;
  params: AlgorithmIdentifier | EcdsaParams;
}

function algorithmsFor(cert: Certificate): { sign: Algs; verify: Algs } {
  const a = cert.publicKey.algorithm;
  let algs: Algs;
  switch (a.name) {
    case 'ECDSA': {
      const hash = a.namedCurve === 'P-256' ? 'SHA-256' : a.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-512';
      algs = { import: { name: 'ECDSA', namedCurve: a.namedCurve }, params: { name: 'ECDSA', hash } };
      break;
    }
    case 'RSA':
      algs = { import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, params: { name: 'RSASSA-PKCS1-v1_5' } };
      break;
    case 'Ed25519':
      algs = { import: { name: 'Ed25519' }, params: { name: 'Ed25519' } };
      break;
    default:
      throw new TrustError('ERR_KEY_UNSUPPORTED', 'unsupported certificate key algorithm');
  }
  return { sign: algs, verify: algs };
}
