/** Byte and text encodings the core needs, strict on input. No Buffer: runtime-neutral. */
import { TrustError, type ErrorCode } from '../errors.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DEC_STD = new Int16Array(128).fill(-1);
const DEC_URL = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  DEC_STD[B64.charCodeAt(i)] = i;
  DEC_URL[B64URL.charCodeAt(i)] = i;
}

export const utf8 = new TextEncoder();
// ignoreBOM: true keeps a leading U+FEFF in the text instead of silently dropping it, so JSON that
// starts with a byte-order mark fails to parse (RFC 8259 §8.1: JSON text must not start with one)
const utf8dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decoding; invalid sequences throw `code`. A leading byte-order mark is kept as U+FEFF. */
export function decodeUtf8(bytes: Uint8Array, code: ErrorCode = 'ERR_INPUT_INVALID'): string {
  try {
    return utf8dec.decode(bytes);
  } catch (err) {
    throw new TrustError(code, 'invalid UTF-8', { cause: err });
  }
}

function encode(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + (pad ? '==' : '');
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >>> 18]! + alphabet[(n >>> 12) & 63]! + alphabet[(n >>> 6) & 63]! + (pad ? '=' : '');
  }
  return out;
}

function decode(text: string, table: Int16Array, padded: boolean, code: ErrorCode): Uint8Array {
  let s = text;
  if (padded) {
    if (s.length % 4 !== 0) throw new TrustError(code, 'base64 length is not a multiple of 4');
    if (s.endsWith('==')) s = s.slice(0, -2);
    else if (s.endsWith('=')) s = s.slice(0, -1);
  }
  if (s.length % 4 === 1) throw new TrustError(code, 'base64 has a truncated final quantum');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) throw new TrustError(code, `invalid base64 character at offset ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // non-canonical encodings (leftover bits set) are rejected: one value, one encoding
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw new TrustError(code, 'base64 has non-zero padding bits');
  return out;
}

/** base64url without padding (RFC 7515 §2). */
export function b64urlEncode(bytes: Uint8Array): string {
  return encode(bytes, B64URL, false);
}

/** Strict base64url decoding: no padding, no whitespace, canonical trailing bits. */
export function b64urlDecode(text: string, code: ErrorCode = 'ERR_BASE64_MALFORMED'): Uint8Array {
  return decode(text, DEC_URL, false, code);
}

/** Standard base64 with padding (as in `x5c`, RFC 7517 §4.7). */
export function b64Encode(bytes: Uint8Array): string {
  return encode(bytes, B64, true);
}

/** Strict standard base64 decoding: padding required, no whitespace. */
export function b64Decode(text: string, code: ErrorCode = 'ERR_BASE64_MALFORMED'): Uint8Array {
  return decode(text, DEC_STD, true, code);
}

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, '0');
  return out;
}

/** Constant-shape byte comparison (length leaks, content does not). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** A fresh ArrayBuffer-backed copy (WebCrypto wants BufferSource over a plain ArrayBuffer). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer
    : (bytes.slice().buffer as ArrayBuffer);
}
