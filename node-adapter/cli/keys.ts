/**
 * Private keys from PEM files: imported for the certificate they belong to (`card sign --cert`), or
 * alone, their type read from the PKCS#8 itself (kid-only signing); and a key's public JWK.
 */
import type { AgentCardAlgorithm } from '../../shared/agentcard/index.js';
import { RSA_MAX_BITS, RSA_MIN_BITS, TrustError, decodePemBlocks, getCrypto, pkcs8KeyType, type Certificate } from './core.js';

/**
 * Imports a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`) for signing, with the algorithm
 * of `cert`'s public key, and proves it is that certificate's key by signing a challenge and
 * verifying it with the certificate's public key (a mismatched pair fails here, not later).
 * RSA keys are imported for RSASSA-PKCS1-v1_5 (RS256), and refused outside 2048..8192 bits
 * (ERR_KEY_UNSUPPORTED), as signAgentCard and every verifier would.
 *
 * @example
 * const key = await importPrivateKeyFor(await readFile('svid_key.pem', 'utf8'), leaf)
 */
export async function importPrivateKeyFor(pem: string, cert: Certificate): Promise<CryptoKey> {
  const der = pkcs8Der(pem);
  const { sign, verify } = algorithmsFor(cert);
  const subtle = getCrypto().subtle;
  let key: CryptoKey;
  try {
    key = await subtle.importKey('pkcs8', der.slice(), sign.import, false, ['sign']);
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
  return checkRsaSize(key);
}

/**
 * Imports a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`) for signing without a
 * certificate: the key type comes from the PKCS#8 AlgorithmIdentifier (and the curve OID of an EC
 * key). EC P-256, P-384 and P-521 keys are imported for ECDSA, Ed25519 keys for Ed25519, and RSA
 * keys (rsaEncryption, 2048..8192 bits) for `alg` when it is an RS or PS algorithm, else for RS256.
 * The key is extractable, so `signAgentCard` can derive its thumbprint `kid`; an `alg` the key
 * cannot make is left to `signAgentCard` (ERR_JWS_KEY_ALGORITHM_MISMATCH). Not exactly one
 * `PRIVATE KEY` block, or one that is not PKCS#8, is ERR_PEM_MALFORMED; any other key type (X25519,
 * another curve, an id-RSASSA-PSS key, RSA of another size) is ERR_KEY_UNSUPPORTED.
 *
 * @example
 * const key = await importPrivateKey(await readFile('agent_key.pem', 'utf8'), 'PS256')
 */
export async function importPrivateKey(pem: string, alg?: AgentCardAlgorithm): Promise<CryptoKey> {
  const der = pkcs8Der(pem);
  const type = pkcs8KeyType(der);
  let params: EcKeyImportParams | RsaHashedImportParams | Algorithm;
  if (type.kty === 'EC') params = { name: 'ECDSA', namedCurve: type.crv };
  else if (type.kty === 'OKP') params = { name: 'Ed25519' };
  else params = rsaParams(alg !== undefined && /^(RS|PS)/.test(alg) ? alg : 'RS256');
  let key: CryptoKey;
  try {
    key = await getCrypto().subtle.importKey('pkcs8', der.slice(), params, true, ['sign']);
  } catch (err) {
    const name = type.kty === 'RSA' ? 'RSA' : `${type.kty === 'EC' ? 'EC ' : ''}${type.crv}`;
    throw new TrustError('ERR_KEY_UNSUPPORTED', `the private key cannot be imported as ${name}`, { cause: err });
  }
  return checkRsaSize(key);
}

/** The import parameters of an RSA key for an RS or PS algorithm (WebCrypto binds scheme and hash). */
function rsaParams(alg: AgentCardAlgorithm): RsaHashedImportParams {
  return { name: alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: `SHA-${alg.slice(2)}` };
}

/** `key`, unless it is RSA of a size the toolkit refuses (the sizes signAgentCard and verifiers accept). */
function checkRsaSize(key: CryptoKey): CryptoKey {
  const bits = (key.algorithm as Partial<RsaHashedKeyAlgorithm>).modulusLength;
  if (bits !== undefined && (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', `RSA key of ${bits} bits (accepted: ${RSA_MIN_BITS}..${RSA_MAX_BITS})`);
  }
  return key;
}

/**
 * The public JWK of an extractable private key: only the key members (`kty` with `crv`/`x`/`y`,
 * `n`/`e` or `crv`/`x`), never a private member, `alg` or `key_ops`. (A certificate's is the
 * core's certificateJwk.)
 *
 * @example
 * const jwk = await publicJwk(await importPrivateKey(pem)) // { kty: 'EC', crv: 'P-256', x: '…', y: '…' }
 */
export async function publicJwk(key: CryptoKey): Promise<JsonWebKey> {
  let jwk: JsonWebKey;
  try {
    jwk = await getCrypto().subtle.exportKey('jwk', key);
  } catch (err) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', 'cannot export the public key', { cause: err });
  }
  switch (jwk.kty) {
    case 'EC':
      return { kty: 'EC', crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
    case 'RSA':
      return { kty: 'RSA', n: jwk.n!, e: jwk.e! };
    case 'OKP':
      return { kty: 'OKP', crv: jwk.crv!, x: jwk.x! };
    default:
      throw new TrustError('ERR_KEY_UNSUPPORTED', `unsupported key type ${JSON.stringify(jwk.kty)}`);
  }
}

/** The DER of the one PKCS#8 `PRIVATE KEY` block of `pem`, or ERR_PEM_MALFORMED. */
function pkcs8Der(pem: string): Uint8Array {
  const blocks = decodePemBlocks(pem);
  const pkcs8 = blocks.filter((b) => b.label === 'PRIVATE KEY');
  if (pkcs8.length !== 1) {
    const hint = blocks.some((b) => b.label === 'EC PRIVATE KEY' || b.label === 'RSA PRIVATE KEY')
      ? ' (convert with: openssl pkcs8 -topk8 -nocrypt -in key.pem)'
      : '';
    throw new TrustError('ERR_PEM_MALFORMED', `expected exactly one PKCS#8 PRIVATE KEY block${hint}`);
  }
  return pkcs8[0]!.der;
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
