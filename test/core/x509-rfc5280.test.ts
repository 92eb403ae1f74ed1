/**
 * The RFC 5280 profile and name-constraint rules of issue 8 (docs/x509.md, "Profile rules"): each
 * rule as a table of certificates that break it, with the exact code, next to a regression table of
 * valid chains that must keep verifying.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TestCA, ExtKeyUsage, KeyUsage, rebuild, testKeyPair, tlv, type CAOptions, type IssueOptions } from '../support/ca.js';
import { verifyChain } from '../../shared/x509/verify-chain.js';
import { importPublicKey } from '../../shared/x509/import-public-key.js';
import { MAX_NAME_COMPARISONS, constraintStats } from '../../shared/x509/lib/constraints.js';
import { rsaExponentProblem, RSA_MAX_EXPONENT } from '../../shared/lib/rsa.js';
import { checkJwkFor } from '../../shared/agentcard/lib/jwk.js';
import { ASYMMETRIC } from '../../shared/agentcard/lib/algorithms.js';
import { importVerifyKey } from '../../shared/bundle/jwk.js';
import { importBootstrapPublicKey } from '../../shared/session/keys.js';
import { b64urlDecode, b64urlEncode } from '../../shared/lib/encoding.js';
import { getCrypto } from '../../shared/crypto.js';
import type { ErrorCode } from '../../shared/errors.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const EMPTY_NAME = new Uint8Array([0x30, 0x00]);
const CA_KU = KeyUsage.keyCertSign | KeyUsage.cRLSign;

/** A non-critical basicConstraints cA TRUE (the test CA always marks its own critical). */
const BC_CA_NONCRITICAL = { oid: '2.5.29.19', critical: false, value: tlv(0x30, tlv(0x01, new Uint8Array([0xff]))) };
/** policyConstraints { requireExplicitPolicy [0] 0 } */
const policyConstraints = (critical: boolean) => ({ oid: '2.5.29.36', critical, value: tlv(0x30, tlv(0x80, new Uint8Array([0]))) });
const sanExt = (critical: boolean, ...names: Uint8Array[]) => ({ oid: '2.5.29.17', critical, value: tlv(0x30, ...names) });

type Verdict = ErrorCode | 'valid';

const SERIAL_ZERO = tlv(0x02, new Uint8Array([0]));
/** `der` with tbsCertificate field `i` replaced, re-signed by `signer` (ECDSA P-256). */
const withField = (der: Uint8Array, i: number, field: Uint8Array, signer: CryptoKey) =>
  rebuild(der, (f) => {
    f[i] = field;
    return f;
  }, signer);

async function outcome(leaf: Uint8Array, intermediates: Uint8Array[], roots: Uint8Array[]): Promise<Verdict> {
  try {
    await verifyChain({ leaf, intermediates, roots });
    return 'valid';
  } catch (err) {
    return (err as { code: ErrorCode }).code;
  }
}

let root: TestCA;
let inter: TestCA;
beforeAll(async () => {
  root = await TestCA.create();
  inter = await root.childCA();
});

/** root → inter → leaf(options) */
const leafWith = (o: IssueOptions) => async () => {
  const leaf = await inter.issue(o);
  return outcome(leaf.der, [inter.der], [root.der]);
};
/** root → child(options) → plain leaf */
const childWith = (o: CAOptions, leafOptions: IssueOptions = {}) => async () => {
  const child = await root.childCA(o);
  const leaf = await child.issue(leafOptions);
  return outcome(leaf.der, [child.der], [root.der]);
};
/** rootWith(options) → plain leaf: the trust anchor is exempt from the profile rules */
const rootWith = (o: CAOptions) => async () => {
  const r = await TestCA.create(o);
  const leaf = await r.issue();
  return outcome(leaf.der, [], [r.der]);
};

const EXT = 'ERR_X509_EXTENSION_INVALID';
const NAME = 'ERR_X509_NAME_INVALID';
const NC = 'ERR_X509_NAME_CONSTRAINTS';

describe('rule 1: key identifiers are never critical (RFC 5280 §4.2.1.1, §4.2.1.2)', () => {
  const criticalSki = (keyId: Uint8Array) => ({ oid: '2.5.29.14', critical: true, value: tlv(0x04, keyId) });
  const criticalAki = (keyId: Uint8Array) => ({ oid: '2.5.29.35', critical: true, value: tlv(0x30, tlv(0x80, keyId)) });
  it.each<[string, () => Promise<Verdict>, Verdict]>([
    ['critical AKI on the leaf', async () => leafWith({ authorityKeyId: false, extraExtensions: [criticalAki(inter.certificate.subjectKeyId!)] })(), EXT],
    ['critical SKI on the leaf', async () => leafWith({ subjectKeyId: false, extraExtensions: [criticalSki(new Uint8Array(20).fill(7))] })(), EXT],
    ['critical AKI on the intermediate', async () => childWith({ authorityKeyId: false, extraExtensions: [criticalAki(root.certificate.subjectKeyId!)] })(), EXT],
    ['critical SKI on the intermediate', async () => childWith({ subjectKeyId: false, extraExtensions: [criticalSki(new Uint8Array(20).fill(9))] })(), EXT],
    ['critical SKI on the trust anchor (exempt)', async () => rootWith({ subjectKeyId: false, extraExtensions: [criticalSki(new Uint8Array(20).fill(3))] })(), 'valid'],
  ])('%s', async (_n, run, expected) => {
    expect(await run()).toBe(expected);
  });
});

describe('rule 2: SKI on every CA certificate, AKI keyIdentifier on every certificate that is not self-issued', () => {
  // AKI with only authorityCertSerialNumber [2]: no keyIdentifier
  const akiWithoutKeyId = { oid: '2.5.29.35', critical: false, value: tlv(0x30, tlv(0x82, new Uint8Array([1]))) };
  it.each<[string, () => Promise<Verdict>, Verdict]>([
    ['intermediate without SKI', childWith({ subjectKeyId: false }), EXT],
    ['intermediate without AKI', childWith({ authorityKeyId: false }), EXT],
    ['leaf without AKI', leafWith({ authorityKeyId: false }), EXT],
    ['leaf with an AKI that has no keyIdentifier', leafWith({ authorityKeyId: false, extraExtensions: [akiWithoutKeyId] }), EXT],
    ['leaf without SKI (not required of end entities)', leafWith({ subjectKeyId: false }), 'valid'],
    ['trust anchor without SKI (exempt: web PKI roots lack it)', rootWith({ subjectKeyId: false }), 'valid'],
    ['trust anchor without AKI (self-issued)', rootWith({}), 'valid'],
    [
      'self-issued intermediate (key rollover) without AKI',
      async () => {
        const rollover = await inter.childCA({ subject: inter.certificate.subject.der, authorityKeyId: false });
        const leaf = await rollover.issue();
        return outcome(leaf.der, [rollover.der, inter.der], [root.der]);
      },
      'valid',
    ],
  ])('%s', async (_n, run, expected) => {
    expect(await run()).toBe(expected);
  });
});

describe('rule 3: criticality of basicConstraints, policyConstraints and nameConstraints; nameConstraints only in CAs', () => {
  it.each<[string, () => Promise<Verdict>, Verdict]>([
    ['intermediate with non-critical basicConstraints', childWith({ ca: null, extraExtensions: [BC_CA_NONCRITICAL] }), EXT],
    ['trust anchor with non-critical basicConstraints (exempt)', rootWith({ ca: null, extraExtensions: [BC_CA_NONCRITICAL] }), 'valid'],
    ['intermediate with non-critical policyConstraints', childWith({ extraExtensions: [policyConstraints(false)] }), EXT],
    ['intermediate with critical policyConstraints (policies are not processed)', childWith({ extraExtensions: [policyConstraints(true)] }), 'ERR_X509_CRITICAL_EXTENSION'],
    ['leaf with non-critical policyConstraints', leafWith({ extraExtensions: [policyConstraints(false)] }), EXT],
    ['intermediate with non-critical nameConstraints', childWith({ nameConstraints: { permitted: { dns: ['example.com'] }, critical: false } }), EXT],
    ['leaf (cA false) with nameConstraints', leafWith({ nameConstraints: { permitted: { dns: ['example.com'] } } }), EXT],
    ['leaf without basicConstraints with nameConstraints', leafWith({ ca: null, nameConstraints: { permitted: { dns: ['example.com'] } } }), EXT],
  ])('%s', async (_n, run, expected) => {
    expect(await run()).toBe(expected);
  });
});

describe('rule 4: names and serial numbers', () => {
  it.each<[string, () => Promise<Verdict>, Verdict]>([
    ['intermediate with an empty subject', childWith({ subject: EMPTY_NAME }), NAME],
    ['leaf with an empty subject and a critical SAN', leafWith({ subject: EMPTY_NAME, dnsNames: ['a.example.com'] }), 'valid'],
    ['leaf with an empty subject and a non-critical SAN', leafWith({ subject: EMPTY_NAME, extraExtensions: [sanExt(false, tlv(0x82, ascii('a.example.com')))] }), NAME],
    ['leaf with an empty subject and no SAN', leafWith({ subject: EMPTY_NAME }), NAME],
    ['leaf with serial number zero', async () => {
      const leaf = await inter.issue();
      return outcome(await withField(leaf.der, 1, SERIAL_ZERO, inter.keys.privateKey), [inter.der], [root.der]);
    }, 'ERR_X509_MALFORMED'],
    ['intermediate with serial number zero', async () => {
      const child = await root.childCA();
      const leaf = await child.issue();
      return outcome(leaf.der, [await withField(child.der, 1, SERIAL_ZERO, root.keys.privateKey)], [root.der]);
    }, 'ERR_X509_MALFORMED'],
    ['trust anchor with serial number zero (exempt: several web PKI roots)', async () => {
      const r = await TestCA.create();
      const leaf = await r.issue();
      return outcome(leaf.der, [], [await withField(r.der, 1, SERIAL_ZERO, r.keys.privateKey)]);
    }, 'valid'],
    ['leaf with serial number one', leafWith({ serialNumber: '01' }), 'valid'],
  ])('%s', async (_n, run, expected) => {
    expect(await run()).toBe(expected);
  });
});

describe('rule 5: keyCertSign only with cA, on every certificate of the path', () => {
  it.each<[string, () => Promise<Verdict>, Verdict]>([
    ['leaf with keyCertSign and cA false', leafWith({ keyUsage: KeyUsage.digitalSignature | KeyUsage.keyCertSign }), 'ERR_X509_KEY_USAGE_INVALID'],
    ['leaf with keyCertSign and no basicConstraints', leafWith({ ca: null, keyUsage: KeyUsage.keyCertSign }), 'ERR_X509_KEY_USAGE_INVALID'],
    ['leaf with cRLSign only (not a CA key usage rule)', leafWith({ keyUsage: KeyUsage.digitalSignature | KeyUsage.cRLSign }), 'valid'],
    ['CA certificate as the leaf, keyCertSign with cA', leafWith({ ca: true, keyUsage: CA_KU }), 'valid'],
  ])('%s', async (_n, run, expected) => {
    expect(await run()).toBe(expected);
  });
});

describe('rule 6: subjectAltName entries are well-formed for their form, constrained or not', () => {
  const dns = (d: string): [string, () => Promise<Verdict>] => [`dNSName ${JSON.stringify(d)}`, leafWith({ extraExtensions: [sanExt(false, tlv(0x82, ascii(d)))] })];
  const email = (e: string): [string, () => Promise<Verdict>] => [`rfc822Name ${JSON.stringify(e)}`, leafWith({ extraExtensions: [sanExt(false, tlv(0x81, ascii(e)))] })];
  const uri = (u: string): [string, () => Promise<Verdict>] => [`URI ${JSON.stringify(u)}`, leafWith({ extraExtensions: [sanExt(false, tlv(0x86, ascii(u)))] })];
  const cases: Array<[[string, () => Promise<Verdict>], Verdict]> = [
    [dns('example.com'), 'valid'],
    [dns('A-1.Example.COM'), 'valid'],
    [dns('*.example.com'), 'valid'],
    [dns('_acme-challenge.example.com'), 'valid'], // underscores tolerated (docs/x509.md)
    [dns('xn--bcher-kva.example'), 'valid'],
    [dns(''), NAME],
    [dns(' '), NAME],
    [dns('a..example.com'), NAME],
    [dns('.example.com'), NAME],
    [dns('example.com.'), NAME],
    [dns('*'), NAME],
    [dns('*.*.example.com'), NAME],
    [dns('a.*.example.com'), NAME],
    [dns('f*o.example.com'), NAME],
    [dns('-a.example.com'), NAME],
    [dns('a-.example.com'), NAME],
    [dns('exa mple.com'), NAME],
    [dns(`${'a'.repeat(64)}.example.com`), NAME],
    [dns(`${'a.'.repeat(127)}ab`), NAME], // 256 octets
    [dns('10.0.0.1:443'), NAME],
    [email('alice@example.com'), 'valid'],
    [email('alice+tag@mail.example.com'), 'valid'],
    [email('alice'), NAME],
    [email('@example.com'), NAME],
    [email('alice@'), NAME],
    [email('a@b@example.com'), NAME],
    [email('"a@b"@example.com'), NAME],
    [email('alice@exa..mple.com'), NAME],
    [email('al ice@example.com'), NAME],
    [uri('spiffe://example.org/workload'), 'valid'],
    [uri('https://user@EXAMPLE.org:8443/p?q=1#f'), 'valid'],
    [uri('https://10.0.0.1/'), 'valid'],
    [uri('https://[2001:db8::1]:8443/'), 'valid'],
    [uri('urn:example:x'), 'valid'],
    [uri('mailto:alice@example.com'), 'valid'],
    [uri('example.org/workload'), NAME],
    [uri('/relative/path'), NAME],
    [uri('urn:'), NAME],
    [uri('https://'), NAME],
    [uri('https:///path'), NAME],
    [uri('spiffe://'), NAME],
    [uri('https://exa mple.org/'), NAME],
    [uri('https://bad..host/'), NAME],
    [uri('https://[zz]/'), NAME],
    [uri('https://example.org/%zz'), NAME],
  ];
  it.each(cases.map(([[n, run], v]) => [n, run, v] as const))('%s → %s', async (_n, run, expected) => {
    expect(await run()).toBe(expected);
  });

  it('refuses a malformed SAN on an intermediate too', async () => {
    expect(await childWith({ extraExtensions: [sanExt(false, tlv(0x82, ascii('a..b')))] })()).toBe(NAME);
  });
  it('refuses an iPAddress SAN that is not 4 or 16 octets at parse time', async () => {
    const leaf = await inter.issue();
    const extensions = tlv(0xa3, tlv(0x30, tlv(0x30, tlv(0x06, new Uint8Array([0x55, 0x1d, 0x23])), tlv(0x04, tlv(0x30, tlv(0x80, inter.certificate.subjectKeyId!)))), tlv(0x30, tlv(0x06, new Uint8Array([0x55, 0x1d, 0x11])), tlv(0x04, tlv(0x30, tlv(0x87, new Uint8Array(5)))))));
    expect(await outcome(await withField(leaf.der, 7, extensions, inter.keys.privateKey), [inter.der], [root.der])).toBe('ERR_X509_MALFORMED');
  });
});

describe('rule 7: name constraints are well-formed; wildcard SANs are checked as the set of names they stand for', () => {
  /** root → constrained intermediate → leaf */
  const constrained = (nameConstraints: CAOptions['nameConstraints'], leaf: IssueOptions) => childWith({ nameConstraints }, leaf);
  const rawNC = (...subtrees: Uint8Array[]) => ({ oid: '2.5.29.30', critical: true, value: tlv(0x30, tlv(0xa0, ...subtrees.map((s) => tlv(0x30, s)))) });
  it.each<[string, () => Promise<Verdict>, Verdict]>([
    // malformed constraints make the certificate that carries them invalid, whatever the leaf holds
    ['dNSName constraint with a leading period', constrained({ permitted: { dns: ['.example.com'] } }, { dnsNames: ['a.example.com'] }), NC],
    ['dNSName constraint with a leading period, leaf without DNS names', constrained({ permitted: { dns: ['.example.com'] } }, {}), NC],
    ['dNSName constraint that is a wildcard', constrained({ excluded: { dns: ['*.example.com'] } }, { dnsNames: ['a.example.net'] }), NC],
    ['dNSName constraint with an empty label', constrained({ excluded: { dns: ['a..example.com'] } }, {}), NC],
    ['empty dNSName constraint (every name)', constrained({ permitted: { dns: [''] } }, { dnsNames: ['a.example.com'] }), 'valid'],
    ['URI constraint that is a URI, not a host', constrained({ permitted: { uri: ['spiffe://example.org'] } }, { uris: ['spiffe://example.org/w'] }), NC],
    ['URI constraint .domain', constrained({ permitted: { uri: ['.example.org'] } }, { uris: ['spiffe://a.example.org/w'] }), 'valid'],
    ['rfc822Name constraint with two @', constrained({ permitted: { email: ['a@b@example.com'] } }, {}), NC],
    ['rfc822Name constraint .domain', constrained({ permitted: { email: ['.example.com'] } }, { emails: ['a@mail.example.com'] }), 'valid'],
    ['iPAddress constraint with a mask that is not a prefix', childWith({ extraExtensions: [rawNC(tlv(0x87, new Uint8Array([10, 0, 0, 0, 255, 0, 255, 0])))] }), NC],
    ['iPAddress constraint with a prefix mask', childWith({ extraExtensions: [rawNC(tlv(0x87, new Uint8Array([10, 0, 0, 0, 255, 0, 0, 0])))] }, { ips: ['10.1.2.3'] }), 'valid'],
    // a malformed mailbox never passes: the subject's emailAddress is not a SAN, so rule 6 does not see it
    ['malformed emailAddress in the subject under an email constraint', constrained({ permitted: { email: ['example.com'] } }, { subject: 'CN=x, E=alice' }), NC],
    ['malformed emailAddress in the subject under an excluded email constraint', constrained({ excluded: { email: ['evil.com'] } }, { subject: 'CN=x, E=alice' }), NC],
    // wildcards (CVE-2025-61727): excluded if any covered name is excluded, permitted only if all are
    ['wildcard SAN covering an excluded host', constrained({ excluded: { dns: ['bad.example.com'] } }, { dnsNames: ['*.example.com'] }), NC],
    ['wildcard SAN covering an excluded host, case-insensitive', constrained({ excluded: { dns: ['BAD.example.com'] } }, { dnsNames: ['*.EXAMPLE.com'] }), NC],
    ['wildcard SAN inside an excluded domain', constrained({ excluded: { dns: ['example.com'] } }, { dnsNames: ['*.example.com'] }), NC],
    ['wildcard SAN under an excluded TLD', constrained({ excluded: { dns: ['com'] } }, { dnsNames: ['*.example.com'] }), NC],
    ['wildcard SAN and an excluded subtree two labels down', constrained({ excluded: { dns: ['a.bad.example.com'] } }, { dnsNames: ['*.example.com'] }), 'valid'],
    ['wildcard SAN and an excluded sibling domain', constrained({ excluded: { dns: ['bad.example.net'] } }, { dnsNames: ['*.example.com'] }), 'valid'],
    ['wildcard SAN and an excluded suffix that is not a label', constrained({ excluded: { dns: ['xexample.com'] } }, { dnsNames: ['*.example.com'] }), 'valid'],
    ['wildcard SAN covered by a permitted domain', constrained({ permitted: { dns: ['example.com'] } }, { dnsNames: ['*.example.com'] }), 'valid'],
    ['wildcard SAN covered by a permitted parent', constrained({ permitted: { dns: ['example.com'] } }, { dnsNames: ['*.a.example.com'] }), 'valid'],
    ['wildcard SAN only partly permitted', constrained({ permitted: { dns: ['a.example.com'] } }, { dnsNames: ['*.example.com'] }), NC],
    ['wildcard SAN only partly permitted by several hosts', constrained({ permitted: { dns: ['a.example.com', 'b.example.com'] } }, { dnsNames: ['*.example.com'] }), NC],
    ['wildcard SAN and an excluded host one label below a deeper base', constrained({ excluded: { dns: ['x.example.com'] } }, { dnsNames: ['*.a.example.com'] }), 'valid'],
  ])('%s', async (_n, run, expected) => {
    expect(await run()).toBe(expected);
  });
});

describe('rule 8: name-constraint work is bounded per call', () => {
  it(`fails a chain of thousands of constraints and thousands of SANs with ERR_X509_CONSTRAINTS_TOO_COMPLEX before comparing any name`, async () => {
    const excluded = Array.from({ length: 2500 }, (_, i) => `c${i}.ex`);
    const sans = Array.from({ length: 2500 }, (_, i) => `h${i}.ex`);
    const bomb = await root.childCA({ nameConstraints: { excluded: { dns: excluded } } });
    const leaf = await bomb.issue({ dnsNames: sans });
    expect(bomb.der.length).toBeLessThan(64 * 1024);
    const before = constraintStats.comparisons;
    expect(await outcome(leaf.der, [bomb.der], [root.der])).toBe('ERR_X509_CONSTRAINTS_TOO_COMPLEX');
    // 2500 × 2500 would be 6,250,000 comparisons: none is made
    expect(constraintStats.comparisons - before).toBe(0);
  });

  it('counts names × constraints, and allows a path up to the budget', async () => {
    expect(MAX_NAME_COMPARISONS).toBe(65536);
    // 256 × 256 = 65536: exactly the budget
    const excluded = Array.from({ length: 256 }, (_, i) => `c${i}.ex`);
    const sans = Array.from({ length: 256 }, (_, i) => `h${i}.ex`);
    const ca = await root.childCA({ nameConstraints: { excluded: { dns: excluded } } });
    const leaf = await ca.issue({ dnsNames: sans });
    const before = constraintStats.comparisons;
    expect(await outcome(leaf.der, [ca.der], [root.der])).toBe('valid');
    expect(constraintStats.comparisons - before).toBe(65536);
    // one more SAN is over it
    const over = await ca.issue({ dnsNames: [...sans, 'one-more.ex'] });
    expect(await outcome(over.der, [ca.der], [root.der])).toBe('ERR_X509_CONSTRAINTS_TOO_COMPLEX');
  });

  it('sums the work of every constraining CA on the path', async () => {
    const permitted = Array.from({ length: 128 }, (_, i) => `p${i}.ex`);
    const r = await TestCA.create({ nameConstraints: { permitted: { dns: [...permitted, 'ex'] } } });
    const i1 = await r.childCA({ nameConstraints: { permitted: { dns: [...permitted, 'ex'] } } });
    const sans = Array.from({ length: 255 }, (_, i) => `h${i}.ex`);
    // each CA alone: 255 × 129 = 32,895 comparisons at most; both: 65,790 > 65,536
    const leaf = await i1.issue({ dnsNames: sans });
    expect(await outcome(leaf.der, [i1.der], [r.der])).toBe('ERR_X509_CONSTRAINTS_TOO_COMPLEX');
    const fewer = await i1.issue({ dnsNames: sans.slice(0, 200) });
    expect(await outcome(fewer.der, [i1.der], [r.der])).toBe('valid');
  });
});

describe('rule 9: RSA public exponents (odd, 3 ≤ e ≤ 2^32 − 1)', () => {
  const big = (bytes: number) => {
    const e = new Uint8Array(bytes).fill(0xff);
    return e;
  };
  it.each<[string, Uint8Array, boolean]>([
    ['1', new Uint8Array([1]), false],
    ['2', new Uint8Array([2]), false],
    ['0', new Uint8Array([0]), false],
    ['empty', new Uint8Array([]), false],
    ['3', new Uint8Array([3]), true],
    ['65537', new Uint8Array([1, 0, 1]), true],
    ['65536 (even)', new Uint8Array([1, 0, 0]), false],
    ['2^32 − 1', new Uint8Array([0xff, 0xff, 0xff, 0xff]), true],
    ['2^32 − 1 with a DER sign octet', new Uint8Array([0, 0xff, 0xff, 0xff, 0xff]), true],
    ['2^32 + 1', new Uint8Array([1, 0, 0, 0, 1]), false],
    ['a 3072-bit exponent', big(384), false],
  ])('exponent %s → usable %s', (_n, e, ok) => {
    expect(rsaExponentProblem(e) === undefined).toBe(ok);
  });
  it('bounds', () => expect(RSA_MAX_EXPONENT).toBe(2 ** 32 - 1));

  /** An RSA SPKI with the modulus of a real 2048-bit key and exponent `e`. */
  async function rsaSpki(e: Uint8Array): Promise<{ spki: Uint8Array; n: string }> {
    const keys = await testKeyPair('RSA');
    const jwk = (await getCrypto().subtle.exportKey('jwk', keys.publicKey)) as JsonWebKey;
    const n = b64urlDecode(jwk.n!);
    const int = (v: Uint8Array) => tlv(0x02, ...(v[0]! & 0x80 ? [new Uint8Array([0]), v] : [v]));
    const rsaPublicKey = tlv(0x30, int(n), int(e));
    const alg = tlv(0x30, tlv(0x06, new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01])), tlv(0x05));
    return { spki: tlv(0x30, alg, tlv(0x03, new Uint8Array([0]), rsaPublicKey)), n: jwk.n! };
  }
  const withSpki = (der: Uint8Array, spki: Uint8Array, signer: CryptoKey) =>
    rebuild(der, (f) => {
      f[6] = spki;
      return f;
    }, signer);

  it.each<[string, Uint8Array, Verdict]>([
    ['e = 1', new Uint8Array([1]), 'ERR_X509_KEY_UNSUPPORTED'],
    ['e = 2', new Uint8Array([2]), 'ERR_X509_KEY_UNSUPPORTED'],
    ['e = 65536', new Uint8Array([1, 0, 0]), 'ERR_X509_KEY_UNSUPPORTED'],
    ['e = 2^32 + 1', new Uint8Array([1, 0, 0, 0, 1]), 'ERR_X509_KEY_UNSUPPORTED'],
    ['a 3072-bit exponent', big(384), 'ERR_X509_KEY_UNSUPPORTED'],
    ['e = 3', new Uint8Array([3]), 'valid'],
    ['e = 65537', new Uint8Array([1, 0, 1]), 'valid'],
  ])('importPublicKey of a certificate with %s', async (_n, e, expected) => {
    const leaf = await inter.issue();
    const der = await withSpki(leaf.der, (await rsaSpki(e)).spki, inter.keys.privateKey);
    const result = await importPublicKey(der, 'RS256').then(
      () => 'valid' as const,
      (err: { code: ErrorCode }) => err.code,
    );
    expect(result).toBe(expected);
  });

  it('an intermediate whose RSA exponent is out of bounds cannot sign a path', async () => {
    const rsaInter = await root.childCA({ keyAlg: 'RSA' });
    const leaf = await rsaInter.issue();
    const bad = await withSpki(rsaInter.der, (await rsaSpki(big(384))).spki, root.keys.privateKey);
    expect(await outcome(leaf.der, [bad], [root.der])).toBe('ERR_X509_KEY_UNSUPPORTED');
  });

  it.each<[string, string, boolean]>([
    ['AQ (1)', 'AQ', false],
    ['Ag (2)', 'Ag', false],
    ['AQAB (65537)', 'AQAB', true],
    ['a 3072-bit exponent', b64urlEncode(big(384)), false],
  ])('JWKs with e = %s: AgentCard keys, bundle keys and bootstrap keys', async (_n, e, ok) => {
    const { n } = await rsaSpki(new Uint8Array([1, 0, 1]));
    const jwk = { kty: 'RSA', n, e };
    const code = (f: () => unknown) =>
      Promise.resolve()
        .then(f)
        .then(
          () => 'valid',
          (err: { code: ErrorCode }) => err.code,
        );
    const expected = ok ? 'valid' : 'ERR_KEY_UNSUPPORTED';
    expect(await code(() => checkJwkFor(jwk, 'RS256', ASYMMETRIC.RS256))).toBe(expected);
    expect(await code(() => importVerifyKey({ kty: 'RSA', n, e }, 'RS256'))).toBe(expected);
    expect(await code(() => importBootstrapPublicKey(jwk))).toBe(expected);
  });
});

describe('regression: valid chains keep verifying', () => {
  const chain = async (leaf: Uint8Array, intermediates: Uint8Array[], roots: Uint8Array[]) => outcome(leaf, intermediates, roots);
  it.each<[string, () => Promise<Verdict>]>([
    ['P-384 root → intermediate → SVID', async () => {
      const r = await TestCA.create({ keyAlg: 'P-384' });
      const i = await r.childCA();
      const s = await i.issueSVID('spiffe://example.org/w');
      return chain(s.der[0]!, s.der.slice(1) as Uint8Array[], [r.der]);
    }],
    ['RSA-PSS root → intermediate → SVID', async () => {
      const r = await TestCA.create({ keyAlg: 'RSA-PSS' });
      const i = await r.childCA();
      const s = await i.issueSVID('spiffe://example.org/w');
      return chain(s.der[0]!, s.der.slice(1) as Uint8Array[], [r.der]);
    }],
    ['Ed25519 root → intermediate → SVID', async () => {
      const r = await TestCA.create({ keyAlg: 'Ed25519' });
      const i = await r.childCA();
      const s = await i.issueSVID('spiffe://example.org/w');
      return chain(s.der[0]!, s.der.slice(1) as Uint8Array[], [r.der]);
    }],
    ['cross-signed intermediate to another root', async () => {
      const a = await TestCA.create();
      const b = await TestCA.create();
      const x = await a.childCA();
      const cross = await b.crossSign(x);
      const leaf = await x.issue();
      return chain(leaf.der, [cross.der], [b.der]);
    }],
    ['pathLen 1 root with one intermediate and a self-issued rollover', async () => {
      const r = await TestCA.create({ pathLen: 1 });
      const i = await r.childCA({ pathLen: 0 });
      const rollover = await i.childCA({ subject: i.certificate.subject.der });
      const leaf = await rollover.issue();
      return chain(leaf.der, [rollover.der, i.der], [r.der]);
    }],
    ['name-constrained SPIFFE trust domain (URI host) with an SVID', async () => {
      const r = await TestCA.create({ nameConstraints: { permitted: { uri: ['example.org'] } } });
      const i = await r.childCA({ uris: ['spiffe://example.org'] });
      const s = await i.issueSVID('spiffe://example.org/ns/default/sa/w');
      return chain(s.der[0]!, s.der.slice(1) as Uint8Array[], [r.der]);
    }],
    ['name-constrained intermediate for two trust domains', async () => {
      const i = await root.childCA({ nameConstraints: { permitted: { uri: ['a.example', 'b.example'] }, excluded: { uri: ['c.example'] } } });
      const s = await i.issueSVID('spiffe://b.example/w');
      return chain(s.der[0]!, [i.der], [root.der]);
    }],
    ['SPIRE-style: O=SPIRE subject, URI SAN, leaf SKI and AKI, serverAuth+clientAuth', async () => {
      const r = await TestCA.create({ subject: 'C=US, O=SPIFFE', uris: ['spiffe://example.org'] });
      const i = await r.childCA({ subject: 'C=US, O=SPIRE', uris: ['spiffe://example.org'] });
      const s = await i.issueSVID('spiffe://example.org/w', { subject: 'C=US, O=SPIRE, CN=w', extKeyUsage: [ExtKeyUsage.serverAuth, ExtKeyUsage.clientAuth] });
      return chain(s.der[0]!, [i.der], [r.der]);
    }],
    ['web-PKI-style root like Go Daddy Class 2 (serial 0, non-critical basicConstraints, no keyUsage, no SKI)', async () => {
      const r = await TestCA.create({ serialNumber: '00', ca: null, keyUsage: null, subjectKeyId: false, extraExtensions: [BC_CA_NONCRITICAL] });
      const i = await r.childCA();
      const leaf = await i.issue({ dnsNames: ['www.example.com', '*.example.com'], extKeyUsage: [ExtKeyUsage.serverAuth] });
      return chain(leaf.der, [i.der], [r.der]);
    }],
    ['technically constrained web PKI intermediate with a wildcard leaf', async () => {
      const i = await root.childCA({ nameConstraints: { permitted: { dns: ['example.com'] }, excluded: { dns: ['internal.example.net'] } } });
      const leaf = await i.issue({ dnsNames: ['*.example.com', 'example.com'] });
      return chain(leaf.der, [i.der], [root.der]);
    }],
  ])('%s', async (_n, run) => {
    expect(await run()).toBe('valid');
  });
});
