import { describe, expect, it } from 'vitest';
import {
  matchAny,
  matchId,
  matchMemberOf,
  matchOneOf,
  parseSpiffeId,
  parseTrustDomain,
  type Matcher,
} from '../../shared/spiffe/index.js';
import { TrustError } from '../../shared/errors.js';

function outcome(match: Matcher, id: string): string {
  try {
    match(parseSpiffeId(id));
    return 'ok';
  } catch (err) {
    return err instanceof TrustError ? err.code : 'not a TrustError';
  }
}

const NO = 'ERR_SPIFFE_ID_NOT_AUTHORIZED';

describe('matchers', () => {
  it.each<[string, Matcher, string, string]>([
    ['any', matchAny(), 'spiffe://example.org/w', 'ok'],
    ['any (root ID)', matchAny(), 'spiffe://other.test', 'ok'],
    ['id (string)', matchId('spiffe://example.org/w'), 'spiffe://example.org/w', 'ok'],
    ['id (parsed)', matchId(parseSpiffeId('spiffe://example.org/w')), 'spiffe://example.org/w', 'ok'],
    ['id: other path', matchId('spiffe://example.org/w'), 'spiffe://example.org/x', NO],
    ['id: path is case-sensitive', matchId('spiffe://example.org/w'), 'spiffe://example.org/W', NO],
    ['id: prefix is not a match', matchId('spiffe://example.org/w'), 'spiffe://example.org/w/x', NO],
    ['id: other trust domain', matchId('spiffe://example.org/w'), 'spiffe://example.com/w', NO],
    ['oneOf: first', matchOneOf('spiffe://example.org/a', 'spiffe://example.org/b'), 'spiffe://example.org/a', 'ok'],
    ['oneOf: second (parsed)', matchOneOf('spiffe://example.org/a', parseSpiffeId('spiffe://example.org/b')), 'spiffe://example.org/b', 'ok'],
    ['oneOf: none', matchOneOf('spiffe://example.org/a', 'spiffe://example.org/b'), 'spiffe://example.org/c', NO],
    ['oneOf: empty list', matchOneOf(), 'spiffe://example.org/a', NO],
    ['memberOf (name)', matchMemberOf('example.org'), 'spiffe://example.org/a/b', 'ok'],
    ['memberOf (ID string)', matchMemberOf('spiffe://example.org'), 'spiffe://example.org/a', 'ok'],
    ['memberOf (parsed)', matchMemberOf(parseTrustDomain('example.org')), 'spiffe://example.org', 'ok'],
    ['memberOf: subdomain is another trust domain', matchMemberOf('example.org'), 'spiffe://sub.example.org/a', NO],
    ['memberOf: parent is another trust domain', matchMemberOf('sub.example.org'), 'spiffe://example.org/a', NO],
  ])('%s', (_name, match, id, expected) => {
    expect(outcome(match, id)).toBe(expected);
  });

  it('names the rejected ID in the message', () => {
    expect(() => matchId('spiffe://example.org/a')(parseSpiffeId('spiffe://example.org/b'))).toThrow(
      'spiffeid: unexpected ID "spiffe://example.org/b"',
    );
    expect(() => matchMemberOf('example.org')(parseSpiffeId('spiffe://evil.test/b'))).toThrow(
      'spiffeid: unexpected trust domain "evil.test"',
    );
  });

  it.each<[string, () => unknown, string]>([
    ['matchId', () => matchId('spiffe://example.org/a/'), 'ERR_SPIFFE_ID_INVALID'],
    ['matchOneOf', () => matchOneOf('spiffe://example.org/a', 'nope'), 'ERR_SPIFFE_ID_INVALID'],
    ['matchMemberOf', () => matchMemberOf('Example.org'), 'ERR_TRUST_DOMAIN_INVALID'],
  ])('%s rejects bad configuration when built', (_name, build, code) => {
    expect(build).toThrow(expect.objectContaining({ code }));
  });
});
