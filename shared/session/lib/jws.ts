/**
 * Internal: the compact JWS (RFC 7515 §7.1) the session tokens use, made and checked with
 * `subtle()` so that an injected crypto provider is honoured (jose calls `globalThis.crypto`
 * directly and would bypass it; see docs/sessions.md "Why not jose's jwtVerify").
 */
import { findDuplicateMember } from '../../json/find-duplicate-member.js';
import { TrustError, type ErrorCode } from '../../errors.js';
import { subtle } from '../../crypto.js';
import { b64urlDecode, b64urlEncode, decodeUtf8, toArrayBuffer, utf8 } from '../../lib/encoding.js';
import { LruCache } from '../../lib/cache.js';

/** The algorithms session tokens may carry: the key type decides which one a key verifies. */
export type SessionJwsAlgorithm = 'ES256' | 'RS256';

/** Largest token accepted, in characters (a bootstrap token with an RSA-4096 PEM key fits easily). */
export const MAX_TOKEN_BYTES = 16 * 1024;
const MAX_HEADER_CHARS = 1024;

const SIGN_PARAMS: Record<SessionJwsAlgorithm, EcdsaParams | AlgorithmIdentifier> = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
};

export function fail(module: string, code: ErrorCode, message: string, cause?: unknown): TrustError {
  return new TrustError(code, `${module}: ${message}`, cause === undefined ? undefined : { cause });
}

/** The algorithm a key may sign or verify: ECDSA P-256 → ES256, RSASSA-PKCS1-v1_5 SHA-256 (≥ 2048 bits) → RS256. */
export function algorithmOfKey(key: CryptoKey): SessionJwsAlgorithm | undefined {
  const a = key.algorithm as Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>;
  if (a.name === 'ECDSA' && a.namedCurve === 'P-256') return 'ES256';
  if (a.name === 'RSASSA-PKCS1-v1_5') {
    const hash = typeof a.hash === 'string' ? a.hash : a.hash?.name;
    if (hash === 'SHA-256' && typeof a.modulusLength === 'number' && a.modulusLength >= 2048) return 'RS256';
  }
  return undefined;
}

export function isCryptoKey(key: unknown): key is CryptoKey {
  return typeof key === 'object' && key !== null && typeof (key as CryptoKey).type === 'string' && typeof (key as CryptoKey).algorithm === 'object' && Array.isArray((key as CryptoKey).usages);
}

/** Signs `payload` as a compact JWS with header `{alg, typ: "JWT", kid?}`. */
export async function signCompact(module: string, key: CryptoKey, alg: SessionJwsAlgorithm, payload: Record<string, unknown>, kid?: string): Promise<string> {
  const header = kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid };
  const input = `${b64urlEncode(utf8.encode(JSON.stringify(header)))}.${b64urlEncode(utf8.encode(JSON.stringify(payload)))}`;
  let sig: ArrayBuffer;
  try {
    sig = await subtle().sign(SIGN_PARAMS[alg], key, utf8.encode(input));
  } catch (err) {
    throw fail(module, 'ERR_KEY_UNSUPPORTED', `the key cannot sign ${alg}`, err);
  }
  return `${input}.${b64urlEncode(new Uint8Array(sig))}`;
}

export interface ParsedCompact {
  readonly alg: string;
  readonly payload: Record<string, unknown>;
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

// The header of every token one control plane issues is the same few bytes: parsed once per
// distinct text (a pure function of that text, so the cache cannot change an answer).
const headers = new LruCache<string, { alg: string } | TrustError>(64);

function parseHeader(module: string, text: string): { alg: string } {
  const hit = headers.get(text);
  if (hit instanceof TrustError) throw hit;
  if (hit) return hit;
  let result: { alg: string } | TrustError;
  try {
    result = checkHeader(module, decodeObject(module, text, 'header'));
  } catch (err) {
    if (!(err instanceof TrustError)) throw err;
    result = err;
  }
  headers.set(text, result);
  if (result instanceof TrustError) throw result;
  return result;
}

function checkHeader(module: string, h: Record<string, unknown>): { alg: string } {
  const alg = h['alg'];
  if (typeof alg !== 'string' || alg === '') throw fail(module, 'ERR_JWS_MALFORMED', 'the header has no "alg"');
  const typ = h['typ'];
  if (typ !== undefined && typ !== 'JWT') throw fail(module, 'ERR_JWS_TYP_INVALID', `typ must be "JWT", got ${JSON.stringify(typ)}`);
  // RFC 7515 §4.1.11: no extension is understood here, so any crit is refused
  if (h['crit'] !== undefined) throw fail(module, 'ERR_JWS_CRIT_UNSUPPORTED', 'critical header parameters are not supported');
  if (h['kid'] !== undefined && typeof h['kid'] !== 'string') throw fail(module, 'ERR_JWS_MALFORMED', 'kid must be a string');
  return Object.freeze({ alg });
}

function decodeObject(module: string, part: string, what: string): Record<string, unknown> {
  let value: unknown;
  let text: string;
  try {
    text = segmentText(part);
    value = JSON.parse(text);
  } catch (err) {
    throw fail(module, 'ERR_JWS_MALFORMED', `the token ${what} is not base64url-encoded JSON`, err);
  }
  // I-JSON (RFC 7493): two "sub" members read differently in another JWT library
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) throw fail(module, 'ERR_JWS_MALFORMED', `the token ${what} has the member name ${JSON.stringify(duplicate.slice(0, 40))} twice`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail(module, 'ERR_JWS_MALFORMED', `the token ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The UTF-8 text of a base64url segment whose alphabet the caller has checked. The platform's
 * `atob` does the decoding (several times faster than a JS loop on every runtime); the strict
 * rules it would forgive are checked here first: no length ≡ 1 (mod 4), canonical trailing bits.
 * ASCII (every JWT this toolkit mints) is its own UTF-8; anything else goes through strict UTF-8.
 */
function segmentText(part: string): string {
  const rem = part.length % 4;
  if (rem === 1) throw new TrustError('ERR_JWS_MALFORMED', 'base64url has a truncated final quantum');
  if (rem !== 0) {
    const last = B64URL.indexOf(part[part.length - 1]!);
    if ((last & (rem === 2 ? 0x0f : 0x03)) !== 0) throw new TrustError('ERR_JWS_MALFORMED', 'base64url has non-zero padding bits');
  }
  const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  if (!NON_ASCII.test(binary)) return binary;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return decodeUtf8(bytes, 'ERR_JWS_MALFORMED');
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Splits and decodes a compact JWS; structure errors are ERR_JWS_MALFORMED, header rules their own codes. */
export function parseCompact(module: string, token: unknown, maxBytes = MAX_TOKEN_BYTES): ParsedCompact {
  if (typeof token !== 'string') throw fail(module, 'ERR_JWS_MALFORMED', 'the token must be a string');
  if (token.length > maxBytes) throw fail(module, 'ERR_JWS_MALFORMED', `the token is larger than ${maxBytes} bytes`);
  if (!COMPACT.test(token)) throw fail(module, 'ERR_JWS_MALFORMED', 'the token is not three base64url segments (JWS compact serialization)');
  const d1 = token.indexOf('.');
  const d2 = token.indexOf('.', d1 + 1);
  const h = token.slice(0, d1);
  if (h.length > MAX_HEADER_CHARS) throw fail(module, 'ERR_JWS_HEADER_TOO_LARGE', 'the protected header is too large');
  const { alg } = parseHeader(module, h);
  const payload = decodeObject(module, token.slice(d1 + 1, d2), 'payload');
  let signature: Uint8Array;
  try {
    signature = b64urlDecode(token.slice(d2 + 1), 'ERR_JWS_MALFORMED');
  } catch (err) {
    throw fail(module, 'ERR_JWS_MALFORMED', 'the signature is not base64url', err);
  }
  // the token is ASCII (checked above): its bytes are its UTF-16 code units
  const signingInput = new Uint8Array(d2);
  utf8.encodeInto(token.slice(0, d2), signingInput);
  return { alg, payload, signingInput, signature };
}

/** Verifies the signature of a parsed token with `key`, whose type decides the one algorithm allowed. */
export async function verifySignature(module: string, parsed: ParsedCompact, key: CryptoKey, alg: SessionJwsAlgorithm): Promise<void> {
  if (parsed.alg !== alg) {
    throw fail(module, 'ERR_JWS_ALGORITHM_NOT_ALLOWED', `algorithm ${JSON.stringify(parsed.alg)} is not allowed: the key verifies ${alg} only`);
  }
  // ES256 signatures are R ‖ S, 32 bytes each (RFC 7518 §3.4); anything else cannot verify
  if (alg === 'ES256' && parsed.signature.length !== 64) throw fail(module, 'ERR_JWS_SIGNATURE_INVALID', 'the ES256 signature is not 64 bytes');
  let valid = false;
  try {
    valid = await subtle().verify(SIGN_PARAMS[alg], key, toArrayBuffer(parsed.signature), toArrayBuffer(parsed.signingInput));
  } catch (err) {
    throw fail(module, 'ERR_JWS_SIGNATURE_INVALID', 'the signature does not verify', err);
  }
  if (!valid) throw fail(module, 'ERR_JWS_SIGNATURE_INVALID', 'the signature does not verify');
}
