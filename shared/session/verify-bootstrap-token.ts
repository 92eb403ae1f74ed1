import { TrustError } from '../errors.js';
import type { ReplayGuard } from '../store/types.js';
import { LruCache } from '../lib/cache.js';
import { checkClaims, checkRules } from './lib/claims.js';
import { fail, isCryptoKey, parseCompact, verifySignature, type SessionJwsAlgorithm } from './lib/jws.js';
import { importBootstrapPublicKey, importSessionPublicKey } from './keys.js';
import type { BootstrapClaims } from './types.js';

const MODULE = 'bootstrap';

export interface VerifyBootstrapTokenOptions {
  /** The bootstrap PUBLIC key: CryptoKey, JWK or PEM SPKI; ES256 (P-256) or RS256 (RSA ≥ 2048). The key type decides the algorithm. */
  key: CryptoKey | JsonWebKey | string;
  issuer: string;
  audience: string;
  /** When set, `sub` must equal it (a daemon started for one session); warm-pool daemons have none. */
  sessionId?: string;
  /** The `jti` is claimed as `bootstrap:jti:<jti>` until `exp` + tolerance; a second claim is ERR_TOKEN_REPLAYED. */
  replayGuard: ReplayGuard;
  now?: () => Date;
  /** Seconds of clock skew allowed on `exp`, `iat`, `nbf`. Default 30, at most 300. */
  clockToleranceSeconds?: number;
  /** Largest `exp - iat`, in seconds. Default and maximum 300. */
  maxLifetimeSeconds?: number;
  /**
   * For a daemon that is already initialized: a token whose `jti` was claimed before is returned
   * with `replayed: true` instead of throwing ERR_TOKEN_REPLAYED, so a retry of `/init` with the
   * same token (after a lost response) can be answered "already initialized" when its key is the
   * registered one. Every other rule still applies. Default false; never set it before the key
   * is registered, or one token could initialize two daemons.
   */
  allowReplayed?: boolean;
}

export interface VerifiedBootstrapToken {
  claims: BootstrapClaims;
  sessionId: string;
  /** The session public key, imported for verifying ES256 session tokens. */
  sessionKey: CryptoKey;
  /** The session public key as a JWK (key members only), whatever form the token carried it in. */
  sessionJwk: JsonWebKey;
  /** RFC 7638 thumbprint of `sessionJwk`. */
  thumbprint: string;
  /** True only with `allowReplayed`, when the `jti` had been claimed before. */
  replayed: boolean;
}

// Configured keys given as JWK or PEM text are imported once (bounded; a pure function of the text).
const importedKeys = new LruCache<string, Promise<{ key: CryptoKey; alg: SessionJwsAlgorithm }>>(16);

function resolveKey(key: VerifyBootstrapTokenOptions['key']): Promise<{ key: CryptoKey; alg: SessionJwsAlgorithm }> {
  if (isCryptoKey(key)) return importBootstrapPublicKey(key);
  if (key === null || (typeof key !== 'string' && typeof key !== 'object')) return Promise.reject(new TrustError('ERR_INPUT_INVALID', `${MODULE}: options.key is required`));
  const id = typeof key === 'string' ? key : JSON.stringify(key);
  let p = importedKeys.get(id);
  if (!p) {
    p = importBootstrapPublicKey(key);
    p.catch(() => importedKeys.delete(id));
    importedKeys.set(id, p);
  }
  return p;
}

/**
 * Verifies a bootstrap token the way a sandbox daemon's `/init` must: signature with the
 * configured bootstrap key (the key type decides ES256 or RS256; any other `alg` is refused),
 * `typ` JWT if present, no `crit`, then `exp` (required, in the future), `iat` (required, not in
 * the future), `exp - iat` ≤ 5 min, `nbf` if present, `iss`, `aud`, `sub` (= `sessionId` when
 * set), `jti` (required), `session_public_key` (P-256 JWK or PEM SPKI), and last the `jti` claim
 * in the replay guard, so only a token that passed every other rule can use up its `jti`.
 *
 * @example
 * const { sessionKey, thumbprint } = await verifyBootstrapToken(body.token, { key: bootstrapPem, issuer: 'cardtrust', audience: 'cardtrust-sandbox', replayGuard })
 */
export async function verifyBootstrapToken(token: string, opts: VerifyBootstrapTokenOptions): Promise<VerifiedBootstrapToken> {
  const { tolerance, maxLifetime } = checkRules(MODULE, opts);
  if (!opts.replayGuard || typeof opts.replayGuard.claim !== 'function') throw new TrustError('ERR_INPUT_INVALID', `${MODULE}: options.replayGuard is required`);
  const { key, alg } = await resolveKey(opts.key);
  const parsed = parseCompact(MODULE, token);
  await verifySignature(MODULE, parsed, key, alg);
  const claims = checkClaims(MODULE, parsed.payload, opts, tolerance, maxLifetime);

  const raw = parsed.payload['session_public_key'];
  if (raw === undefined) throw fail(MODULE, 'ERR_JWT_CLAIM_INVALID', 'the token has no session_public_key claim');
  if (typeof raw !== 'string' && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
    throw fail(MODULE, 'ERR_JWT_CLAIM_INVALID', 'session_public_key must be a JWK object or a PEM string');
  }
  const session = await importSessionPublicKey(raw as JsonWebKey | string);

  const now = (opts.now ? opts.now() : new Date()).getTime();
  const ttlMs = Math.max(1, Math.ceil((claims.exp + tolerance) * 1000 - now));
  let first: boolean;
  try {
    first = await opts.replayGuard.claim(`bootstrap:jti:${claims.jti}`, ttlMs);
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw new TrustError('ERR_STORE_UNAVAILABLE', `${MODULE}: the replay guard is unavailable`, { cause: err });
  }
  if (!first && opts.allowReplayed !== true) throw fail(MODULE, 'ERR_TOKEN_REPLAYED', 'the bootstrap token was already used (jti)');

  return {
    claims: { ...claims, session_public_key: raw as JsonWebKey | string },
    sessionId: claims.sub,
    sessionKey: session.key,
    sessionJwk: session.jwk,
    thumbprint: session.thumbprint,
    replayed: !first,
  };
}
