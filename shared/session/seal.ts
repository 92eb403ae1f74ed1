/**
 * Sealing of session private keys at rest (format `ctsk1`):
 *
 *   sealed = "ctsk1." base64url(iv) "." base64url(AES-256-GCM ciphertext ‖ 16-byte tag)
 *   key    = HKDF-SHA-256(ikm = secret, salt = "cardtrust/session-key-seal", info = "ctsk1 AES-256-GCM")
 *   iv     = 12 random bytes, fresh per seal;  AAD = UTF-8 of the session id
 *   plaintext = the PKCS#8 DER of the ECDSA P-256 private key
 *
 * The info string binds the format version, so a future `ctsk2` derives a different key; the AAD
 * binds the session, so a sealed key copied to another session's slot does not open.
 */
import { TrustError } from '../errors.js';
import { getCrypto, subtle } from '../crypto.js';
import { LruCache } from '../lib/cache.js';
import { b64urlDecode, b64urlEncode, toArrayBuffer, utf8 } from '../lib/encoding.js';
import { algorithmOfKey, isCryptoKey } from './lib/jws.js';

/** The version prefix of sealed keys this module writes and reads. */
export const SEALED_KEY_VERSION = 'ctsk1';
/** The HKDF salt (fixed; the secret is the only entropy). */
export const SEAL_HKDF_SALT = 'cardtrust/session-key-seal';
/** The HKDF info: names the format version and the cipher. */
export const SEAL_HKDF_INFO = 'ctsk1 AES-256-GCM';
/** Shortest secret accepted, in bytes. */
export const MIN_SEAL_SECRET_BYTES = 32;
const MAX_SEALED_CHARS = 4096;
const MODULE = 'seal';

export interface SealOptions {
  /** The master secret (≥ 32 bytes; a string is taken as UTF-8). */
  secret: string | Uint8Array;
  /** The session the key belongs to: the AAD. */
  sessionId: string;
}

// One derived AES key per secret (a pure function of it); bounded.
const derived = new LruCache<string, Promise<CryptoKey>>(8);

function secretBytes(secret: unknown): Uint8Array {
  const bytes = typeof secret === 'string' ? utf8.encode(secret) : secret instanceof Uint8Array ? secret : undefined;
  if (!bytes) throw new TrustError('ERR_INPUT_INVALID', `${MODULE}: options.secret must be a string or bytes`);
  if (bytes.length < MIN_SEAL_SECRET_BYTES) throw new TrustError('ERR_INPUT_INVALID', `${MODULE}: the secret must be at least ${MIN_SEAL_SECRET_BYTES} bytes`);
  return bytes;
}

function checkOptions(opts: SealOptions): { bytes: Uint8Array; aad: Uint8Array } {
  if (opts === null || typeof opts !== 'object') throw new TrustError('ERR_INPUT_INVALID', `${MODULE}: options are required`);
  const bytes = secretBytes(opts.secret);
  if (typeof opts.sessionId !== 'string' || opts.sessionId === '') throw new TrustError('ERR_INPUT_INVALID', `${MODULE}: options.sessionId must be a non-empty string`);
  return { bytes, aad: utf8.encode(opts.sessionId) };
}

function aesKey(secret: Uint8Array): Promise<CryptoKey> {
  const id = b64urlEncode(secret);
  let p = derived.get(id);
  if (!p) {
    p = (async () => {
      const base = await subtle().importKey('raw', toArrayBuffer(secret.slice()), 'HKDF', false, ['deriveKey']);
      return subtle().deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: utf8.encode(SEAL_HKDF_SALT), info: utf8.encode(SEAL_HKDF_INFO) },
        base,
        { name: 'AES-GCM', length: 256 },
        false,
        ['encrypt', 'decrypt'],
      );
    })();
    p.catch(() => derived.delete(id));
    derived.set(id, p);
  }
  return p;
}

/**
 * Seals an extractable ECDSA P-256 private key for storage (`ctsk1.<iv>.<ciphertext+tag>`).
 *
 * @example
 * const sealed = await sealSessionKey(pair.privateKey, { secret: env.SESSION_SEAL_SECRET, sessionId })
 */
export async function sealSessionKey(privateKey: CryptoKey, opts: SealOptions): Promise<string> {
  const { bytes, aad } = checkOptions(opts);
  if (!isCryptoKey(privateKey) || privateKey.type !== 'private' || algorithmOfKey(privateKey) !== 'ES256') {
    throw new TrustError('ERR_KEY_UNSUPPORTED', `${MODULE}: only an ECDSA P-256 private key can be sealed`);
  }
  if (!privateKey.extractable) throw new TrustError('ERR_KEY_UNSUPPORTED', `${MODULE}: the private key is not extractable`);
  let pkcs8: ArrayBuffer;
  try {
    pkcs8 = await subtle().exportKey('pkcs8', privateKey);
  } catch (err) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', `${MODULE}: the private key cannot be exported`, { cause: err });
  }
  const iv = getCrypto().getRandomValues(new Uint8Array(12));
  const key = await aesKey(bytes);
  const ct = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: toArrayBuffer(aad), tagLength: 128 }, key, pkcs8);
  return `${SEALED_KEY_VERSION}.${b64urlEncode(iv)}.${b64urlEncode(new Uint8Array(ct))}`;
}

function invalid(message: string, cause?: unknown): TrustError {
  return new TrustError('ERR_SEALED_KEY_INVALID', `${MODULE}: ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * Opens a sealed session key; any failure (wrong version, truncated, tampered, wrong secret, wrong
 * session id) is ERR_SEALED_KEY_INVALID. The key comes back non-extractable, for signing only.
 *
 * @example
 * const privateKey = await unsealSessionKey(sealed, { secret: env.SESSION_SEAL_SECRET, sessionId })
 */
export async function unsealSessionKey(sealed: string, opts: SealOptions): Promise<CryptoKey> {
  const { bytes, aad } = checkOptions(opts);
  if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_CHARS) throw invalid('the sealed key must be a string of at most 4096 characters');
  const parts = sealed.split('.');
  if (parts.length !== 3) throw invalid('the sealed key is not "<version>.<iv>.<ciphertext>"');
  if (parts[0] !== SEALED_KEY_VERSION) throw invalid(`unsupported sealed key version ${JSON.stringify(parts[0]!.slice(0, 16))}`);
  let iv: Uint8Array;
  let ct: Uint8Array;
  try {
    iv = b64urlDecode(parts[1]!);
    ct = b64urlDecode(parts[2]!);
  } catch (err) {
    throw invalid('the sealed key is not base64url', err);
  }
  if (iv.length !== 12) throw invalid('the IV must be 12 bytes');
  if (ct.length <= 16) throw invalid('the ciphertext is truncated');
  const key = await aesKey(bytes);
  let pkcs8: ArrayBuffer;
  try {
    pkcs8 = await subtle().decrypt({ name: 'AES-GCM', iv: toArrayBuffer(iv), additionalData: toArrayBuffer(aad), tagLength: 128 }, key, toArrayBuffer(ct));
  } catch (err) {
    throw invalid('the sealed key does not open (tampered, or another secret or session id)', err);
  }
  try {
    return await subtle().importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  } catch (err) {
    throw invalid('the sealed content is not an ECDSA P-256 PKCS#8 key', err);
  }
}
