import { describe, expect, it } from 'vitest';
import { parseSpiffeId, parseTrustDomain, SpiffeId, TrustDomain } from '../../shared/spiffe/index.js';
import { TrustError, type ErrorCode } from '../../shared/errors.js';

function codeOf(fn: () => unknown): ErrorCode | 'no error' | 'not a TrustError' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return err instanceof TrustError ? err.code : 'not a TrustError';
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

const td255 = 'a'.repeat(251) + '.org'; // 255 bytes
const td256 = 'a'.repeat(252) + '.org';
// 'spiffe://example.org' is 20 bytes; the path makes up the rest.
const id2048 = 'spiffe://example.org/' + 'a'.repeat(2048 - 21);
const id2049 = 'spiffe://example.org/' + 'a'.repeat(2049 - 21);

describe('parseSpiffeId accepts valid IDs', () => {
  it.each<[string, string, string]>([
    ['spiffe://example.org', 'example.org', ''],
    ['spiffe://example.org/workload', 'example.org', '/workload'],
    ['spiffe://example.org/ns/prod/sa/web-fe', 'example.org', '/ns/prod/sa/web-fe'],
    ['spiffe://trust_domain-1.example/a.b/C_D/e-f/0', 'trust_domain-1.example', '/a.b/C_D/e-f/0'],
    ['spiffe://example.org/UPPER/Case', 'example.org', '/UPPER/Case'],
    ['spiffe://example.org/...', 'example.org', '/...'],
    ['spiffe://example.org/.a/a.', 'example.org', '/.a/a.'],
    ['spiffe://1.2.3.4/ip-looking', '1.2.3.4', '/ip-looking'],
    [`spiffe://${td255}/x`, td255, '/x'],
    [id2048, 'example.org', id2048.slice(20)],
  ])('%s', (input, td, path) => {
    const id = parseSpiffeId(input);
    expect(id).toBeInstanceOf(SpiffeId);
    expect(id.trustDomain.name).toBe(td);
    expect(id.path).toBe(path);
    expect(id.toString()).toBe(input);
    expect(JSON.stringify(id)).toBe(JSON.stringify(input));
  });
});

describe('parseSpiffeId rejects every rule of the SPIFFE-ID standard', () => {
  it.each<[string, string, string]>([
    ['empty', '', 'cannot be empty'],
    ['no scheme', 'example.org/workload', 'scheme is missing or invalid'],
    ['wrong scheme', 'https://example.org/workload', 'scheme is missing or invalid'],
    ['uppercase scheme', 'SPIFFE://example.org/workload', 'scheme is missing or invalid'],
    ['mixed-case scheme', 'Spiffe://example.org/workload', 'scheme is missing or invalid'],
    ['single slash', 'spiffe:/example.org/workload', 'scheme is missing or invalid'],
    ['no slashes', 'spiffe:example.org', 'scheme is missing or invalid'],
    ['leading space', ' spiffe://example.org/w', 'scheme is missing or invalid'],
    ['missing trust domain', 'spiffe://', 'trust domain is missing'],
    ['missing trust domain with path', 'spiffe:///workload', 'trust domain is missing'],
    ['uppercase trust domain', 'spiffe://Example.org/w', 'uppercase'],
    ['port', 'spiffe://example.org:8080/w', 'port'],
    ['empty port', 'spiffe://example.org:/w', 'port'],
    ['userinfo', 'spiffe://user@example.org/w', 'userinfo'],
    ['userinfo with password', 'spiffe://user:pw@example.org/w', 'port'],
    ['query on trust domain', 'spiffe://example.org?x=1', 'query'],
    ['query', 'spiffe://example.org/w?x=1', 'query'],
    ['empty query', 'spiffe://example.org/w?', 'query'],
    ['fragment on trust domain', 'spiffe://example.org#f', 'fragment'],
    ['fragment', 'spiffe://example.org/w#frag', 'fragment'],
    ['percent-encoding in trust domain', 'spiffe://ex%41mple.org/w', 'percent-encoding'],
    ['percent-encoding in path', 'spiffe://example.org/w%2Fx', 'percent-encoding'],
    ['percent-encoded dot segment', 'spiffe://example.org/%2e%2e/w', 'percent-encoding'],
    ['trailing slash', 'spiffe://example.org/', 'trailing slash'],
    ['trailing slash after path', 'spiffe://example.org/w/', 'trailing slash'],
    ['empty segment', 'spiffe://example.org//w', 'empty segments'],
    ['empty middle segment', 'spiffe://example.org/a//b', 'empty segments'],
    ['dot segment', 'spiffe://example.org/./w', 'dot segments'],
    ['dot-dot segment', 'spiffe://example.org/a/../b', 'dot segments'],
    ['final dot segment', 'spiffe://example.org/a/.', 'dot segments'],
    ['final dot-dot segment', 'spiffe://example.org/a/..', 'dot segments'],
    ['space in path', 'spiffe://example.org/a b', 'path segment characters'],
    ['sub-delims in path', "spiffe://example.org/p!a$t&h'", 'path segment characters'],
    ['colon in path', 'spiffe://example.org/a:b', 'path segment characters'],
    ['at-sign in path', 'spiffe://example.org/a@b', 'path segment characters'],
    ['tilde in path', 'spiffe://example.org/~a', 'path segment characters'],
    ['brackets in path', 'spiffe://example.org/a[b]', 'path segment characters'],
    ['non-ASCII in path', 'spiffe://example.org/caf\u00e9', 'path segment characters'],
    ['non-ASCII in trust domain', 'spiffe://ex\u00e4mple.org/w', 'trust domain characters'],
    ['IPv6 literal', 'spiffe://[::1]/w', 'trust domain characters'],
    ['plus in trust domain', 'spiffe://a+b.org/w', 'trust domain characters'],
    ['NUL in path', 'spiffe://example.org/a\u0000b', 'path segment characters'],
    ['backslash in path', 'spiffe://example.org/a\\b', 'path segment characters'],
    ['trust domain 256 bytes', `spiffe://${td256}/x`, 'longer than 255'],
    ['ID 2049 bytes', id2049, 'longer than 2048'],
  ])('%s', (_name, input, rule) => {
    expect(codeOf(() => parseSpiffeId(input))).toBe('ERR_SPIFFE_ID_INVALID');
    expect(messageOf(() => parseSpiffeId(input))).toMatch(/^spiffeid: invalid SPIFFE ID /);
    expect(messageOf(() => parseSpiffeId(input))).toContain(rule);
  });

  it.each([undefined, null, 42, {}, ['spiffe://example.org/w']])('rejects a non-string %j', (input) => {
    expect(codeOf(() => parseSpiffeId(input as unknown as string))).toBe('ERR_SPIFFE_ID_INVALID');
  });

  it('keeps messages bounded for huge input', () => {
    expect(messageOf(() => parseSpiffeId('x'.repeat(100_000))).length).toBeLessThan(200);
  });
});

describe('parseTrustDomain', () => {
  it.each<[string, string]>([
    ['example.org', 'example.org'],
    ['trust_domain-1.example', 'trust_domain-1.example'],
    ['localhost', 'localhost'],
    ['spiffe://example.org', 'example.org'],
    ['spiffe://example.org/path/element', 'example.org'],
    [td255, td255],
  ])('accepts %s', (input, name) => {
    const td = parseTrustDomain(input);
    expect(td).toBeInstanceOf(TrustDomain);
    expect(td.name).toBe(name);
    expect(td.toString()).toBe(name);
    expect(td.idString()).toBe(`spiffe://${name}`);
    expect(td.id().toString()).toBe(`spiffe://${name}`);
    expect(td.equals(name)).toBe(true);
  });

  it.each<[string, string, string]>([
    ['empty', '', 'trust domain is missing'],
    ['uppercase', 'Example.org', 'uppercase'],
    ['port', 'example.org:8080', 'port'],
    ['userinfo', 'user@example.org', 'userinfo'],
    ['path without scheme', 'example.org/path', 'trust domain characters'],
    ['percent-encoding', 'ex%41mple.org', 'percent-encoding'],
    ['space', 'example org', 'trust domain characters'],
    ['256 bytes', td256, 'longer than 255'],
    ['wrong scheme', 'https://example.org', 'scheme is missing or invalid'],
    ['uppercase scheme', 'SPIFFE://example.org', 'scheme is missing or invalid'],
    ['ID without trust domain', 'spiffe:///w', 'trust domain is missing'],
    ['ID with invalid path', 'spiffe://example.org/a/../b', 'dot segments'],
    ['ID with port', 'spiffe://example.org:1/w', 'port'],
  ])('rejects %s', (_name, input, rule) => {
    expect(codeOf(() => parseTrustDomain(input))).toBe('ERR_TRUST_DOMAIN_INVALID');
    expect(messageOf(() => parseTrustDomain(input))).toMatch(/^spiffeid: invalid trust domain /);
    expect(messageOf(() => parseTrustDomain(input))).toContain(rule);
  });

  it('rejects a non-string', () => {
    expect(codeOf(() => parseTrustDomain(7 as unknown as string))).toBe('ERR_TRUST_DOMAIN_INVALID');
  });
});

describe('SpiffeId helpers', () => {
  it('memberOf compares trust domains exactly', () => {
    const id = parseSpiffeId('spiffe://example.org/w');
    expect(id.memberOf('example.org')).toBe(true);
    expect(id.memberOf(parseTrustDomain('spiffe://example.org'))).toBe(true);
    expect(id.memberOf('other.example.org')).toBe(false);
    expect(id.memberOf('org')).toBe(false);
    expect(parseSpiffeId('spiffe://example.org').memberOf('example.org')).toBe(true);
  });

  it('equals compares string forms', () => {
    const id = parseSpiffeId('spiffe://example.org/w');
    expect(id.equals('spiffe://example.org/w')).toBe(true);
    expect(id.equals(parseSpiffeId('spiffe://example.org/W'))).toBe(false);
  });

  it('values are immutable and cannot be built without parsing', () => {
    const id = parseSpiffeId('spiffe://example.org/w');
    expect(Object.isFrozen(id)).toBe(true);
    expect(Object.isFrozen(id.trustDomain)).toBe(true);
    const Ctor = SpiffeId as unknown as new (...a: unknown[]) => SpiffeId;
    expect(() => new Ctor(Symbol('x'), id.trustDomain, '/../x')).toThrow(TrustError);
  });
});
