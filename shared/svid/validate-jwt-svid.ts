/**
 * JWT-SVID validation per the SPIFFE JWT-SVID standard, in go-spiffe's `jwtsvid.ParseAndValidate`
 * order: parse, header rules, key lookup by `kid` in the bundle of the subject's trust domain,
 * signature, then the registered claims. The JWS is verified here with `subtle()` (not through
 * jose, which would reach `globalThis.crypto` and bypass an injected crypto provider).
 */
import { findDuplicateMember } from '../json/find-duplicate-member.js';
import { TrustError, type ErrorCode } from '../errors.js';
import { subtle } from '../crypto.js';
import { b64urlDecode, decodeUtf8, toArrayBuffer, utf8 } from '../lib/encoding.js';
import { type SpiffeId, parseSpiffeId } from '../spiffe/id.js';
import type { Matcher } from '../spiffe/match.js';
import { importVerifyKey, JWS_ALGORITHMS, type JwsAlgorithm, type PublicJwk, rsaModulusBits } from '../bundle/jwk.js';
import type { BundleSource } from '../bundle/source.js';
import type { TrustBundle } from '../bundle/trust-bundle.js';

/** Largest token accepted by default, in bytes. */
export const MAX_JWT_SVID_BYTES = 16 * 1024;
/** Largest encoded protected header accepted, in bytes. */
export const MAX_JWT_SVID_HEADER_BYTES = 2048;
/** Upper bound on `clockTolerance`, in seconds: a tolerance is for skew, not for lifetime. */
export const MAX_CLOCK_TOLERANCE = 300;

export interface ValidateJwtSvidOptions {
  /** The audience(s) this validator identifies with; the token's `aud` must contain at least one. */
  readonly audience: string | readonly string[];
  /** Validation time; defaults to now. */
  readonly at?: Date;
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. Default 0, at most 300. */
  readonly clockTolerance?: number;
  /** Largest token accepted, in bytes. Default 16 KiB. */
  readonly maxTokenBytes?: number;
  /** Authorization of the subject, applied last (e.g. `matchMemberOf('example.org')`). */
  readonly match?: Matcher;
}

/** The claims of a validated JWT-SVID; `aud` is always an array here. */
export interface JwtSvidClaims {
  readonly sub: string;
  readonly aud: readonly string[];
  readonly exp: number;
  readonly [claim: string]: unknown;
}

export interface ValidatedJwtSvid {
  readonly id: SpiffeId;
  readonly claims: JwtSvidClaims;
  /** The protected header: `alg`, `kid` and optional `typ`. */
  readonly header: { readonly alg: JwsAlgorithm; readonly kid: string; readonly typ?: string };
}

const ALLOWED_HEADER = new Set(['alg', 'kid', 'typ']);
const B64URL_OR_DOT = /^[A-Za-z0-9_\-.]*$/;

function fail(code: ErrorCode, message: string, cause?: unknown): TrustError {
  return new TrustError(code, `jwtsvid: ${message}`, cause === undefined ? undefined : { cause });
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  let text: string;
  try {
    text = decodeUtf8(b64urlDecode(part));
    value = JSON.parse(text);
  } catch (err) {
    throw fail('ERR_JWS_MALFORMED', `the token ${what} is not base64url-encoded JSON`, err);
  }
  // I-JSON (RFC 7493): two "sub" or "aud" members read differently in another JWT library
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) throw fail('ERR_JWS_MALFORMED', `the token ${what} has the member name ${JSON.stringify(duplicate.slice(0, 40))} twice`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw fail('ERR_JWS_MALFORMED', `the token ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** The key type decides the algorithm: a header cannot make an RSA key verify ES256, or the reverse. */
function checkKeyFitsAlg(jwk: PublicJwk, alg: JwsAlgorithm, kid: string): void {
  const params = JWS_ALGORITHMS[alg];
  const fits =
    params.name === 'ECDSA' ? jwk.kty === 'EC' && jwk.crv === params.namedCurve : jwk.kty === 'RSA';
  if (!fits || (jwk.alg !== undefined && jwk.alg !== alg)) {
    throw fail('ERR_JWS_KEY_ALGORITHM_MISMATCH', `key ${JSON.stringify(kid)} cannot verify ${alg} signatures`);
  }
  if (jwk.kty === 'RSA' && rsaModulusBits(jwk) < 2048) {
    throw fail('ERR_KEY_UNSUPPORTED', `key ${JSON.stringify(kid)} is an RSA key shorter than 2048 bits`);
  }
}

function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const v = claims[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail('ERR_JWT_CLAIM_INVALID', `the ${name} claim must be a NumericDate`);
  return v;
}

function expectedAudiences(audience: ValidateJwtSvidOptions['audience']): readonly string[] {
  const list = typeof audience === 'string' ? [audience] : audience;
  if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== 'string' || a === '')) {
    throw new TrustError('ERR_INPUT_INVALID', 'jwtsvid: options.audience must be a non-empty string or array of non-empty strings');
  }
  return list;
}

/**
 * Validates a JWT-SVID (JWS compact serialization) against the bundle of its subject's trust
 * domain and returns the subject's SPIFFE ID and the claims.
 *
 * Rules: `alg` one of RS/PS/ES 256/384/512 (`none`, HMAC and EdDSA are refused); `typ`, if set,
 * `JWT` or `JOSE`; no `crit` and no header parameter other than `alg`, `kid`, `typ` (the standard
 * forbids them); `kid` required and found in the bundle; the key's type and curve must fit `alg`;
 * `sub` a SPIFFE ID; `exp` required and in the future; `nbf`/`iat`, if set, not in the future;
 * `aud` must contain one of `options.audience`. Clock tolerance defaults to 0 seconds.
 *
 * @example
 * const { id, claims } = await validateJwtSvid(bearer, bundles, { audience: 'spiffe://example.org/reports' })
 */
export async function validateJwtSvid(token: string, bundleSource: BundleSource, options: ValidateJwtSvidOptions): Promise<ValidatedJwtSvid> {
  if (!bundleSource || typeof bundleSource.getBundle !== 'function') throw new TrustError('ERR_INPUT_INVALID', 'jwtsvid: a bundle source is required');
  if (options === null || typeof options !== 'object') throw new TrustError('ERR_INPUT_INVALID', 'jwtsvid: options with an audience are required');
  const audiences = expectedAudiences(options.audience);
  const tolerance = options.clockTolerance ?? 0;
  if (typeof tolerance !== 'number' || !(tolerance >= 0 && tolerance <= MAX_CLOCK_TOLERANCE)) {
    throw new TrustError('ERR_INPUT_INVALID', `jwtsvid: clockTolerance must be between 0 and ${MAX_CLOCK_TOLERANCE} seconds`);
  }
  const maxBytes = options.maxTokenBytes ?? MAX_JWT_SVID_BYTES;

  // --- structure ---------------------------------------------------------------------------------
  if (typeof token !== 'string') throw fail('ERR_JWS_MALFORMED', 'the token must be a string');
  if (token.length > maxBytes) throw fail('ERR_JWS_MALFORMED', `the token is larger than ${maxBytes} bytes`);
  if (!B64URL_OR_DOT.test(token)) throw fail('ERR_JWS_MALFORMED', 'the token is not a JWS compact serialization');
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw fail('ERR_JWS_MALFORMED', parts.length === 5 ? 'JWE tokens are not JWT-SVIDs' : 'the token must have three dot-separated parts');
  }
  const [h, p, s] = parts as [string, string, string];
  if (h.length > MAX_JWT_SVID_HEADER_BYTES) throw fail('ERR_JWS_HEADER_TOO_LARGE', `the protected header is larger than ${MAX_JWT_SVID_HEADER_BYTES} bytes`);
  const header = decodeJson(h, 'header');

  // --- header rules ------------------------------------------------------------------------------
  const alg = header['alg'];
  if (typeof alg !== 'string' || !Object.hasOwn(JWS_ALGORITHMS, alg)) {
    throw fail('ERR_JWS_ALGORITHM_NOT_ALLOWED', `algorithm ${JSON.stringify(alg ?? null)} is not allowed for JWT-SVIDs`);
  }
  const typ = header['typ'];
  if (typ !== undefined && typ !== 'JWT' && typ !== 'JOSE') throw fail('ERR_JWS_TYP_INVALID', `typ must be "JWT" or "JOSE", got ${JSON.stringify(typ)}`);
  if (header['crit'] !== undefined) throw fail('ERR_JWS_CRIT_UNSUPPORTED', 'critical header parameters are not supported');
  for (const name of Object.keys(header)) {
    if (!ALLOWED_HEADER.has(name)) throw fail('ERR_JWS_MALFORMED', `header parameter ${JSON.stringify(name)} is not allowed in a JWT-SVID`);
  }
  const kid = header['kid'];
  if (kid === undefined || kid === '') throw fail('ERR_JWS_KEY_NOT_FOUND', 'token header missing key id');
  if (typeof kid !== 'string') throw fail('ERR_JWS_MALFORMED', 'kid must be a string');

  // --- subject and key (claims read before the signature only to choose the bundle) -------------
  const claims = decodeJson(p, 'payload');
  const sub = claims['sub'];
  if (sub === undefined) throw fail('ERR_JWT_CLAIM_INVALID', 'token missing sub claim');
  if (typeof sub !== 'string') throw fail('ERR_JWT_CLAIM_INVALID', 'the sub claim must be a string');
  let id: SpiffeId;
  try {
    id = parseSpiffeId(sub);
  } catch (err) {
    throw fail('ERR_SPIFFE_ID_INVALID', `token has an invalid subject claim: ${(err as Error).message}`, err);
  }
  let bundle: TrustBundle;
  try {
    bundle = await bundleSource.getBundle(id.trustDomain);
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw fail('ERR_BUNDLE_NOT_FOUND', `could not get the bundle of trust domain ${JSON.stringify(id.trustDomain.name)}`, err);
  }
  const jwk = bundle.jwtAuthority(kid);
  if (!jwk) throw fail('ERR_JWS_KEY_NOT_FOUND', `no JWT authority ${JSON.stringify(kid)} found for trust domain ${JSON.stringify(id.trustDomain.name)}`);
  const jwsAlg = alg as JwsAlgorithm;
  checkKeyFitsAlg(jwk, jwsAlg, kid);

  // --- signature ---------------------------------------------------------------------------------
  let signature: Uint8Array;
  try {
    signature = b64urlDecode(s);
  } catch (err) {
    throw fail('ERR_JWS_MALFORMED', 'the signature is not base64url', err);
  }
  const key = await importVerifyKey(jwk, jwsAlg);
  const params = JWS_ALGORITHMS[jwsAlg];
  const verifyParams =
    params.name === 'RSA-PSS' ? { name: 'RSA-PSS', saltLength: Number(params.hash.slice(4)) / 8 } : params.name === 'ECDSA' ? { name: 'ECDSA', hash: params.hash } : { name: params.name };
  let valid = false;
  try {
    valid = await subtle().verify(verifyParams, key, toArrayBuffer(signature), toArrayBuffer(utf8.encode(`${h}.${p}`)));
  } catch (err) {
    throw fail('ERR_JWS_SIGNATURE_INVALID', 'the signature does not verify', err);
  }
  if (!valid) throw fail('ERR_JWS_SIGNATURE_INVALID', 'the signature does not verify');

  // --- registered claims (RFC 7519 §4.1, JWT-SVID §3) ---------------------------------------------
  const exp = numericDate(claims, 'exp');
  if (exp === undefined) throw fail('ERR_JWT_CLAIM_INVALID', 'token missing exp claim');
  const nbf = numericDate(claims, 'nbf');
  const iat = numericDate(claims, 'iat');
  const now = (options.at ?? new Date()).getTime() / 1000;
  if (!Number.isFinite(now)) throw new TrustError('ERR_INPUT_INVALID', 'jwtsvid: options.at is not a valid date');
  if (now >= exp + tolerance) throw fail('ERR_JWT_EXPIRED', 'token has expired');
  if (nbf !== undefined && now < nbf - tolerance) throw fail('ERR_JWT_NOT_YET_VALID', 'token is not valid yet (nbf)');
  if (iat !== undefined && iat > now + tolerance) throw fail('ERR_JWT_NOT_YET_VALID', 'token was issued in the future (iat)');
  const rawAud = claims['aud'];
  let aud: string[];
  if (rawAud === undefined) aud = [];
  else if (typeof rawAud === 'string') aud = [rawAud];
  else if (Array.isArray(rawAud) && rawAud.every((a) => typeof a === 'string')) aud = rawAud as string[];
  else throw fail('ERR_JWT_CLAIM_INVALID', 'the aud claim must be a string or an array of strings');
  if (!audiences.some((a) => aud.includes(a))) {
    throw fail('ERR_JWT_AUDIENCE_MISMATCH', `expected audience in ${JSON.stringify(audiences)} (audience=${JSON.stringify(aud.slice(0, 8))})`);
  }

  options.match?.(id);
  return {
    id,
    claims: Object.freeze({ ...claims, sub, aud: Object.freeze([...aud]), exp }) as JwtSvidClaims,
    header: Object.freeze({ alg: jwsAlg, kid, ...(typeof typ === 'string' ? { typ } : {}) }),
  };
}
