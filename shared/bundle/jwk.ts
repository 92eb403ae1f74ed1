/**
 * Internal: the public JWKs a SPIFFE bundle may hold. Validation of their members, the JWK form of a
 * certificate's public key (so `x509-svid` entries can be checked against their certificate and
 * serialized), and import into WebCrypto with a bounded cache.
 */
import { TrustError } from '../errors.js';
import { subtle } from '../crypto.js';
import { LruCache } from '../lib/cache.js';
import { b64urlDecode, b64urlEncode } from '../lib/encoding.js';
import { isJwkPointOnCurve } from '../lib/ec.js';
import { rsaExponentProblem } from '../lib/rsa.js';
import type { Certificate } from '../x509/types.js';
import { parseCertificate } from '../x509/parse.js';
import type { ParsedCertificate } from '../x509/lib/certificate.js';
import { rsaJwk } from '../x509/lib/keys.js';

/** A public key as the bundle keeps it: only key members, nothing signer-controlled beyond `alg`. */
export type PublicJwk =
  | { readonly kty: 'EC'; readonly crv: 'P-256' | 'P-384' | 'P-521'; readonly x: string; readonly y: string; readonly alg?: string }
  | { readonly kty: 'RSA'; readonly n: string; readonly e: string; readonly alg?: string }
  | { readonly kty: 'OKP'; readonly crv: 'Ed25519'; readonly x: string; readonly alg?: string };

const EC_SIZE = { 'P-256': 32, 'P-384': 48, 'P-521': 66 } as const;
// Private or symmetric members: a bundle carrying them is leaking a secret, never a trust anchor.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function invalid(message: string, cause?: unknown): TrustError {
  return new TrustError('ERR_BUNDLE_INVALID', `spiffebundle: ${message}`, cause === undefined ? undefined : { cause });
}

/** True when this JWK's key type (and curve) is one the core can use; others are ignored by the standard's rule. */
export function isSupportedKeyType(jwk: Record<string, unknown>): boolean {
  switch (jwk['kty']) {
    case 'EC':
      return typeof jwk['crv'] === 'string' && jwk['crv'] in EC_SIZE;
    case 'RSA':
      return true;
    case 'OKP':
      return jwk['crv'] === 'Ed25519';
    default:
      return false;
  }
}

function b64urlMember(jwk: Record<string, unknown>, name: string, where: string): Uint8Array {
  const v = jwk[name];
  if (typeof v !== 'string' || v === '') throw invalid(`${where}: member "${name}" must be a non-empty base64url string`);
  try {
    return b64urlDecode(v);
  } catch (err) {
    throw invalid(`${where}: member "${name}" is not valid base64url`, err);
  }
}

/**
 * Validates the key members of a supported JWK and returns the bundle's copy of it.
 * `where` names the entry in messages (e.g. `jwt-svid entry 2`).
 */
export function toPublicJwk(jwk: Record<string, unknown>, where: string): PublicJwk {
  for (const m of PRIVATE_MEMBERS) if (m in jwk) throw invalid(`${where}: contains private key member "${m}"`);
  const alg = jwk['alg'];
  if (alg !== undefined && typeof alg !== 'string') throw invalid(`${where}: member "alg" must be a string`);
  const withAlg = alg === undefined ? {} : { alg };
  switch (jwk['kty']) {
    case 'EC': {
      const crv = jwk['crv'] as keyof typeof EC_SIZE;
      const size = EC_SIZE[crv];
      const x = b64urlMember(jwk, 'x', where);
      const y = b64urlMember(jwk, 'y', where);
      if (x.length !== size || y.length !== size) throw invalid(`${where}: EC coordinates must be ${size} bytes for ${crv}`);
      return Object.freeze({ kty: 'EC', crv, x: jwk['x'] as string, y: jwk['y'] as string, ...withAlg });
    }
    case 'RSA': {
      const n = b64urlMember(jwk, 'n', where);
      const e = b64urlMember(jwk, 'e', where);
      // RFC 7518 §6.3.1: base64urlUInt is minimal, so a leading zero octet is malformed
      if (n[0] === 0 || e[0] === 0) throw invalid(`${where}: RSA members must not have leading zero octets`);
      if (e.length > 8) throw invalid(`${where}: RSA exponent is too large`);
      return Object.freeze({ kty: 'RSA', n: jwk['n'] as string, e: jwk['e'] as string, ...withAlg });
    }
    case 'OKP': {
      const x = b64urlMember(jwk, 'x', where);
      if (x.length !== 32) throw invalid(`${where}: Ed25519 key must be 32 bytes`);
      return Object.freeze({ kty: 'OKP', crv: 'Ed25519', x: jwk['x'] as string, ...withAlg });
    }
    default:
      throw invalid(`${where}: unsupported key type`);
  }
}

/** Bits in an RSA modulus given as base64url (minimal encoding already checked). */
export function rsaModulusBits(jwk: { readonly n: string }): number {
  const n = b64urlDecode(jwk.n);
  const first = n[0] ?? 0;
  return n.length === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(first));
}

// --- certificate keys as JWKs ----------------------------------------------------------------

/**
 * The JWK members of a certificate's public key, read from its SubjectPublicKeyInfo (no
 * WebCrypto round trip): what a SPIFFE bundle publishes for an X.509 authority.
 *
 * @example
 * certificateJwk(leaf) // { kty: 'EC', crv: 'P-256', x: '…', y: '…' }
 */
export function certificateJwk(cert: Certificate): PublicJwk {
  const c = parseCertificate(cert) as ParsedCertificate;
  const alg = c.publicKey.algorithm;
  const key = c.publicKeyBytes;
  try {
    switch (alg.name) {
      case 'ECDSA': {
        // the parser admits uncompressed points only
        const size = EC_SIZE[alg.namedCurve];
        return { kty: 'EC', crv: alg.namedCurve, x: b64urlEncode(key.subarray(1, 1 + size)), y: b64urlEncode(key.subarray(1 + size)) };
      }
      case 'RSA':
        return rsaJwk(c);
      case 'Ed25519':
        return { kty: 'OKP', crv: 'Ed25519', x: b64urlEncode(key) };
    }
    throw new Error('unknown key algorithm');
  } catch (err) {
    throw new TrustError('ERR_X509_KEY_UNSUPPORTED', 'spiffebundle: cannot read the certificate public key', { cause: err });
  }
}

/** True when two JWKs hold the same public key (`alg` and other metadata are not compared). */
export function sameKey(a: PublicJwk, b: PublicJwk): boolean {
  if (a.kty !== b.kty) return false;
  switch (a.kty) {
    case 'EC':
      return b.kty === 'EC' && a.crv === b.crv && a.x === b.x && a.y === b.y;
    case 'RSA':
      return b.kty === 'RSA' && a.n === b.n && a.e === b.e;
    case 'OKP':
      return b.kty === 'OKP' && a.crv === b.crv && a.x === b.x;
  }
}

// --- import ---------------------------------------------------------------------------------------

/** JWS algorithms and the WebCrypto parameters that verify them. */
export const JWS_ALGORITHMS = {
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  RS384: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  RS512: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256' },
  PS384: { name: 'RSA-PSS', hash: 'SHA-384' },
  PS512: { name: 'RSA-PSS', hash: 'SHA-512' },
  ES256: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  ES384: { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' },
  ES512: { name: 'ECDSA', namedCurve: 'P-521', hash: 'SHA-512' },
} as const;
export type JwsAlgorithm = keyof typeof JWS_ALGORITHMS;

// Keys are imported once per (key, algorithm); bounded so hostile bundles cannot grow memory.
const imported = new LruCache<string, Promise<CryptoKey>>(1000);

function cacheKey(jwk: PublicJwk, alg: JwsAlgorithm): string {
  switch (jwk.kty) {
    case 'EC':
      return `${alg}|EC|${jwk.crv}|${jwk.x}|${jwk.y}`;
    case 'RSA':
      return `${alg}|RSA|${jwk.n}|${jwk.e}`;
    case 'OKP':
      return `${alg}|OKP|${jwk.crv}|${jwk.x}`;
  }
}

/** Imports `jwk` for verifying `alg` signatures (the caller has checked that the key type fits `alg`). */
export function importVerifyKey(jwk: PublicJwk, alg: JwsAlgorithm): Promise<CryptoKey> {
  const key = cacheKey(jwk, alg);
  let p = imported.get(key);
  if (!p) {
    const params = JWS_ALGORITHMS[alg];
    const members =
      jwk.kty === 'EC' ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } : jwk.kty === 'RSA' ? { kty: 'RSA', n: jwk.n, e: jwk.e } : { kty: 'OKP', crv: jwk.crv, x: jwk.x };
    p = Promise.resolve()
      .then(() => {
        // checked here, not by every engine's import (@peculiar/webcrypto's does not)
        if (jwk.kty === 'EC' && !isJwkPointOnCurve(jwk.crv, b64urlDecode(jwk.x, 'ERR_KEY_UNSUPPORTED'), b64urlDecode(jwk.y, 'ERR_KEY_UNSUPPORTED'))) {
          throw new TrustError('ERR_KEY_UNSUPPORTED', `the bundle key is not a point on ${jwk.crv}`);
        }
        const eProblem = jwk.kty === 'RSA' ? rsaExponentProblem(b64urlDecode(jwk.e, 'ERR_KEY_UNSUPPORTED')) : undefined;
        if (eProblem !== undefined) throw new TrustError('ERR_KEY_UNSUPPORTED', `the bundle key is refused: ${eProblem}`);
        return subtle().importKey('jwk', members, params, false, ['verify']);
      })
      .catch((err: unknown) => {
        imported.delete(key);
        if (err instanceof TrustError) throw err;
        throw new TrustError('ERR_KEY_UNSUPPORTED', `the bundle key cannot be imported for ${alg}`, { cause: err });
      });
    imported.set(key, p);
  }
  return p;
}
