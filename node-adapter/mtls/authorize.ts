/**
 * Authorizers: who may be on the other end of an mTLS connection, decided on the SPIFFE ID of the
 * peer's verified chain (go-spiffe's `tlsconfig.Authorizer`). An authorizer throws (or returns
 * `false`) to refuse; anything it throws becomes `ERR_PEER_NOT_AUTHORIZED`.
 */
import { TrustError, parseSpiffeId, parseTrustDomain, type Certificate, type Matcher, type SpiffeId, type TrustDomain } from '../spiffe/core.js';

export type Authorizer = (id: SpiffeId, chain: readonly Certificate[]) => void | boolean | Promise<void | boolean>;

function refuse(id: SpiffeId, why: string): TrustError {
  return new TrustError('ERR_PEER_NOT_AUTHORIZED', `mtls: peer ${id.toString()} is not authorized: ${why}`);
}

/** Any peer whose chain verified. */
export function authorizeAny(): Authorizer {
  return () => {};
}

/** Exactly this SPIFFE ID. */
export function authorizeId(expected: SpiffeId | string): Authorizer {
  const want = typeof expected === 'string' ? parseSpiffeId(expected) : expected;
  return (id) => {
    if (id.toString() !== want.toString()) throw refuse(id, `expected ${want.toString()}`);
  };
}

/** One of these SPIFFE IDs. */
export function authorizeOneOf(...expected: Array<SpiffeId | string>): Authorizer {
  if (expected.length === 0) throw new TrustError('ERR_INPUT_INVALID', 'mtls: authorizeOneOf needs at least one SPIFFE ID');
  const want = new Set(expected.map((e) => (typeof e === 'string' ? parseSpiffeId(e) : e).toString()));
  return (id) => {
    if (!want.has(id.toString())) throw refuse(id, `not one of ${[...want].join(', ')}`);
  };
}

/** Any SPIFFE ID in this trust domain. */
export function authorizeMemberOf(trustDomain: TrustDomain | string): Authorizer {
  const td = typeof trustDomain === 'string' ? parseTrustDomain(trustDomain) : trustDomain;
  return (id) => {
    if (id.trustDomain.name !== td.name) throw refuse(id, `not a member of trust domain ${td.name}`);
  };
}

/** An adapter from the core's matchers (`matchId`, `matchMemberOf`, …, or your own). */
export function authorizeMatcher(matcher: Matcher): Authorizer {
  return (id) => {
    try {
      matcher(id);
    } catch (err) {
      throw refuse(id, err instanceof Error ? err.message : 'refused by the matcher');
    }
  };
}

/** Runs an authorizer, failing closed: whatever it throws, and `false`, is `ERR_PEER_NOT_AUTHORIZED`. */
export async function runAuthorizer(authorize: Authorizer, id: SpiffeId, chain: readonly Certificate[]): Promise<void> {
  let result: void | boolean;
  try {
    result = await authorize(id, chain);
  } catch (err) {
    if (err instanceof TrustError && err.code === 'ERR_PEER_NOT_AUTHORIZED') throw err;
    throw new TrustError('ERR_PEER_NOT_AUTHORIZED', `mtls: peer ${id.toString()} is not authorized${err instanceof Error ? `: ${err.message}` : ''}`, { cause: err });
  }
  if (result === false) throw refuse(id, 'refused by the authorizer');
}
