/** The JWS signing input of a detached payload, assembled from bytes (it runs on every verification). Internal. */

const ALPHABET = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');

/** BASE64URL(bytes) (RFC 7515 §2, no padding) as ASCII bytes. */
export function b64urlBytes(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  const rest = n % 3;
  const out = new Uint8Array(Math.floor(n / 3) * 4 + (rest === 0 ? 0 : rest + 1));
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const x = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ALPHABET[x >>> 18]!;
    out[o++] = ALPHABET[(x >>> 12) & 63]!;
    out[o++] = ALPHABET[(x >>> 6) & 63]!;
    out[o++] = ALPHABET[x & 63]!;
  }
  if (rest === 1) {
    const x = bytes[i]! << 16;
    out[o++] = ALPHABET[x >>> 18]!;
    out[o++] = ALPHABET[(x >>> 12) & 63]!;
  } else if (rest === 2) {
    const x = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out[o++] = ALPHABET[x >>> 18]!;
    out[o++] = ALPHABET[(x >>> 12) & 63]!;
    out[o++] = ALPHABET[(x >>> 6) & 63]!;
  }
  return out;
}

/** ASCII(protected || '.' || BASE64URL(payload)) (RFC 7515 §5.1) from the two ASCII parts. */
export function signingInput(protectedAscii: Uint8Array, payloadB64: Uint8Array): Uint8Array {
  const out = new Uint8Array(protectedAscii.length + 1 + payloadB64.length);
  out.set(protectedAscii);
  out[protectedAscii.length] = 0x2e;
  out.set(payloadB64, protectedAscii.length + 1);
  return out;
}
