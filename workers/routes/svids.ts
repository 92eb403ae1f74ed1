/**
 * `POST /v1/svids/x509/verify` and `POST /v1/svids/jwt/validate`: SPIFFE SVIDs checked against the
 * configured trust bundles (the same bundles, federated ones included, as AgentCard x5c chains).
 *
 * Like the card endpoints, a request that can be read answers 200 with `verified` true or false and
 * the reason in `error`; 4xx only when the request itself is wrong (body, JSON, field names or
 * types, policy), and 503 when a store or bundle the check needs is unavailable.
 */
import { TrustError, type ErrorCode } from '../../shared/errors.js';
import { matchId, matchMemberOf, parseSpiffeId, parseTrustDomain, type Matcher } from '../../shared/spiffe/index.js';
import { MAX_SVID_CHAIN_LENGTH, describeChain, validateJwtSvid, verifyX509Svid } from '../../shared/svid/index.js';
import { parseCertificate, parseCertificates } from '../../shared/x509/index.js';
import type { Certificate } from '../../shared/x509/types.js';
import { b64Decode } from '../../shared/lib/encoding.js';
import { readJsonBody } from '../http/body.js';
import { json } from '../http/respond.js';
import { tagOutcome } from '../http/outcome.js';
import type { AppContext } from '../context.js';
import { isPlainObject } from './policy.js';

/** The SVID policy of a request: `{ trustDomain?, expectedId? }`; the trust domain defaults to `DEFAULT_TRUST_DOMAIN`. */
interface SvidPolicy {
  match: Matcher | undefined;
}

const POLICY_KEYS = new Set(['trustDomain', 'expectedId']);

function invalid(message: string): TrustError {
  return new TrustError('ERR_REQUEST_INVALID', message);
}

function onlyKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) if (!allowed.includes(key)) throw invalid(`unknown field ${JSON.stringify(key)}`);
}

function parseSvidPolicy(value: unknown, app: AppContext): SvidPolicy {
  if (value !== undefined && !isPlainObject(value)) throw invalid('"policy" must be an object');
  const p = value ?? {};
  for (const key of Object.keys(p)) {
    if (!POLICY_KEYS.has(key)) throw invalid(`unknown policy field ${JSON.stringify(key)}`);
  }
  const { trustDomain, expectedId } = p;
  if (trustDomain !== undefined && typeof trustDomain !== 'string') throw invalid('"policy.trustDomain" must be a string');
  if (expectedId !== undefined && typeof expectedId !== 'string') throw invalid('"policy.expectedId" must be a string');
  const td = trustDomain === undefined ? app.config.defaultTrustDomain : parseTrustDomain(trustDomain).name;
  const id = expectedId === undefined ? undefined : parseSpiffeId(expectedId);
  const matchers: Matcher[] = [];
  if (td !== undefined) matchers.push(matchMemberOf(td));
  if (id !== undefined) matchers.push(matchId(id));
  return { match: matchers.length === 0 ? undefined : (candidate) => matchers.forEach((m) => m(candidate)) };
}

/** A chain entry as sent: a PEM certificate, or standard base64 DER (as in `x5c`). */
function parseChainEntry(entry: unknown, index: number): Certificate {
  if (typeof entry !== 'string') throw invalid(`"chain[${index}]" must be a string (PEM or base64 DER)`);
  if (entry.trimStart().startsWith('-----BEGIN')) return parseCertificate(entry);
  return parseCertificate(b64Decode(entry, 'ERR_X509_MALFORMED'));
}

function chainOf(value: unknown): Certificate[] {
  if (typeof value === 'string') {
    if (value.trim() === '') throw new TrustError('ERR_SVID_CHAIN_EMPTY', 'x509svid: empty certificates chain');
    return parseCertificates(value, { maxCount: MAX_SVID_CHAIN_LENGTH });
  }
  if (!Array.isArray(value)) throw invalid('"chain" must be an array of certificates (PEM or base64 DER) or a PEM bundle string');
  if (value.length === 0) throw new TrustError('ERR_SVID_CHAIN_EMPTY', 'x509svid: empty certificates chain');
  if (value.length > MAX_SVID_CHAIN_LENGTH) throw new TrustError('ERR_X509_CHAIN_TOO_LONG', `x509svid: more than ${MAX_SVID_CHAIN_LENGTH} certificates presented`);
  return value.map(parseChainEntry);
}

/**
 * Failures that are not a verdict on the credential: the request's own shape (400) and "could not
 * check now" (503). They are answered as errors, never as `verified: false`.
 */
const NOT_A_VERDICT: ReadonlySet<ErrorCode> = new Set(['ERR_REQUEST_INVALID', 'ERR_STORE_UNAVAILABLE']);

function failure(err: unknown): { code: ErrorCode; message: string } {
  if (!(err instanceof TrustError)) throw err;
  if (NOT_A_VERDICT.has(err.code)) throw err;
  return { code: err.code, message: err.message };
}

/**
 * `{ chain, policy? }` → `{ verified, id, trustDomain, expiresAt, chain }` or `{ verified: false, error, chain? }`.
 * The answered chain is the verified path (leaf to root) on success, the presented chain otherwise.
 */
export async function verifyX509SvidRoute(request: Request, app: AppContext): Promise<Response> {
  const body = await readJsonBody(request);
  if (!isPlainObject(body)) throw invalid('the body must be {"chain": […], "policy": …}');
  onlyKeys(body, ['chain', 'policy']);
  if (!Object.hasOwn(body, 'chain')) throw invalid('missing field "chain"');
  const policy = parseSvidPolicy(body.policy, app);
  let presented: Certificate[] | undefined;
  let answer: Record<string, unknown>;
  try {
    presented = chainOf(body.chain);
    const svid = await verifyX509Svid(presented, app.bundles, { at: app.now(), ...(policy.match ? { match: policy.match } : {}) });
    answer = {
      verified: true,
      id: svid.id.toString(),
      trustDomain: svid.id.trustDomain.name,
      expiresAt: svid.chain[0]!.notAfter.toISOString(),
      chain: await describeChain(svid.chain),
    };
  } catch (err) {
    answer = { verified: false, error: failure(err), ...(presented ? { chain: await describeChain(presented) } : {}) };
  }
  return tagOutcome(json(answer), { kind: 'x509-svid', verified: answer.verified === true, code: (answer.error as { code: ErrorCode } | undefined)?.code });
}

/** `{ token, audience, policy? }` → `{ verified, id, claims, expiresAt }` or `{ verified: false, error }`. */
export async function validateJwtSvidRoute(request: Request, app: AppContext): Promise<Response> {
  const body = await readJsonBody(request);
  if (!isPlainObject(body)) throw invalid('the body must be {"token": "…", "audience": "…"}');
  onlyKeys(body, ['token', 'audience', 'policy']);
  const { token, audience } = body;
  if (typeof token !== 'string') throw invalid('"token" must be a string');
  const audiences = typeof audience === 'string' ? [audience] : audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((a) => typeof a === 'string' && a !== '')) {
    throw invalid('"audience" must be a non-empty string or a non-empty array of non-empty strings');
  }
  const policy = parseSvidPolicy(body.policy, app);
  let answer: Record<string, unknown>;
  try {
    const svid = await validateJwtSvid(token, app.bundles, { audience: audiences as string[], at: app.now(), ...(policy.match ? { match: policy.match } : {}) });
    answer = {
      verified: true,
      id: svid.id.toString(),
      trustDomain: svid.id.trustDomain.name,
      claims: svid.claims,
      expiresAt: new Date(svid.claims.exp * 1000).toISOString(),
    };
  } catch (err) {
    answer = { verified: false, error: failure(err) };
  }
  return tagOutcome(json(answer), { kind: 'jwt-svid', verified: answer.verified === true, code: (answer.error as { code: ErrorCode } | undefined)?.code });
}
