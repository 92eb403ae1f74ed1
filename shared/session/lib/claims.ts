/**
 * Internal: the registered-claim rules shared by bootstrap and session tokens (RFC 7519 §4.1),
 * stricter than the RFC: `iss`, `sub`, `aud`, `jti`, `iat` and `exp` are all required.
 */
import { TrustError } from '../../errors.js';
import { fail } from './jws.js';
import type { SessionClaims } from '../types.js';

/** Largest clock tolerance accepted, in seconds: a tolerance is for skew, not for lifetime. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;
/** Default and largest lifetime (`exp - iat`) of a bootstrap or session token, in seconds. */
export const MAX_TOKEN_LIFETIME_SECONDS = 300;
/** Default clock tolerance, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

export interface ClaimRules {
  readonly issuer: string;
  readonly audience: string;
  readonly sessionId?: string | undefined;
  readonly now?: (() => Date) | undefined;
  readonly clockToleranceSeconds?: number | undefined;
  readonly maxLifetimeSeconds?: number | undefined;
}

/** The registered claims every bootstrap and session token carries. */
export type RegisteredClaims = SessionClaims;

function nonEmpty(value: unknown, name: string, module: string): void {
  if (typeof value !== 'string' || value === '') throw new TrustError('ERR_INPUT_INVALID', `${module}: options.${name} must be a non-empty string`);
}

/** Checks the caller's options once; returns the resolved tolerance and lifetime. */
export function checkRules(module: string, rules: ClaimRules): { tolerance: number; maxLifetime: number } {
  if (rules === null || typeof rules !== 'object') throw new TrustError('ERR_INPUT_INVALID', `${module}: options are required`);
  nonEmpty(rules.issuer, 'issuer', module);
  nonEmpty(rules.audience, 'audience', module);
  if (rules.sessionId !== undefined) nonEmpty(rules.sessionId, 'sessionId', module);
  const tolerance = rules.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (typeof tolerance !== 'number' || !(tolerance >= 0 && tolerance <= MAX_CLOCK_TOLERANCE_SECONDS)) {
    throw new TrustError('ERR_INPUT_INVALID', `${module}: clockToleranceSeconds must be between 0 and ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  const maxLifetime = rules.maxLifetimeSeconds ?? MAX_TOKEN_LIFETIME_SECONDS;
  if (typeof maxLifetime !== 'number' || !(maxLifetime > 0 && maxLifetime <= MAX_TOKEN_LIFETIME_SECONDS)) {
    throw new TrustError('ERR_INPUT_INVALID', `${module}: maxLifetimeSeconds must be in (0, ${MAX_TOKEN_LIFETIME_SECONDS}]`);
  }
  return { tolerance, maxLifetime };
}

function numericDate(module: string, claims: Record<string, unknown>, name: string): number {
  const v = claims[name];
  if (v === undefined) throw fail(module, 'ERR_JWT_CLAIM_INVALID', `the token has no ${name} claim`);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(module, 'ERR_JWT_CLAIM_INVALID', `the ${name} claim must be a NumericDate`);
  return v;
}

function requiredString(module: string, claims: Record<string, unknown>, name: string): string {
  const v = claims[name];
  if (v === undefined) throw fail(module, 'ERR_JWT_CLAIM_INVALID', `the token has no ${name} claim`);
  if (typeof v !== 'string' || v === '') throw fail(module, 'ERR_JWT_CLAIM_INVALID', `the ${name} claim must be a non-empty string`);
  return v;
}

/**
 * The claim rules, in this order: exp, iat, lifetime, nbf, iss, aud, sub, jti. Time errors come
 * first because they are the ones a caller can fix by asking for a fresh token.
 */
export function checkClaims(module: string, claims: Record<string, unknown>, rules: ClaimRules, tolerance: number, maxLifetime: number): RegisteredClaims {
  const exp = numericDate(module, claims, 'exp');
  const iat = numericDate(module, claims, 'iat');
  const now = (rules.now ? rules.now() : new Date()).getTime() / 1000;
  if (!Number.isFinite(now)) throw new TrustError('ERR_INPUT_INVALID', `${module}: options.now() is not a valid date`);
  if (now >= exp + tolerance) throw fail(module, 'ERR_JWT_EXPIRED', 'the token has expired');
  if (iat > now + tolerance) throw fail(module, 'ERR_JWT_NOT_YET_VALID', 'the token was issued in the future (iat)');
  if (exp <= iat) throw fail(module, 'ERR_JWT_CLAIM_INVALID', 'exp must be after iat');
  if (exp - iat > maxLifetime) throw fail(module, 'ERR_JWT_CLAIM_INVALID', `the token lives ${exp - iat} s, more than ${maxLifetime} s`);
  const nbf = claims['nbf'];
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) throw fail(module, 'ERR_JWT_CLAIM_INVALID', 'the nbf claim must be a NumericDate');
    if (now < nbf - tolerance) throw fail(module, 'ERR_JWT_NOT_YET_VALID', 'the token is not valid yet (nbf)');
  }
  const iss = requiredString(module, claims, 'iss');
  if (iss !== rules.issuer) throw fail(module, 'ERR_JWT_CLAIM_INVALID', `unexpected issuer ${JSON.stringify(iss.slice(0, 256))}`);
  const aud = claims['aud'];
  if (aud === undefined) throw fail(module, 'ERR_JWT_AUDIENCE_MISMATCH', 'the token has no aud claim');
  if (typeof aud === 'string') {
    if (aud !== rules.audience) throw fail(module, 'ERR_JWT_AUDIENCE_MISMATCH', `expected audience ${JSON.stringify(rules.audience)}`);
  } else if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) {
    if (!aud.includes(rules.audience)) throw fail(module, 'ERR_JWT_AUDIENCE_MISMATCH', `expected audience ${JSON.stringify(rules.audience)}`);
  } else {
    throw fail(module, 'ERR_JWT_CLAIM_INVALID', 'the aud claim must be a string or an array of strings');
  }
  const sub = requiredString(module, claims, 'sub');
  if (rules.sessionId !== undefined && sub !== rules.sessionId) throw fail(module, 'ERR_JWT_CLAIM_INVALID', 'the token was issued for another session (sub)');
  const jti = requiredString(module, claims, 'jti');
  return { iss, sub, aud: aud as string | string[], jti, iat, exp };
}
