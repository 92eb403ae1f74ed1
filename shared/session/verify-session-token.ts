import { TrustError } from '../errors.js';
import { checkClaims, checkRules } from './lib/claims.js';
import { algorithmOfKey, isCryptoKey, parseCompact, verifySignature } from './lib/jws.js';
import type { SessionClaims } from './types.js';

const MODULE = 'session';

export interface VerifySessionTokenOptions {
  /** The registered session public key (ECDSA P-256: tokens are ES256 only). */
  key: CryptoKey;
  issuer: string;
  audience: string;
  /** When set, `sub` must equal it. */
  sessionId?: string;
  now?: () => Date;
  /** Seconds of clock skew allowed on `exp`, `iat`, `nbf`. Default 30, at most 300. */
  clockToleranceSeconds?: number;
  /** Largest `exp - iat`, in seconds. Default and maximum 300. */
  maxLifetimeSeconds?: number;
}

/**
 * Verifies a session token: ES256 with the registered session key (any other `alg` is refused),
 * `typ` JWT if present, no `crit`, then `exp`, `iat`, `exp - iat` ≤ 5 min, `nbf`, `iss`, `aud`,
 * `sub` (= `sessionId` when set) and `jti` — the rules of {@link verifyBootstrapToken} without
 * the replay guard (a session token is a bearer credential for its short lifetime).
 * Nothing is cached that could change an answer; one WebCrypto verify is the whole cost.
 *
 * @example
 * const { claims } = await verifySessionToken(bearer, { key: registeredKey, issuer: 'cardtrust', audience: 'cardtrust-sandbox' })
 */
export async function verifySessionToken(token: string, opts: VerifySessionTokenOptions): Promise<{ claims: SessionClaims }> {
  const { tolerance, maxLifetime } = checkRules(MODULE, opts);
  const key = opts.key;
  if (!isCryptoKey(key) || key.type !== 'public' || algorithmOfKey(key) !== 'ES256' || !key.usages.includes('verify')) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', `${MODULE}: options.key must be an ECDSA P-256 public CryptoKey with the "verify" usage`);
  }
  const parsed = parseCompact(MODULE, token);
  await verifySignature(MODULE, parsed, key, 'ES256');
  return { claims: checkClaims(MODULE, parsed.payload, opts, tolerance, maxLifetime) };
}
