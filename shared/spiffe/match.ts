/**
 * Authorization policies over SPIFFE IDs, as plain functions (go-spiffe's `spiffeid.Matcher`):
 * a matcher returns when the ID is acceptable and throws `ERR_SPIFFE_ID_NOT_AUTHORIZED` otherwise.
 * Expected IDs and trust domains are parsed when the matcher is built, so a typo in configuration
 * fails at start-up, not at the first request.
 */
import { TrustError } from '../errors.js';
import { type SpiffeId, type TrustDomain, toSpiffeId, toTrustDomain } from './id.js';

/** Throws `TrustError('ERR_SPIFFE_ID_NOT_AUTHORIZED')` when `id` is not acceptable. */
export type Matcher = (id: SpiffeId) => void;

function denied(message: string): TrustError {
  return new TrustError('ERR_SPIFFE_ID_NOT_AUTHORIZED', `spiffeid: ${message}`);
}

/**
 * Accepts every ID. Use only where authorization happens elsewhere.
 *
 * @example
 * await verifyX509Svid(chain, bundles, { match: matchAny() })
 */
export function matchAny(): Matcher {
  return () => {};
}

/**
 * Accepts exactly one ID.
 *
 * @example
 * const match = matchId('spiffe://example.org/db')
 * match(parseSpiffeId('spiffe://example.org/web')) // throws ERR_SPIFFE_ID_NOT_AUTHORIZED
 */
export function matchId(expected: SpiffeId | string): Matcher {
  const want = toSpiffeId(expected).toString();
  return (id) => {
    if (id.toString() !== want) throw denied(`unexpected ID ${JSON.stringify(id.toString())}`);
  };
}

/**
 * Accepts any of the given IDs (none given: accepts nothing).
 *
 * @example
 * const match = matchOneOf('spiffe://example.org/web', 'spiffe://example.org/api')
 */
export function matchOneOf(...expected: Array<SpiffeId | string>): Matcher {
  const want = new Set(expected.map((e) => toSpiffeId(e).toString()));
  return (id) => {
    if (!want.has(id.toString())) throw denied(`unexpected ID ${JSON.stringify(id.toString())}`);
  };
}

/**
 * Accepts any ID in the trust domain (given as a name or a SPIFFE ID).
 *
 * @example
 * const match = matchMemberOf('example.org')
 * match(parseSpiffeId('spiffe://example.org/web')) // ok
 */
export function matchMemberOf(td: TrustDomain | string): Matcher {
  const want = toTrustDomain(td);
  return (id) => {
    if (!id.trustDomain.equals(want)) throw denied(`unexpected trust domain ${JSON.stringify(id.trustDomain.name)}`);
  };
}
