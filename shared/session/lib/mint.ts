/** Internal: the registered claims of a freshly minted token. */
import { TrustError } from '../../errors.js';
import { getCrypto } from '../../crypto.js';
import { MAX_TOKEN_LIFETIME_SECONDS } from './claims.js';

export interface MintBase {
  issuer: string;
  audience: string;
  sessionId: string;
  ttlSeconds?: number | undefined;
  now?: (() => Date) | undefined;
  jti?: string | undefined;
}

export function registeredClaims(module: string, opts: MintBase): { iss: string; sub: string; aud: string; jti: string; iat: number; exp: number } {
  if (opts === null || typeof opts !== 'object') throw new TrustError('ERR_INPUT_INVALID', `${module}: options are required`);
  for (const name of ['issuer', 'audience', 'sessionId'] as const) {
    if (typeof opts[name] !== 'string' || opts[name] === '') throw new TrustError('ERR_INPUT_INVALID', `${module}: options.${name} must be a non-empty string`);
  }
  const ttl = opts.ttlSeconds ?? MAX_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new TrustError('ERR_INPUT_INVALID', `${module}: ttlSeconds must be an integer in 1..${MAX_TOKEN_LIFETIME_SECONDS}`);
  }
  if (opts.jti !== undefined && (typeof opts.jti !== 'string' || opts.jti === '')) throw new TrustError('ERR_INPUT_INVALID', `${module}: options.jti must be a non-empty string`);
  const ms = (opts.now ? opts.now() : new Date()).getTime();
  if (!Number.isFinite(ms)) throw new TrustError('ERR_INPUT_INVALID', `${module}: options.now() is not a valid date`);
  const iat = Math.floor(ms / 1000);
  return { iss: opts.issuer, sub: opts.sessionId, aud: opts.audience, jti: opts.jti ?? getCrypto().randomUUID(), iat, exp: iat + ttl };
}
