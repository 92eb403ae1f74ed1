/** Public (and HMAC) JWKs: checks against the header algorithm, import with a bounded cache, thumbprints. Internal. */
import { TrustError } from '../../errors.js';
import { subtle } from '../../crypto.js';
import { LruCache } from '../../lib/cache.js';
import { b64urlDecode, b64urlEncode, toArrayBuffer, utf8 } from '../../lib/encoding.js';
import { canonicalizeJson } from '../../jcs/index.js';
import { isJwkPointOnCurve, type NistCurve } from '../../lib/ec.js';
import { rsaExponentProblem } from '../../lib/rsa.js';
import { RSA_MAX_BITS, RSA_MIN_BITS, type AlgInfo } from './algorithms.js';

const imported = new LruCache<string, Promise<CryptoKey>>(1024);
// keyed by the caller's JWK object; each entry remembers the SubtleCrypto it was made with, since
// keys do not cross implementations (setCryptoProvider)
const importedSecrets = new WeakMap<object, Map<string, { subtle: SubtleCrypto; key: Promise<CryptoKey> }>>();

function str(jwk: JsonWebKey, name: keyof JsonWebKey): string {
  const v = jwk[name];
  if (typeof v !== 'string' || v === '') throw new TrustError('ERR_KEY_UNSUPPORTED', `jwk: member "${name}" missing`);
  return v;
}

function bytes(jwk: JsonWebKey, name: keyof JsonWebKey): Uint8Array {
  return b64urlDecode(str(jwk, name), 'ERR_KEY_UNSUPPORTED');
}

/**
 * Throws unless `jwk` can verify `alg` signatures: the key type decides (ES256 needs P-256, RS/PS
 * need RSA of 2048..8192 bits with an odd exponent 3..2^32 − 1, EdDSA needs Ed25519, HS* an `oct` key at least as long as the hash);
 * a JWK `alg` must equal the header's; `use` and `key_ops`, when given, must allow verification.
 */
export function checkJwkFor(jwk: JsonWebKey, alg: string, info: AlgInfo): void {
  const mismatch = (why: string) => new TrustError('ERR_JWS_KEY_ALGORITHM_MISMATCH', `jws: ${alg} header over ${why}`);
  // RFC 9864's fully specified "Ed25519" names the same algorithm as EdDSA over an Ed25519 key
  // (WebCrypto exports Ed25519 JWKs with it)
  if (jwk.alg !== undefined && jwk.alg !== alg && !(alg === 'EdDSA' && jwk.alg === 'Ed25519')) throw mismatch(`a key for ${String(jwk.alg)}`);
  if (jwk.kty !== info.kty) throw mismatch(`a ${String(jwk.kty)} key`);
  if (info.crv !== undefined && jwk.crv !== info.crv) throw mismatch(`a ${String(jwk.crv)} key`);
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new TrustError('ERR_KEY_UNSUPPORTED', `jwk: key "use" is ${JSON.stringify(jwk.use)}, not "sig"`);
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', 'jwk: key_ops does not allow "verify"');
  }
  if (info.kty === 'RSA') {
    const n = bytes(jwk, 'n');
    const bits = n.length === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) throw new TrustError('ERR_KEY_UNSUPPORTED', `jwk: RSA key of ${bits} bits (accepted: ${RSA_MIN_BITS}..${RSA_MAX_BITS})`);
    const eProblem = rsaExponentProblem(bytes(jwk, 'e'));
    if (eProblem !== undefined) throw new TrustError('ERR_KEY_UNSUPPORTED', `jwk: ${eProblem}`);
  }
  if (info.kty === 'oct') {
    const minimum = info.hash === 'SHA-256' ? 32 : info.hash === 'SHA-384' ? 48 : 64;
    if (bytes(jwk, 'k').length < minimum) throw new TrustError('ERR_KEY_UNSUPPORTED', `jwk: ${alg} key shorter than ${minimum} bytes (RFC 7518 §3.2)`);
  }
}

/** Only the key members: never `d` or other private parts, never `alg`/`key_ops` that could clash. */
function publicMembers(jwk: JsonWebKey): JsonWebKey {
  switch (jwk.kty) {
    case 'EC':
      return { kty: 'EC', crv: str(jwk, 'crv'), x: str(jwk, 'x'), y: str(jwk, 'y') };
    case 'RSA':
      return { kty: 'RSA', n: str(jwk, 'n'), e: str(jwk, 'e') };
    case 'OKP':
      return { kty: 'OKP', crv: str(jwk, 'crv'), x: str(jwk, 'x') };
    default:
      throw new TrustError('ERR_KEY_UNSUPPORTED', `jwk: unsupported key type ${JSON.stringify(jwk.kty)}`);
  }
}

/** The verification CryptoKey for a checked JWK, imported once per (key, algorithm). */
export function importJwk(jwk: JsonWebKey, alg: string, info: AlgInfo): Promise<CryptoKey> {
  if (info.kty === 'oct') return importSecret(jwk, alg, info);
  const members = publicMembers(jwk);
  const id = `${alg}|${members.kty}|${members.crv ?? ''}|${members.x ?? ''}|${members.y ?? ''}|${members.n ?? ''}|${members.e ?? ''}`;
  let p = imported.get(id);
  if (!p) {
    p = Promise.resolve()
      .then(() => {
        // checked here, not by every engine's import (@peculiar/webcrypto's does not)
        if (info.kty === 'EC' && !isJwkPointOnCurve(info.crv as NistCurve, bytes(members, 'x'), bytes(members, 'y'))) {
          throw new TrustError('ERR_KEY_UNSUPPORTED', `jwk: x and y are not a point on ${String(info.crv)}`);
        }
        return subtle().importKey('jwk', members, info.importParams, false, ['verify']);
      })
      .catch((err: unknown) => {
        imported.delete(id);
        if (err instanceof TrustError) throw err;
        throw new TrustError('ERR_KEY_UNSUPPORTED', `jwk: the key cannot be imported for ${alg}`, { cause: err });
      });
    imported.set(id, p);
  }
  return p;
}

// HMAC secrets are cached per JWK object (the caller's pinned set), never keyed by their value.
function importSecret(jwk: JsonWebKey, alg: string, info: AlgInfo): Promise<CryptoKey> {
  let byAlg = importedSecrets.get(jwk);
  if (!byAlg) importedSecrets.set(jwk, (byAlg = new Map()));
  const current = subtle();
  const hit = byAlg.get(alg);
  if (hit && hit.subtle === current) return hit.key;
  const k = bytes(jwk, 'k');
  const p = Promise.resolve()
    .then(() => current.importKey('raw', toArrayBuffer(k), info.importParams, false, ['verify']))
    .catch((err: unknown) => {
      byAlg.delete(alg);
      throw new TrustError('ERR_KEY_UNSUPPORTED', `jwk: the key cannot be imported for ${alg}`, { cause: err });
    });
  byAlg.set(alg, { subtle: current, key: p });
  return p;
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the JCS of the required members is exactly the
 * RFC's serialization (members sorted, no whitespace).
 */
export async function jwkThumbprint(jwk: JsonWebKey): Promise<string> {
  const members = publicMembers(jwk);
  const digest = await subtle().digest('SHA-256', toArrayBuffer(utf8.encode(canonicalizeJson(members))));
  return b64urlEncode(new Uint8Array(digest));
}
