/**
 * RSA public exponent bounds, shared by certificate keys and JWKs. Internal.
 *
 * Verification cost grows with the exponent's length: a 3072-bit exponent makes one RSA check some
 * fifty times dearer than e = 65537. So the exponent is bounded at import, as Go and BoringSSL do:
 * odd, 3 ≤ e ≤ 2^32 − 1.
 */

/** Largest accepted RSA public exponent (2^32 − 1). */
export const RSA_MAX_EXPONENT = 0xffff_ffff;

/**
 * Why the big-endian unsigned exponent `e` is refused, or undefined when it is usable
 * (odd, 3 ≤ e ≤ {@link RSA_MAX_EXPONENT}). Leading zero octets are skipped (DER's sign octet).
 */
export function rsaExponentProblem(e: Uint8Array, start = 0, end = e.length): string | undefined {
  let s = start;
  while (s < end && e[s] === 0) s++;
  if (end - s > 4) return 'RSA public exponent is larger than 2^32 - 1';
  let v = 0;
  for (let i = s; i < end; i++) v = v * 256 + e[i]!;
  if (v < 3) return `RSA public exponent ${v} is smaller than 3`;
  if (v % 2 === 0) return `RSA public exponent ${v} is even`;
  return undefined;
}
