/**
 * A tiny DER writer for the extension values the issuer builds itself (SAN, name constraints, key
 * identifiers). Internal: not exported from the package.
 */
import { TrustError } from '../errors.js';
import { utf8 } from '../lib/encoding.js';

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** One TLV with the given tag byte; contents are concatenated. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const c of contents) len += c.length;
  const head = [tag, ...lengthBytes(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let o = head.length;
  for (const c of contents) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export const seq = (...contents: Uint8Array[]): Uint8Array => tlv(0x30, ...contents);
export const octets = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);
export const ia5 = (text: string): Uint8Array => {
  // IA5String is 7-bit ASCII; a certificate with anything else is not one we should mint
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7e) throw new TrustError('ERR_INPUT_INVALID', 'name is not ASCII (IA5String)');
  }
  return utf8.encode(text);
};

/** Parses an IPv4 or IPv6 address into 4 or 16 bytes. */
export function parseIp(text: string): Uint8Array {
  if (text.includes(':')) return parseIpv6(text);
  const parts = text.split('.');
  if (parts.length !== 4) throw new TrustError('ERR_INPUT_INVALID', `invalid IP address: ${text}`);
  return Uint8Array.from(
    parts.map((p) => {
      if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) throw new TrustError('ERR_INPUT_INVALID', `invalid IP address: ${text}`);
      return Number(p);
    }),
  );
}

function parseIpv6(text: string): Uint8Array {
  const bad = () => new TrustError('ERR_INPUT_INVALID', `invalid IP address: ${text}`);
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const groups = (s: string): number[] => {
    if (s === '') return [];
    return s.split(':').flatMap((g, i, all) => {
      if (g.includes('.') && i === all.length - 1) {
        const v4 = parseIp(g);
        return [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
      return [parseInt(g, 16)];
    });
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) throw bad();
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** `10.0.0.0/8` or `fd00::/8` → address bytes followed by mask bytes (RFC 5280 §4.2.1.10). */
export function parseCidr(text: string): Uint8Array {
  const slash = text.indexOf('/');
  if (slash < 0) throw new TrustError('ERR_INPUT_INVALID', `IP constraint needs a prefix length: ${text}`);
  const addr = parseIp(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bits) || Number(bits) > addr.length * 8) {
    throw new TrustError('ERR_INPUT_INVALID', `invalid prefix length: ${text}`);
  }
  const prefix = Number(bits);
  const mask = new Uint8Array(addr.length);
  for (let i = 0; i < prefix; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  const out = new Uint8Array(addr.length * 2);
  addr.forEach((b, i) => (out[i] = b & mask[i]!));
  out.set(mask, addr.length);
  return out;
}
