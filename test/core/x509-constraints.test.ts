import { beforeAll, describe, expect, it } from 'vitest';
import { TestCA, tlv, type IssueOptions, type CAOptions } from '../support/ca.js';
import { verifyChain } from '../../shared/x509/verify-chain.js';
import { matchDns, matchEmail, matchIp, uriHost } from '../../shared/x509/lib/constraints.js';
import type { ErrorCode } from '../../shared/errors.js';

let root: TestCA;
beforeAll(async () => {
  root = await TestCA.create({ trustDomain: 'example.org' });
});

/** root → constrained intermediate → leaf: the verdict on the leaf. */
async function verdict(nameConstraints: CAOptions['nameConstraints'], leaf: IssueOptions): Promise<ErrorCode | 'valid'> {
  const inter = await root.childCA({ nameConstraints });
  const cert = await inter.issue(leaf);
  try {
    await verifyChain({ leaf: cert.der, intermediates: [inter.der], roots: [root.der] });
    return 'valid';
  } catch (err) {
    return (err as { code: ErrorCode }).code;
  }
}

const NC = 'ERR_X509_NAME_CONSTRAINTS';

describe('name constraints on a path', () => {
  const cases: Array<[string, CAOptions['nameConstraints'], IssueOptions, ErrorCode | 'valid']> = [
    // spiffe:// URIs are constrained by their trust domain (the URI host)
    ['spiffe trust domain permitted', { permitted: { uri: ['example.org'] } }, { uris: ['spiffe://example.org/w'] }, 'valid'],
    ['spiffe trust domain not permitted', { permitted: { uri: ['example.org'] } }, { uris: ['spiffe://evil.org/w'] }, NC],
    ['spiffe host constraint is exact', { permitted: { uri: ['example.org'] } }, { uris: ['spiffe://sub.example.org/w'] }, NC],
    ['spiffe .domain permits subdomains', { permitted: { uri: ['.example.org'] } }, { uris: ['spiffe://sub.example.org/w'] }, 'valid'],
    ['spiffe .domain excludes the domain itself', { permitted: { uri: ['.example.org'] } }, { uris: ['spiffe://example.org/w'] }, NC],
    ['spiffe trust domain excluded', { excluded: { uri: ['evil.org'] } }, { uris: ['spiffe://evil.org/w'] }, NC],
    ['spiffe other trust domain not excluded', { excluded: { uri: ['evil.org'] } }, { uris: ['spiffe://example.org/w'] }, 'valid'],
    ['URI host is case-insensitive', { permitted: { uri: ['example.org'] } }, { uris: ['https://EXAMPLE.org:8443/x'] }, 'valid'],
    ['URI without a host cannot be checked', { permitted: { uri: ['example.org'] } }, { uris: ['urn:example:x'] }, NC],
    ['URI with an IP host cannot be checked', { excluded: { uri: ['evil.org'] } }, { uris: ['https://10.0.0.1/'] }, NC],
    ['leaf without URI under a URI constraint', { permitted: { uri: ['example.org'] } }, {}, 'valid'],
    // DNS
    ['DNS exact host', { permitted: { dns: ['example.com'] } }, { dnsNames: ['example.com'] }, 'valid'],
    ['DNS subdomain of a host constraint', { permitted: { dns: ['example.com'] } }, { dnsNames: ['a.b.example.com'] }, 'valid'],
    ['DNS suffix that is not a label boundary', { permitted: { dns: ['example.com'] } }, { dnsNames: ['badexample.com'] }, NC],
    ['DNS other domain', { permitted: { dns: ['example.com'] } }, { dnsNames: ['example.net'] }, NC],
    // a leading period is the URI/email form: in a dNSName constraint it is malformed (RFC 5280 §4.2.1.10)
    ['DNS leading dot constraint is malformed', { permitted: { dns: ['.example.com'] } }, { dnsNames: ['a.example.com'] }, NC],
    ['DNS leading dot constraint is malformed (excluded)', { excluded: { dns: ['.example.com'] } }, { dnsNames: ['a.example.net'] }, NC],
    ['DNS case-insensitive', { permitted: { dns: ['Example.COM'] } }, { dnsNames: ['a.EXAMPLE.com'] }, 'valid'],
    ['DNS excluded subtree inside a permitted one', { permitted: { dns: ['example.com'] }, excluded: { dns: ['bad.example.com'] } }, { dnsNames: ['x.bad.example.com'] }, NC],
    ['DNS excluded wins over permitted', { permitted: { dns: ['example.com'] }, excluded: { dns: ['example.com'] } }, { dnsNames: ['example.com'] }, NC],
    ['DNS one of several names outside', { permitted: { dns: ['example.com'] } }, { dnsNames: ['a.example.com', 'b.example.net'] }, NC],
    // malformed SAN entries are refused wherever they appear (rule 6), constrained or not
    ['DNS malformed name under a constraint', { permitted: { dns: ['example.com'] } }, { dnsNames: ['a..example.com'] }, 'ERR_X509_NAME_INVALID'],
    // IP
    ['IPv4 inside', { permitted: { ip: ['10.0.0.0/8'] } }, { ips: ['10.1.2.3'] }, 'valid'],
    ['IPv4 outside', { permitted: { ip: ['10.0.0.0/8'] } }, { ips: ['11.0.0.1'] }, NC],
    ['IPv4 excluded /16 inside a permitted /8', { permitted: { ip: ['10.0.0.0/8'] }, excluded: { ip: ['10.1.0.0/16'] } }, { ips: ['10.1.2.3'] }, NC],
    ['IPv6 inside', { permitted: { ip: ['fd00::/8'] } }, { ips: ['fd12:3456::1'] }, 'valid'],
    ['IPv6 outside', { permitted: { ip: ['fd00::/8'] } }, { ips: ['2001:db8::1'] }, NC],
    ['IPv4 name with only IPv6 permitted', { permitted: { ip: ['fd00::/8'] } }, { ips: ['10.0.0.1'] }, NC],
    ['IPv6 excluded', { excluded: { ip: ['2001:db8::/32'] } }, { ips: ['2001:db8::1'] }, NC],
    // email
    ['email host', { permitted: { email: ['example.com'] } }, { emails: ['alice@example.com'] }, 'valid'],
    ['email host does not cover subdomains', { permitted: { email: ['example.com'] } }, { emails: ['alice@mail.example.com'] }, NC],
    ['email .domain covers subdomains', { permitted: { email: ['.example.com'] } }, { emails: ['alice@mail.example.com'] }, 'valid'],
    ['email .domain not the domain itself', { permitted: { email: ['.example.com'] } }, { emails: ['alice@example.com'] }, NC],
    ['email exact mailbox', { permitted: { email: ['admin@example.com'] } }, { emails: ['admin@EXAMPLE.com'] }, 'valid'],
    ['email other mailbox', { permitted: { email: ['admin@example.com'] } }, { emails: ['alice@example.com'] }, NC],
    ['email excluded', { excluded: { email: ['evil.com'] } }, { emails: ['x@evil.com'] }, NC],
    ['email in the subject DN is checked too', { permitted: { email: ['example.com'] } }, { subject: 'CN=x, E=alice@evil.com' }, NC],
    // directory names
    ['DN prefix permitted', { permitted: { dirName: ['O=cardtrust test'] } }, { subject: 'O=cardtrust test, CN=leaf' }, 'valid'],
    ['DN outside', { permitted: { dirName: ['O=Acme'] } }, { subject: 'O=Other, CN=leaf' }, NC],
    ['DN excluded subtree', { excluded: { dirName: ['O=cardtrust test, OU=bad'] } }, { subject: 'O=cardtrust test, OU=bad, CN=leaf' }, NC],
    ['DN sibling of an excluded subtree', { excluded: { dirName: ['O=cardtrust test, OU=bad'] } }, { subject: 'O=cardtrust test, OU=good, CN=leaf' }, 'valid'],
  ];
  it.each(cases)('%s', async (_n, nc, leaf, expected) => {
    expect(await verdict(nc, leaf)).toBe(expected);
  });

  it('applies a root constraint two levels down', async () => {
    const r = await TestCA.create({ nameConstraints: { permitted: { uri: ['example.org'] } } });
    const i = await r.childCA();
    const ok = await i.issueSVID('spiffe://example.org/a');
    const bad = await i.issueSVID('spiffe://other.org/a');
    await expect(verifyChain({ leaf: ok.der[0]!, intermediates: [i.der], roots: [r.der] })).resolves.toBeDefined();
    await expect(verifyChain({ leaf: bad.der[0]!, intermediates: [i.der], roots: [r.der] })).rejects.toMatchObject({ code: NC });
  });

  it('constrains intermediates below the constraining CA too', async () => {
    const r = await TestCA.create({ nameConstraints: { permitted: { dirName: ['O=Acme'] } } });
    const i = await r.childCA({ subject: 'O=Other, CN=intermediate' });
    const leaf = await i.issue({ subject: 'O=Acme, CN=leaf' });
    await expect(verifyChain({ leaf: leaf.der, intermediates: [i.der], roots: [r.der] })).rejects.toMatchObject({ code: NC });
  });

  // otherName [0] { type-id, [0] value }: a form this validator does not evaluate
  const otherNameNC = tlv(0x30, tlv(0xa0, tlv(0x30, tlv(0xa0, tlv(0x06, new Uint8Array([0x2a, 0x03, 0x04])), tlv(0xa0, tlv(0x0c, new Uint8Array([0x78])))))));
  // a non-critical nameConstraints extension breaks RFC 5280 §4.2.1.10 whatever it holds
  it.each<[boolean, ErrorCode | 'valid']>([
    [true, NC],
    [false, 'ERR_X509_EXTENSION_INVALID'],
  ])('unsupported name form, critical=%s', async (critical, expected) => {
    const i = await root.childCA({ extraExtensions: [{ oid: '2.5.29.30', critical, value: otherNameNC }] });
    const leaf = await i.issue();
    const result = await verifyChain({ leaf: leaf.der, intermediates: [i.der], roots: [root.der] }).then(
      () => 'valid',
      (e: { code: ErrorCode }) => e.code,
    );
    expect(result).toBe(expected);
  });
});

describe('matchers', () => {
  it.each<[string, string, boolean]>([
    ['example.com', '', true],
    ['a.example.com', 'example.com', true],
    ['example.com', '.example.com', false],
    ['xexample.com', 'example.com', false],
    ['*.example.com', 'example.com', true],
  ])('dns %s vs %j → %s', (name, c, m) => expect(matchDns(name, c)).toBe(m));

  it.each<[string, string, boolean]>([
    ['a@example.com', 'example.com', true],
    ['a@EXAMPLE.COM', 'example.com', true],
    ['A@example.com', 'a@example.com', false],
    ['"a@b"@example.com', 'example.com', true],
  ])('email %s vs %s → %s', (name, c, m) => expect(matchEmail(name, c)).toBe(m));

  it.each<[string, string | undefined]>([
    ['spiffe://example.org/w', 'example.org'],
    ['https://user@host.example:443/p', 'host.example'],
    ['spiffe://example.org', 'example.org'],
    ['urn:x:y', undefined],
    ['https://[::1]/', undefined],
    ['https://1.2.3.4/', undefined],
    ['https:///path', undefined],
  ])('uri host of %s', (uri, host) => expect(uriHost(uri)).toBe(host));

  it('ip families never match each other', () => {
    expect(matchIp(new Uint8Array([10, 0, 0, 1]), new Uint8Array(32))).toBe(false);
    expect(matchIp(new Uint8Array([10, 0, 0, 1]), new Uint8Array([10, 0, 0, 0, 255, 0, 0, 0]))).toBe(true);
  });
});
