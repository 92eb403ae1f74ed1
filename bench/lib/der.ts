/**
 * The little DER the benchmarks need outside the code under test: ECDSA signature conversion for the
 * crypto floor, and re-assembling a certificate from a modified tbsCertificate.
 */

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the content. */
  readonly end: number;
}

/** Reads one TLV at `offset` (definite lengths only, as DER requires). */
export function readTlv(bytes: Uint8Array, offset: number): Tlv {
  const tag = bytes[offset]!;
  let p = offset + 1;
  let len = bytes[p++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('bench/der: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[p++]!;
  }
  if (p + len > bytes.length) throw new Error('bench/der: truncated');
  return { tag, start: offset, contentStart: p, end: p + len };
}

export function encodeLength(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const out: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return Uint8Array.of(0x80 | out.length, ...out);
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function tlv(tag: number, ...content: readonly Uint8Array[]): Uint8Array {
  const body = concat(...content);
  return concat(Uint8Array.of(tag), encodeLength(body.length), body);
}

/** ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) → fixed-width r‖s, the form WebCrypto verifies. */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array {
  const seq = readTlv(der, 0);
  const r = readTlv(der, seq.contentStart);
  const s = readTlv(der, r.end);
  const out = new Uint8Array(2 * size);
  const put = (t: Tlv, at: number): void => {
    let v = der.subarray(t.contentStart, t.end);
    while (v.length > size && v[0] === 0) v = v.subarray(1);
    out.set(v, at + size - v.length);
  };
  put(r, 0);
  put(s, size);
  return out;
}

/** Parts of a certificate: the tbsCertificate TLV and the signatureAlgorithm TLV, as byte ranges. */
export function splitCertificate(der: Uint8Array): { tbs: Uint8Array; signatureAlgorithm: Uint8Array } {
  const cert = readTlv(der, 0);
  const tbs = readTlv(der, cert.contentStart);
  const alg = readTlv(der, tbs.end);
  return { tbs: der.subarray(tbs.start, tbs.end), signatureAlgorithm: der.subarray(alg.start, alg.end) };
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
export function assembleCertificate(tbs: Uint8Array, signatureAlgorithm: Uint8Array, signatureDer: Uint8Array): Uint8Array {
  return tlv(0x30, tbs, signatureAlgorithm, tlv(0x03, Uint8Array.of(0), signatureDer));
}

/** Index of `needle` in `hay`, or -1. */
export function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
