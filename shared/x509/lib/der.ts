/**
 * A strict DER reader: definite lengths only, minimal length encodings, low tag numbers, every
 * read bounds-checked against its parent. Internal to the x509 module.
 */
import { TrustError, type ErrorCode } from '../../errors.js';

/** One tag-length-value: the value is `buf[cs, end)`, the whole TLV `buf[start, end)`. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly cs: number;
  readonly end: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8: 0x0c,
  PRINTABLE: 0x13,
  T61: 0x14,
  IA5: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL: 0x1c,
  BMP: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export function fail(code: ErrorCode, what: string): never {
  throw new TrustError(code, `malformed DER: ${what}`);
}

/** Reads the TLV at `pos`, which must end at or before `limit`. */
export function readTlv(buf: Uint8Array, pos: number, limit: number, code: ErrorCode): Tlv {
  if (pos + 2 > limit) fail(code, 'truncated header');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) fail(code, 'high tag number');
  let len = buf[pos + 1]!;
  let cs = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) fail(code, 'indefinite length');
    if (n > 3) fail(code, 'length too large');
    if (cs + n > limit) fail(code, 'truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[cs + i]!;
    if (buf[cs] === 0 || len < 0x80) fail(code, 'non-minimal length');
    cs += n;
  }
  const end = cs + len;
  if (end > limit) fail(code, 'length beyond end of data');
  return { tag, start: pos, cs, end };
}

/** Reads a TLV that must carry `tag`. */
export function expect(buf: Uint8Array, pos: number, limit: number, tag: number, code: ErrorCode, what: string): Tlv {
  if (pos >= limit) fail(code, `missing ${what}`);
  const t = readTlv(buf, pos, limit, code);
  if (t.tag !== tag) fail(code, `unexpected tag for ${what}`);
  return t;
}

/** The TLVs directly inside a constructed value, which must fill it exactly. */
export function children(buf: Uint8Array, parent: Tlv, code: ErrorCode): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.cs; p < parent.end; ) {
    const t = readTlv(buf, p, parent.end, code);
    out.push(t);
    p = t.end;
  }
  return out;
}

const oidCache = new Map<string, string>();

/** Dotted OID text; rejects empty and non-minimal sub-identifiers. */
export function readOid(buf: Uint8Array, t: Tlv, code: ErrorCode): string {
  if (t.tag !== TAG.OID) fail(code, 'expected OBJECT IDENTIFIER');
  if (t.end === t.cs) fail(code, 'empty OBJECT IDENTIFIER');
  if (t.end - t.cs > 64) fail(code, 'OBJECT IDENTIFIER too long');
  let key = '';
  for (let i = t.cs; i < t.end; i++) key += String.fromCharCode(buf[i]!);
  const hit = oidCache.get(key);
  if (hit !== undefined) return hit;
  const parts: number[] = [];
  let v = 0;
  let started = false;
  for (let i = t.cs; i < t.end; i++) {
    const b = buf[i]!;
    if (!started && b === 0x80) fail(code, 'non-minimal OID sub-identifier');
    started = true;
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) fail(code, 'OID sub-identifier too large');
    if ((b & 0x80) === 0) {
      parts.push(v);
      v = 0;
      started = false;
    }
  }
  if (started) fail(code, 'truncated OID');
  const first = parts[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  const text = [...head, ...parts.slice(1)].join('.');
  // OIDs in certificates come from a small vocabulary; the bound keeps hostile input from growing it
  if (oidCache.size < 4096) oidCache.set(key, text);
  return text;
}

/** Validates a DER INTEGER (non-empty, minimal) and returns whether it is negative. */
export function checkInteger(buf: Uint8Array, t: Tlv, code: ErrorCode): { negative: boolean } {
  if (t.tag !== TAG.INTEGER) fail(code, 'expected INTEGER');
  const n = t.end - t.cs;
  if (n === 0) fail(code, 'empty INTEGER');
  if (n > 1) {
    const a = buf[t.cs]!;
    const b = buf[t.cs + 1]!;
    if ((a === 0 && b < 0x80) || (a === 0xff && b >= 0x80)) fail(code, 'non-minimal INTEGER');
  }
  return { negative: buf[t.cs]! >= 0x80 };
}

/** A small non-negative INTEGER (as in pathLenConstraint, versions, salt lengths). */
export function readSmallInt(buf: Uint8Array, t: Tlv, code: ErrorCode): number {
  if (checkInteger(buf, t, code).negative) fail(code, 'negative INTEGER');
  if (t.end - t.cs > 4) fail(code, 'INTEGER too large');
  let v = 0;
  for (let i = t.cs; i < t.end; i++) v = v * 256 + buf[i]!;
  return v;
}

export function readBoolean(buf: Uint8Array, t: Tlv, code: ErrorCode): boolean {
  if (t.tag !== TAG.BOOLEAN || t.end - t.cs !== 1) fail(code, 'bad BOOLEAN');
  const v = buf[t.cs]!;
  if (v !== 0 && v !== 0xff) fail(code, 'non-DER BOOLEAN');
  return v === 0xff;
}

/** BIT STRING content without the unused-bits octet; unused bits must be zero. */
export function readBitString(buf: Uint8Array, t: Tlv, code: ErrorCode): { bytes: Uint8Array; unused: number } {
  if (t.tag !== TAG.BIT_STRING || t.end === t.cs) fail(code, 'bad BIT STRING');
  const unused = buf[t.cs]!;
  if (unused > 7 || (unused > 0 && t.end - t.cs === 1)) fail(code, 'bad BIT STRING padding');
  if (unused > 0 && (buf[t.end - 1]! & ((1 << unused) - 1)) !== 0) fail(code, 'non-zero BIT STRING padding');
  return { bytes: buf.subarray(t.cs + 1, t.end), unused };
}

/** The value of a NULL, which must be empty. */
export function checkNull(t: Tlv, code: ErrorCode): void {
  if (t.tag !== TAG.NULL || t.end !== t.cs) fail(code, 'bad NULL');
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * UTCTime `YYMMDDHHMMSSZ` (YY ≥ 50 → 19YY, RFC 5280 §4.1.2.5.1) or GeneralizedTime
 * `YYYYMMDDHHMMSSZ`: seconds required, `Z` required, no fractions — the only forms DER allows here.
 */
export function readTime(buf: Uint8Array, t: Tlv, code: ErrorCode): number {
  const n = t.end - t.cs;
  let p = t.cs;
  const digits = (count: number): number => {
    let v = 0;
    for (let i = 0; i < count; i++) {
      const c = buf[p++]! - 0x30;
      if (c < 0 || c > 9) fail(code, 'non-digit in time');
      v = v * 10 + c;
    }
    return v;
  };
  let year: number;
  if (t.tag === TAG.UTC_TIME) {
    if (n !== 13) fail(code, 'UTCTime must be YYMMDDHHMMSSZ');
    const yy = digits(2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (t.tag === TAG.GENERALIZED_TIME) {
    if (n !== 15) fail(code, 'GeneralizedTime must be YYYYMMDDHHMMSSZ');
    year = digits(4);
  } else {
    fail(code, 'expected UTCTime or GeneralizedTime');
  }
  const month = digits(2);
  const day = digits(2);
  const hour = digits(2);
  const minute = digits(2);
  const second = digits(2);
  if (buf[p] !== 0x5a) fail(code, 'time must end in Z');
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const maxDay = month === 2 && leap ? 29 : DAYS[month - 1];
  if (month < 1 || month > 12 || day < 1 || day > (maxDay ?? 0) || hour > 23 || minute > 59 || second > 59) {
    fail(code, 'time out of range');
  }
  // Date.UTC maps years 0..99 to 19xx; set the full year explicitly
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  d.setUTCFullYear(year);
  return d.getTime();
}

/** Bytes as a Latin-1 string: an exact, cheap Map key. */
export function byteKey(buf: Uint8Array, start = 0, end = buf.length): string {
  let s = '';
  const CHUNK = 4096;
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]);
  }
  return s;
}
