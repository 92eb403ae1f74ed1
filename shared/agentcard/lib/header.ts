/**
 * Decoding and checking of one signature entry's headers. The protected header is parsed once per
 * distinct value (bounded cache), so a card seen again costs a map lookup, not a base64 + JSON +
 * certificate parse. Internal.
 */
import { TrustError } from '../../errors.js';
import { LruCache } from '../../lib/cache.js';
import { b64Decode, b64urlDecode, decodeUtf8, utf8 } from '../../lib/encoding.js';
import { findDuplicateMember } from '../../json/find-duplicate-member.js';
import { parseCertificate } from '../../x509/parse.js';
import type { Certificate } from '../../x509/types.js';

export interface ProtectedHeader {
  /** The header as sent (its base64url text) in ASCII bytes: the first half of the signing input. */
  readonly ascii: Uint8Array;
  readonly alg: string;
  /** The `typ` seen, normalized: `JOSE` (the A2A spec's value) or `JWT` (PyJWT's default). */
  readonly typ: 'JOSE' | 'JWT';
  readonly kid?: string;
  readonly jku?: string;
  /** The parsed `x5c` certificates, leaf first, in the order given. */
  readonly x5c?: readonly Certificate[];
}

/**
 * Parameters honoured only in the protected header: an unprotected copy could be changed by anyone
 * without breaking the signature. `jwk`, `x5u` and the thumbprints are never used for key
 * resolution (a signer-supplied key is not a trust root), but they still may not hide unprotected.
 */
const PROTECTED_ONLY = ['alg', 'typ', 'cty', 'crit', 'kid', 'jku', 'jwk', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'b64', 'zip'];

// Keyed by the header's own text (no key concatenation: the text can be kilobytes, and a fresh key
// string would be hashed on every lookup), then by the limits the result depended on.
const cache = new LruCache<string, Map<string, ProtectedHeader | TrustError>>(1024);

function bad(message: string): TrustError {
  return new TrustError('ERR_JWS_MALFORMED', `jws: ${message}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The decoded, checked protected header; throws the TrustError that describes what is wrong. */
export function parseProtectedHeader(b64: string, maxHeaderBytes: number, maxX5c: number): ProtectedHeader {
  const limits = `${maxHeaderBytes}/${maxX5c}`;
  let byLimits = cache.get(b64);
  const hit = byLimits?.get(limits);
  if (hit instanceof TrustError) throw hit;
  if (hit) return hit;
  let result: ProtectedHeader | TrustError;
  try {
    result = decode(b64, maxHeaderBytes, maxX5c);
  } catch (err) {
    if (!(err instanceof TrustError)) throw err;
    result = err;
  }
  if (!byLimits) cache.set(b64, (byLimits = new Map()));
  if (byLimits.size >= 8) byLimits.clear();
  byLimits.set(limits, result);
  if (result instanceof TrustError) throw result;
  return result;
}

function decode(b64: string, maxHeaderBytes: number, maxX5c: number): ProtectedHeader {
  // checked on the encoded length first, so an oversized header costs nothing to refuse
  if (Math.floor((b64.length * 3) / 4) > maxHeaderBytes) {
    throw new TrustError('ERR_JWS_HEADER_TOO_LARGE', `jws: protected header larger than ${maxHeaderBytes} bytes`);
  }
  let text: string;
  try {
    text = decodeUtf8(b64urlDecode(b64, 'ERR_JWS_MALFORMED'), 'ERR_JWS_MALFORMED');
  } catch (err) {
    throw new TrustError('ERR_JWS_MALFORMED', 'jws: protected header is not base64url of UTF-8 JSON', { cause: err });
  }
  // a UTF-8 byte-order mark is not JSON (RFC 8259 §8.1); a decoder that drops it would read
  // different bytes as the same header
  if (text.charCodeAt(0) === 0xfeff) throw bad('protected header starts with a byte-order mark');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TrustError('ERR_JWS_MALFORMED', 'jws: protected header is not JSON', { cause: err });
  }
  // a repeated name ("alg" twice) reads differently in other JOSE libraries (RFC 7515 §4, RFC 7493)
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) throw bad(`protected header has the member name ${JSON.stringify(duplicate.slice(0, 40))} twice`);
  if (!isPlainObject(json)) throw bad('protected header is not a JSON object');
  const h = json;

  const alg = h['alg'];
  if (typeof alg !== 'string' || alg === '') throw bad('protected header has no "alg"');

  if (h['crit'] !== undefined) {
    const crit = h['crit'];
    if (!Array.isArray(crit) || crit.length === 0 || !crit.every((c) => typeof c === 'string' && c !== '')) {
      throw bad('"crit" must be a non-empty array of names');
    }
    // no JWS extension is implemented, so every critical one is unknown (RFC 7515 §4.1.11)
    throw new TrustError('ERR_JWS_CRIT_UNSUPPORTED', `jws: unsupported critical header parameter ${JSON.stringify(crit[0])}`);
  }
  if (h['b64'] !== undefined && h['b64'] !== true) throw bad('unencoded payloads ("b64": false) are not supported');

  // RFC 7515 §4.1.9 typ: media type, case-insensitive, "application/" may be omitted. The A2A
  // spec asks for "JOSE"; PyJWT writes "JWT" unless told otherwise, and both name a compact or
  // JSON JWS. A missing or different typ could be a JWS made for another purpose (what is signed
  // is still the card's canonical form, which no other kind of token has as its payload).
  const typ = typValue(h['typ']);

  const kid = h['kid'];
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) throw bad('"kid" must be a non-empty string');
  const jku = h['jku'];
  if (jku !== undefined && (typeof jku !== 'string' || jku === '')) throw bad('"jku" must be a non-empty string');

  let x5c: Certificate[] | undefined;
  if (h['x5c'] !== undefined) {
    const list = h['x5c'];
    if (!Array.isArray(list) || list.length === 0) throw bad('"x5c" must be a non-empty array');
    if (list.length > maxX5c) throw new TrustError('ERR_CARD_X5C_TOO_LONG', `jws: "x5c" holds ${list.length} certificates, limit ${maxX5c}`);
    x5c = list.map((item, i) => {
      if (typeof item !== 'string') throw bad(`"x5c"[${i}] is not a string`);
      // RFC 7515 §4.1.6: standard base64 (not base64url) DER
      const der = b64Decode(item, 'ERR_JWS_MALFORMED');
      return parseCertificate(der);
    });
  }

  return Object.freeze({
    ascii: utf8.encode(b64),
    alg,
    typ,
    ...(kid === undefined ? {} : { kid: kid as string }),
    ...(jku === undefined ? {} : { jku: jku as string }),
    ...(x5c === undefined ? {} : { x5c: Object.freeze(x5c) }),
  });
}

/**
 * The normalized `typ`: `JOSE` for `JOSE`/`application/jose`, `JWT` for `JWT`/`application/jwt`,
 * compared case-insensitively (RFC 7515 §4.1.9, RFC 2045 media types); anything else, a missing or
 * a non-string `typ` is ERR_JWS_TYP_INVALID.
 */
export function typValue(typ: unknown): 'JOSE' | 'JWT' {
  if (typeof typ !== 'string') {
    throw new TrustError('ERR_JWS_TYP_INVALID', typ === undefined ? 'jws: protected header has no "typ" (expected "JOSE" or "JWT")' : 'jws: "typ" must be a string ("JOSE" or "JWT")');
  }
  // ASCII case folding only: a media type is ASCII (RFC 2045), and Unicode folding would let a
  // non-ASCII look-alike (the Kelvin sign folds to "k") pass
  const t = typ.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const short = t.startsWith('application/') ? t.slice('application/'.length) : t;
  if (short === 'jose') return 'JOSE';
  if (short === 'jwt') return 'JWT';
  throw new TrustError('ERR_JWS_TYP_INVALID', `jws: "typ" is ${JSON.stringify(typ.slice(0, 40))}, expected "JOSE" or "JWT"`);
}

/** Checks the unprotected header: a JSON object within the size limit, disjoint from the protected one. */
export function checkUnprotectedHeader(header: Record<string, unknown>, protectedB64: string, maxHeaderBytes: number): void {
  let size: number;
  try {
    size = JSON.stringify(header).length;
  } catch (err) {
    throw new TrustError('ERR_JWS_MALFORMED', 'jws: unprotected header is not JSON', { cause: err });
  }
  if (size > maxHeaderBytes) throw new TrustError('ERR_JWS_HEADER_TOO_LARGE', `jws: unprotected header larger than ${maxHeaderBytes} bytes`);
  const names = Object.keys(header);
  if (names.length === 0) return;
  for (const name of names) {
    if (PROTECTED_ONLY.includes(name)) throw bad(`"${name}" must be in the protected header`);
  }
  // RFC 7515 §7.2.1: header parameter names must be disjoint; only reached when names exist
  const prot = JSON.parse(decodeUtf8(b64urlDecode(protectedB64, 'ERR_JWS_MALFORMED'), 'ERR_JWS_MALFORMED')) as Record<string, unknown>;
  for (const name of names) if (Object.prototype.hasOwnProperty.call(prot, name)) throw bad(`"${name}" is in both headers`);
}
