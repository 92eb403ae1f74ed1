/**
 * Point validation for the NIST curves (SEC 1 §3.2.2.1): a public key must be a point on its
 * curve. Engines differ here (OpenSSL and BoringSSL check on import, @peculiar/webcrypto's raw
 * import does not), so the core checks it itself, once per imported key. Internal.
 */

export type NistCurve = 'P-256' | 'P-384' | 'P-521';

interface Curve {
  readonly size: number;
  readonly p: bigint;
  readonly b: bigint;
}

// FIPS 186-5 / SEC 2 domain parameters; a = −3 on all three
const CURVES: Readonly<Record<NistCurve, Curve>> = {
  'P-256': {
    size: 32,
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  'P-384': {
    size: 48,
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  'P-521': {
    size: 66,
    p: (1n << 521n) - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
};

function toBigInt(bytes: Uint8Array): bigint {
  let hex = '0x0';
  for (let i = 0; i < bytes.length; i++) hex += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return BigInt(hex);
}

/**
 * True when `point` is an uncompressed point (0x04 ‖ X ‖ Y) of `curve` with both coordinates in
 * the field and y² = x³ − 3x + b (mod p). The point at infinity has no such encoding.
 */
export function isOnCurve(curve: NistCurve, point: Uint8Array): boolean {
  const c = CURVES[curve];
  if (point.length !== 1 + 2 * c.size || point[0] !== 0x04) return false;
  const x = toBigInt(point.subarray(1, 1 + c.size));
  const y = toBigInt(point.subarray(1 + c.size));
  if (x >= c.p || y >= c.p) return false;
  const { p, b } = c;
  const rhs = (((((x * x) % p) * x) % p) - 3n * x + b) % p;
  return (y * y - rhs) % p === 0n;
}

/**
 * True when JWK coordinates `x` and `y` (decoded, RFC 7518 §6.2.1: exactly the coordinate size)
 * are a point on `curve`.
 */
export function isJwkPointOnCurve(curve: NistCurve, x: Uint8Array, y: Uint8Array): boolean {
  const size = CURVES[curve].size;
  if (x.length !== size || y.length !== size) return false;
  const point = new Uint8Array(1 + 2 * size);
  point[0] = 0x04;
  point.set(x, 1);
  point.set(y, 1 + size);
  return isOnCurve(curve, point);
}
