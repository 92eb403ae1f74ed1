/** The JWS algorithms AgentCard signatures may use, and what each needs from a key. Internal. */
import type { AgentCardAlgorithm, AgentCardHmacAlgorithm } from '../types.js';

type Hash = 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface AlgInfo {
  readonly kty: 'EC' | 'RSA' | 'OKP' | 'oct';
  readonly hash: Hash;
  /** EC curve (ES*) or OKP curve (EdDSA). */
  readonly crv?: 'P-256' | 'P-384' | 'P-521' | 'Ed25519';
  /** Exact signature length where the algorithm fixes it (ECDSA R‖S, Ed25519). */
  readonly sigLen?: number;
  /** WebCrypto parameters for importKey. */
  readonly importParams: RsaHashedImportParams | EcKeyImportParams | HmacImportParams | Algorithm;
  /** WebCrypto parameters for sign/verify. */
  readonly params: EcdsaParams | RsaPssParams | Algorithm;
}

const rs = (hash: Hash): AlgInfo => ({ kty: 'RSA', hash, importParams: { name: 'RSASSA-PKCS1-v1_5', hash }, params: { name: 'RSASSA-PKCS1-v1_5' } });
// RFC 7518 §3.5: the PSS salt is as long as the hash
const ps = (hash: Hash, saltLength: number): AlgInfo => ({ kty: 'RSA', hash, importParams: { name: 'RSA-PSS', hash }, params: { name: 'RSA-PSS', saltLength } as RsaPssParams });
const es = (hash: Hash, crv: 'P-256' | 'P-384' | 'P-521', size: number): AlgInfo => ({
  kty: 'EC',
  hash,
  crv,
  sigLen: 2 * size,
  importParams: { name: 'ECDSA', namedCurve: crv },
  params: { name: 'ECDSA', hash } as EcdsaParams,
});
const hs = (hash: Hash): AlgInfo => ({ kty: 'oct', hash, importParams: { name: 'HMAC', hash }, params: { name: 'HMAC' } });

export const ASYMMETRIC: Readonly<Record<AgentCardAlgorithm, AlgInfo>> = {
  ES256: es('SHA-256', 'P-256', 32),
  ES384: es('SHA-384', 'P-384', 48),
  ES512: es('SHA-512', 'P-521', 66),
  RS256: rs('SHA-256'),
  RS384: rs('SHA-384'),
  RS512: rs('SHA-512'),
  PS256: ps('SHA-256', 32),
  PS384: ps('SHA-384', 48),
  PS512: ps('SHA-512', 64),
  EdDSA: { kty: 'OKP', hash: 'SHA-512', crv: 'Ed25519', sigLen: 64, importParams: { name: 'Ed25519' }, params: { name: 'Ed25519' } },
};

export const HMAC: Readonly<Record<AgentCardHmacAlgorithm, AlgInfo>> = {
  HS256: hs('SHA-256'),
  HS384: hs('SHA-384'),
  HS512: hs('SHA-512'),
};

const hasOwn = Object.prototype.hasOwnProperty;

export function isAsymmetric(alg: string): alg is AgentCardAlgorithm {
  return hasOwn.call(ASYMMETRIC, alg);
}

export function isHmac(alg: string): alg is AgentCardHmacAlgorithm {
  return hasOwn.call(HMAC, alg);
}

// the RSA sizes accepted everywhere: one definition, the x509 module's
export { RSA_MIN_BITS, RSA_MAX_BITS } from '../../x509/lib/keys.js';
