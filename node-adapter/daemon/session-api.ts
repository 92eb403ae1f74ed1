/**
 * The daemon's one import point for the session core (bootstrap and session token checks, per the
 * session contract). INTERIM: until shared/session lands, a small jose-based implementation of the
 * contract's `verifyBootstrapToken` / `verifySessionToken` / `jwkThumbprint`; once it lands this
 * file only re-exports shared/session.
 */
import * as jose from 'jose';
import { TrustError, type ErrorCode } from '../../shared/errors.js';
import type { ReplayGuard } from '../../shared/store/types.js';

export interface BootstrapClaims { iss: string; sub: string; aud: string | string[]; jti: string; iat: number; exp: number; session_public_key: JsonWebKey | string }
export interface SessionClaims { iss: string; sub: string; aud: string | string[]; jti: string; iat: number; exp: number }

export async function jwkThumbprint(jwk: JsonWebKey): Promise<string> {
  return jose.calculateJwkThumbprint(jwk as jose.JWK, 'sha256');
}

function fail(code: ErrorCode, message: string, cause?: unknown): TrustError {
  return new TrustError(code, `session: ${message}`, cause === undefined ? undefined : { cause });
}

async function importVerifyKey(key: CryptoKey | JsonWebKey | string, allowRsa: boolean): Promise<{ key: CryptoKey | Uint8Array; alg: string }> {
  try {
    if (typeof key === 'string') {
      const rsa = await jose.importSPKI(key, 'RS256').catch(() => undefined);
      if (rsa && allowRsa) return { key: rsa, alg: 'RS256' };
      return { key: await jose.importSPKI(key, 'ES256'), alg: 'ES256' };
    }
    if ('kty' in key && !(key instanceof CryptoKey)) {
      const jwk = key as JsonWebKey;
      if (jwk.kty === 'RSA' && allowRsa) return { key: (await jose.importJWK(jwk as jose.JWK, 'RS256')) as CryptoKey, alg: 'RS256' };
      if (jwk.kty === 'EC' && jwk.crv === 'P-256') return { key: (await jose.importJWK(jwk as jose.JWK, 'ES256')) as CryptoKey, alg: 'ES256' };
      throw new Error('unsupported');
    }
    const ck = key as CryptoKey;
    if (ck.algorithm.name === 'ECDSA' && (ck.algorithm as EcKeyAlgorithm).namedCurve === 'P-256') return { key: ck, alg: 'ES256' };
    if (allowRsa && ck.algorithm.name === 'RSASSA-PKCS1-v1_5') return { key: ck, alg: 'RS256' };
    throw new Error('unsupported');
  } catch (err) {
    throw fail('ERR_KEY_UNSUPPORTED', 'the verification key is not a P-256 EC key' + (allowRsa ? ' or an RSA key' : ''), err);
  }
}

function mapJoseError(err: unknown): TrustError {
  if (err instanceof TrustError) return err;
  const c = (err as { code?: string }).code;
  if (c === 'ERR_JWT_EXPIRED') return fail('ERR_JWT_EXPIRED', 'token expired', err);
  if (c === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return fail('ERR_JWS_SIGNATURE_INVALID', 'signature invalid', err);
  if (c === 'ERR_JOSE_ALG_NOT_ALLOWED') return fail('ERR_JWS_ALGORITHM_NOT_ALLOWED', 'algorithm not allowed', err);
  if (c === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const claim = (err as { claim?: string }).claim;
    if (claim === 'aud') return fail('ERR_JWT_AUDIENCE_MISMATCH', 'audience mismatch', err);
    if (claim === 'iat' || claim === 'nbf') return fail('ERR_JWT_NOT_YET_VALID', 'token not yet valid', err);
    return fail('ERR_JWT_CLAIM_INVALID', `claim ${claim ?? '?'} invalid`, err);
  }
  if (c === 'ERR_JOSE_NOT_SUPPORTED') return fail('ERR_JWS_CRIT_UNSUPPORTED', 'unsupported header', err);
  return fail('ERR_JWS_MALFORMED', 'token malformed', err);
}

interface CommonOpts { issuer: string; audience: string; sessionId?: string; now?: () => Date; clockToleranceSeconds?: number; maxLifetimeSeconds?: number }

async function verifyJwt(token: string, key: CryptoKey | Uint8Array, alg: string, opts: CommonOpts): Promise<jose.JWTPayload> {
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) throw fail('ERR_JWS_MALFORMED', 'token is not a compact JWS');
  const tol = opts.clockToleranceSeconds ?? 30;
  let payload: jose.JWTPayload;
  let header: jose.JWTHeaderParameters;
  try {
    ({ payload, protectedHeader: header } = await jose.jwtVerify(token, key, {
      algorithms: [alg], issuer: opts.issuer, audience: opts.audience, clockTolerance: tol,
      requiredClaims: ['exp', 'iat', 'jti', 'sub'], ...(opts.now ? { currentDate: opts.now() } : {}),
    }));
  } catch (err) {
    throw mapJoseError(err);
  }
  if (header.typ !== undefined && header.typ !== 'JWT') throw fail('ERR_JWS_TYP_INVALID', 'typ must be JWT');
  const now = Math.floor((opts.now?.() ?? new Date()).getTime() / 1000);
  if (typeof payload.iat !== 'number' || payload.iat > now + tol) throw fail('ERR_JWT_NOT_YET_VALID', 'iat is in the future');
  if (typeof payload.exp !== 'number' || payload.exp - payload.iat > (opts.maxLifetimeSeconds ?? 300)) throw fail('ERR_JWT_CLAIM_INVALID', 'exp - iat exceeds the maximum lifetime');
  if (typeof payload.jti !== 'string' || payload.jti === '') throw fail('ERR_JWT_CLAIM_INVALID', 'jti required');
  if (typeof payload.sub !== 'string' || payload.sub === '') throw fail('ERR_JWT_CLAIM_INVALID', 'sub required');
  if (opts.sessionId !== undefined && payload.sub !== opts.sessionId) throw fail('ERR_JWT_CLAIM_INVALID', 'sub is not this session');
  return payload;
}

export async function verifyBootstrapToken(
  token: string,
  opts: CommonOpts & { key: CryptoKey | JsonWebKey | string; replayGuard: ReplayGuard },
): Promise<{ claims: BootstrapClaims; sessionId: string; sessionKey: CryptoKey; sessionJwk: JsonWebKey; thumbprint: string }> {
  const { key, alg } = await importVerifyKey(opts.key, true);
  const payload = await verifyJwt(token, key, alg, opts);
  const spk = payload['session_public_key'];
  if (spk === undefined || (typeof spk !== 'string' && (typeof spk !== 'object' || spk === null))) throw fail('ERR_JWT_CLAIM_INVALID', 'session_public_key required');
  let sessionKey: CryptoKey;
  let sessionJwk: JsonWebKey;
  try {
    sessionKey = typeof spk === 'string' ? await jose.importSPKI(spk, 'ES256', { extractable: true }) : ((await jose.importJWK(spk as jose.JWK, 'ES256')) as CryptoKey);
    const full = (await jose.exportJWK(sessionKey)) as JsonWebKey;
    if (full.kty !== 'EC' || full.crv !== 'P-256') throw new Error('not P-256');
    sessionJwk = { kty: 'EC', crv: 'P-256', x: full.x!, y: full.y! };
  } catch (err) {
    throw fail('ERR_KEY_UNSUPPORTED', 'session_public_key is not a P-256 public key', err);
  }
  const now = Math.floor((opts.now?.() ?? new Date()).getTime() / 1000);
  const ttlMs = Math.max(1, (payload.exp! - now + (opts.clockToleranceSeconds ?? 30)) * 1000);
  if (!(await opts.replayGuard.claim(`bootstrap:jti:${payload.jti}`, ttlMs))) throw fail('ERR_TOKEN_REPLAYED', 'bootstrap token already used');
  return { claims: payload as unknown as BootstrapClaims, sessionId: payload.sub!, sessionKey, sessionJwk, thumbprint: await jwkThumbprint(sessionJwk) };
}

export async function verifySessionToken(token: string, opts: CommonOpts & { key: CryptoKey }): Promise<{ claims: SessionClaims }> {
  const payload = await verifyJwt(token, opts.key, 'ES256', opts);
  return { claims: payload as unknown as SessionClaims };
}
