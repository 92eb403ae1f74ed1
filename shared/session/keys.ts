/**
 * Session key pairs (ECDSA P-256), RFC 7638 thumbprints, and the import of the public keys a
 * bootstrap token or a daemon's configuration carries: a JWK or a PEM SPKI string (AgentCube's
 * format). Every unusable key is `ERR_KEY_UNSUPPORTED`.
 */
import { TrustError } from '../errors.js';
import { getCrypto, subtle } from '../crypto.js';
import { b64urlDecode, b64urlEncode, toArrayBuffer, utf8 } from '../lib/encoding.js';
import { isJwkPointOnCurve, isOnCurve } from '../lib/ec.js';
import { rsaExponentProblem } from '../lib/rsa.js';
import { decodePemBlocks } from '../x509/pem.js';
import { RSA_MAX_BITS, RSA_MIN_BITS } from '../x509/lib/keys.js';
import { pkcs8KeyType } from '../x509/pkcs8.js';
import { readSpki } from './lib/spki.js';
import { algorithmOfKey, isCryptoKey, type SessionJwsAlgorithm } from './lib/jws.js';
import type { SessionKeyPair } from './types.js';

const MODULE = 'session';
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
// Private or symmetric members: a "public key" carrying them is leaking a secret.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function unsupported(message: string, cause?: unknown): TrustError {
  return new TrustError('ERR_KEY_UNSUPPORTED', `${MODULE}: ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC, RSA or OKP public key: the hash of
 * the required members only, in lexicographic order.
 *
 * @example
 * await jwkThumbprint({ kty: 'EC', crv: 'P-256', x: '…', y: '…' }) // 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
 */
export async function jwkThumbprint(jwk: JsonWebKey): Promise<string> {
  if (jwk === null || typeof jwk !== 'object') throw unsupported('a JWK object is required');
  let members: Record<string, unknown>;
  switch (jwk.kty) {
    case 'EC':
      members = { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y };
      break;
    case 'RSA':
      members = { e: jwk.e, kty: 'RSA', n: jwk.n };
      break;
    case 'OKP':
      members = { crv: jwk.crv, kty: 'OKP', x: jwk.x };
      break;
    default:
      throw unsupported(`cannot compute the thumbprint of key type ${JSON.stringify(jwk.kty ?? null)}`);
  }
  for (const [name, value] of Object.entries(members)) {
    if (typeof value !== 'string' || value === '') throw unsupported(`the JWK has no "${name}" member`);
  }
  const digest = await subtle().digest('SHA-256', utf8.encode(JSON.stringify(members)));
  return b64urlEncode(new Uint8Array(digest));
}

/**
 * A fresh ECDSA P-256 session key pair. The private key is extractable so that the control plane
 * can seal it ({@link sealSessionKey}); the public key is given as a JWK with its thumbprint.
 *
 * @example
 * const { privateKey, publicJwk, thumbprint } = await generateSessionKeyPair()
 */
export async function generateSessionKeyPair(): Promise<SessionKeyPair> {
  let pair: CryptoKeyPair;
  try {
    pair = (await getCrypto().subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  } catch (err) {
    throw unsupported('cannot generate an ECDSA P-256 key pair', err);
  }
  const full = (await subtle().exportKey('jwk', pair.publicKey)) as JsonWebKey;
  const publicJwk: JsonWebKey = { kty: 'EC', crv: 'P-256', x: full.x!, y: full.y! };
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk, thumbprint: await jwkThumbprint(publicJwk) };
}

/** A validated public JWK reduced to its key members (nothing signer-controlled is kept). */
function checkJwk(jwk: unknown, allowRsa: boolean): JsonWebKey {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw unsupported('the public key must be a JWK object or a PEM SPKI string');
  const j = jwk as Record<string, unknown>;
  for (const m of PRIVATE_MEMBERS) if (m in j) throw unsupported(`the public JWK contains the private member "${m}"`);
  if (j['use'] !== undefined && j['use'] !== 'sig') throw unsupported('the JWK "use" must be "sig"');
  if (j['key_ops'] !== undefined && !(Array.isArray(j['key_ops']) && j['key_ops'].includes('verify'))) throw unsupported('the JWK "key_ops" do not include "verify"');
  const str = (name: string): string => {
    const v = j[name];
    if (typeof v !== 'string' || v === '') throw unsupported(`the JWK member "${name}" must be a non-empty base64url string`);
    return v;
  };
  if (j['kty'] === 'EC') {
    if (j['crv'] !== 'P-256') throw unsupported(`the key must be on P-256, not ${JSON.stringify(j['crv'] ?? null)}`);
    if (j['alg'] !== undefined && j['alg'] !== 'ES256') throw unsupported('the JWK "alg" must be ES256 for a P-256 key');
    const x = str('x');
    const y = str('y');
    let ok = false;
    try {
      ok = isJwkPointOnCurve('P-256', b64urlDecode(x, 'ERR_KEY_UNSUPPORTED'), b64urlDecode(y, 'ERR_KEY_UNSUPPORTED'));
    } catch (err) {
      throw unsupported('the JWK coordinates are not base64url', err);
    }
    if (!ok) throw unsupported('the JWK is not a point on P-256');
    return { kty: 'EC', crv: 'P-256', x, y };
  }
  if (j['kty'] === 'RSA' && allowRsa) {
    if (j['alg'] !== undefined && j['alg'] !== 'RS256') throw unsupported('the JWK "alg" must be RS256 for an RSA key');
    const n = str('n');
    const e = str('e');
    let nb: Uint8Array;
    let eb: Uint8Array;
    try {
      nb = b64urlDecode(n, 'ERR_KEY_UNSUPPORTED');
      eb = b64urlDecode(e, 'ERR_KEY_UNSUPPORTED');
    } catch (err) {
      throw unsupported('the JWK members are not base64url', err);
    }
    if (nb[0] === 0 || eb[0] === 0 || eb.length > 8) throw unsupported('the RSA JWK members are not minimal unsigned integers');
    const bits = nb.length === 0 ? 0 : (nb.length - 1) * 8 + (32 - Math.clz32(nb[0]!));
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) throw unsupported(`RSA keys must have ${RSA_MIN_BITS}..${RSA_MAX_BITS} bits, this one has ${bits}`);
    const eProblem = rsaExponentProblem(eb);
    if (eProblem !== undefined) throw unsupported(eProblem);
    return { kty: 'RSA', n, e };
  }
  throw unsupported(allowRsa ? 'the key must be an EC P-256 or RSA key' : 'the key must be an EC P-256 key');
}

/** The one PUBLIC KEY block of a PEM string, as a JWK of the key members. */
async function pemToJwk(pem: string, allowRsa: boolean): Promise<JsonWebKey> {
  let blocks: Array<{ label: string; der: Uint8Array }>;
  try {
    blocks = decodePemBlocks(pem);
  } catch (err) {
    throw unsupported('the public key is not valid PEM', err);
  }
  if (blocks.length !== 1) throw unsupported(`expected one PEM block, found ${blocks.length}`);
  const { label, der } = blocks[0]!;
  if (label !== 'PUBLIC KEY') throw unsupported(`the PEM block must be "PUBLIC KEY" (SPKI), not ${JSON.stringify(label)}`);
  const spki = readSpki(der, MODULE);
  if (spki.kind === 'EC-P256') {
    if (!isOnCurve('P-256', spki.point)) throw unsupported('the key is not an uncompressed point on P-256');
    return { kty: 'EC', crv: 'P-256', x: b64urlEncode(spki.point.subarray(1, 33)), y: b64urlEncode(spki.point.subarray(33)) };
  }
  if (spki.kind === 'RSA' && allowRsa) {
    let key: CryptoKey;
    try {
      key = await subtle().importKey('spki', toArrayBuffer(der), RS256, true, ['verify']);
    } catch (err) {
      throw unsupported('the RSA public key cannot be imported', err);
    }
    const full = (await subtle().exportKey('jwk', key)) as JsonWebKey;
    return checkJwk({ kty: 'RSA', n: full.n, e: full.e }, true);
  }
  throw unsupported(allowRsa ? 'the PEM key must be EC P-256 or RSA' : 'the PEM key must be EC P-256');
}

async function importJwk(jwk: JsonWebKey): Promise<CryptoKey> {
  try {
    return await subtle().importKey('jwk', jwk, jwk.kty === 'EC' ? ECDSA_P256 : RS256, true, ['verify']);
  } catch (err) {
    throw unsupported('the public key cannot be imported', err);
  }
}

/**
 * Imports a session public key: a JWK object or a PEM `-----BEGIN PUBLIC KEY-----` SPKI string
 * (AgentCube's format); ECDSA P-256 only, no private members, the point checked on the curve.
 *
 * @example
 * const { key, thumbprint } = await importSessionPublicKey(claims.session_public_key)
 */
export async function importSessionPublicKey(key: JsonWebKey | string): Promise<{ key: CryptoKey; jwk: JsonWebKey; thumbprint: string }> {
  const jwk = typeof key === 'string' ? await pemToJwk(key, false) : checkJwk(key, false);
  return { key: await importJwk(jwk), jwk, thumbprint: await jwkThumbprint(jwk) };
}

/**
 * Imports a bootstrap PUBLIC key (what a daemon is configured with): a CryptoKey, a JWK or a PEM
 * SPKI string; ECDSA P-256 (ES256) or RSA 2048..8192 bits (RS256). The key type decides the
 * algorithm the tokens it verifies must carry.
 *
 * @example
 * const { key, alg } = await importBootstrapPublicKey(await readFile('bootstrap.pub.pem', 'utf8'))
 */
export async function importBootstrapPublicKey(key: CryptoKey | JsonWebKey | string): Promise<{ key: CryptoKey; alg: SessionJwsAlgorithm }> {
  if (isCryptoKey(key)) {
    const alg = algorithmOfKey(key);
    if (key.type !== 'public' || !key.usages.includes('verify') || alg === undefined) {
      throw unsupported('the bootstrap key must be an ECDSA P-256 or RSASSA-PKCS1-v1_5 SHA-256 (≥ 2048 bits) public key with the "verify" usage');
    }
    return { key, alg };
  }
  const jwk = typeof key === 'string' ? await pemToJwk(key, true) : checkJwk(key, true);
  return { key: await importJwk(jwk), alg: jwk.kty === 'EC' ? 'ES256' : 'RS256' };
}

/**
 * Imports the control plane's bootstrap PRIVATE key from PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`):
 * EC P-256 (tokens are ES256) or RSA 2048..8192 bits (RS256). Not extractable.
 *
 * @example
 * const key = await importBootstrapPrivateKey(env.BOOTSTRAP_PRIVATE_KEY)
 */
export async function importBootstrapPrivateKey(pem: string): Promise<CryptoKey> {
  if (typeof pem !== 'string') throw unsupported('the bootstrap private key must be a PEM string');
  let blocks: Array<{ label: string; der: Uint8Array }>;
  try {
    blocks = decodePemBlocks(pem);
  } catch (err) {
    throw unsupported('the bootstrap private key is not valid PEM', err);
  }
  if (blocks.length !== 1 || blocks[0]!.label !== 'PRIVATE KEY') throw unsupported('the bootstrap private key must be one PKCS#8 "PRIVATE KEY" PEM block');
  const der = blocks[0]!.der;
  let type: ReturnType<typeof pkcs8KeyType>;
  try {
    type = pkcs8KeyType(der);
  } catch (err) {
    throw unsupported('the bootstrap private key is not a PKCS#8 key', err);
  }
  if (!(type.kty === 'RSA' || (type.kty === 'EC' && type.crv === 'P-256'))) throw unsupported('the bootstrap private key must be EC P-256 or RSA');
  let key: CryptoKey;
  try {
    key = await subtle().importKey('pkcs8', toArrayBuffer(der), type.kty === 'EC' ? ECDSA_P256 : RS256, false, ['sign']);
  } catch (err) {
    throw unsupported('the bootstrap private key cannot be imported', err);
  }
  const a = key.algorithm as Partial<RsaHashedKeyAlgorithm>;
  if (type.kty === 'RSA' && !(typeof a.modulusLength === 'number' && a.modulusLength >= RSA_MIN_BITS && a.modulusLength <= RSA_MAX_BITS)) {
    throw unsupported(`RSA bootstrap keys must have ${RSA_MIN_BITS}..${RSA_MAX_BITS} bits`);
  }
  return key;
}
