import { beforeAll, describe, expect, it } from 'vitest';
import { TestCA, ExtKeyUsage, KeyUsage, rebuild, seconds, testKeyPair, tlv } from '../support/ca.js';
import { verifyChain } from '../../shared/x509/verify-chain.js';
import { parseCertificate } from '../../shared/x509/parse.js';
import { signatureStats } from '../../shared/x509/lib/signature.js';
import { encodePem } from '../../shared/x509/pem.js';
import { toHex } from '../../shared/lib/encoding.js';
import type { KeyAlgorithm } from '../../shared/ca/index.js';
import type { CertificateInput, CertificateUsage } from '../../shared/x509/types.js';
import type { ErrorCode } from '../../shared/errors.js';

const UNKNOWN_EXT = { oid: '1.3.6.1.4.1.99999.7', critical: true, value: new Uint8Array([0x05, 0x00]) };
const POLICIES_CRITICAL = { oid: '2.5.29.32', critical: true, value: tlv(0x30, tlv(0x30, tlv(0x06, new Uint8Array([0x55, 0x1d, 0x20, 0x00])))) };

const hexes = (chain: readonly { der: Uint8Array }[]) => chain.map((c) => toHex(c.der));

interface Case {
  leaf: CertificateInput;
  intermediates?: CertificateInput[];
  roots: CertificateInput[];
  at?: Date;
  usage?: CertificateUsage;
  maxDepth?: number;
}

async function outcome(c: Case): Promise<ErrorCode | 'valid'> {
  try {
    await verifyChain(c);
    return 'valid';
  } catch (err) {
    return (err as { code: ErrorCode }).code;
  }
}

describe('valid chains for every algorithm', () => {
  it.each<KeyAlgorithm>(['P-256', 'P-384', 'P-521', 'RSA', 'RSA-PSS', 'Ed25519'])('%s root → intermediate → leaf', async (keyAlg) => {
    const root = await TestCA.create({ keyAlg });
    const inter = await root.childCA();
    const svid = await inter.issueSVID('spiffe://example.org/a', { keyAlg });
    const { chain } = await verifyChain({ leaf: svid.der[0]!, intermediates: svid.der.slice(1), roots: [root.rootDer] });
    expect(hexes(chain)).toEqual(hexes([...svid.certificates, root.certificate]));
  });

  it('mixed algorithms: RSA root, Ed25519 intermediate, P-384 leaf', async () => {
    const root = await TestCA.create({ keyAlg: 'RSA' });
    const inter = await root.childCA({ keyAlg: 'Ed25519' });
    const svid = await inter.issueSVID('spiffe://example.org/a', { keyAlg: 'P-384' });
    expect(await outcome({ leaf: svid.der[0]!, intermediates: svid.der.slice(1), roots: [root.rootDer] })).toBe('valid');
  });

  it('RSA 1024 issuer is refused with ERR_X509_KEY_UNSUPPORTED', async () => {
    const root = await TestCA.create();
    const inter = await root.childCA({ keys: await testKeyPair('RSA', 1024), keyAlg: 'RSA' });
    const svid = await inter.issueSVID('spiffe://example.org/a', { keyAlg: 'P-256' });
    expect(await outcome({ leaf: svid.der[0]!, intermediates: svid.der.slice(1), roots: [root.rootDer] })).toBe('ERR_X509_KEY_UNSUPPORTED');
  });
});

describe('path validation rules', () => {
  let root: TestCA;
  let inter: TestCA;
  let other: TestCA;
  beforeAll(async () => {
    root = await TestCA.create();
    inter = await root.childCA();
    other = await TestCA.create();
  });

  type Build = () => Promise<Case>;
  const viaInter = (leafOpts: Parameters<TestCA['issue']>[0] = {}, extra: Partial<Case> = {}): Build => async () => {
    const leaf = await inter.issue(leafOpts);
    return { leaf: leaf.der, intermediates: [inter.der], roots: [root.der], ...extra };
  };
  const viaChild = (childOpts: Parameters<TestCA['childCA']>[0], leafOpts: Parameters<TestCA['issue']>[0] = {}, rootOpts?: Parameters<typeof TestCA.create>[0]): Build => async () => {
    const r = rootOpts ? await TestCA.create(rootOpts) : root;
    const child = await r.childCA(childOpts);
    const leaf = await child.issue(leafOpts);
    return { leaf: leaf.der, intermediates: [child.der], roots: [r.der] };
  };

  const cases: Array<[string, Build, ErrorCode | 'valid']> = [
    ['a plain chain', viaInter(), 'valid'],
    ['leaf directly under the root', async () => ({ leaf: (await root.issue()).der, roots: [root.der] }), 'valid'],
    ['unknown root', async () => ({ ...(await viaInter()()), roots: [other.der] }), 'ERR_X509_CHAIN_UNTRUSTED'],
    ['missing intermediate', async () => ({ ...(await viaInter()()), intermediates: [] }), 'ERR_X509_CHAIN_UNTRUSTED'],
    ['no roots at all', async () => ({ ...(await viaInter()()), roots: [] }), 'ERR_X509_CHAIN_UNTRUSTED'],
    ['leaf is itself a root', async () => ({ leaf: root.der, roots: [root.der] }), 'ERR_X509_CHAIN_UNTRUSTED'],
    ['intermediate not a CA (cA false)', viaChild({ ca: false }), 'ERR_X509_ISSUER_NOT_CA'],
    ['intermediate without basicConstraints', viaChild({ ca: null }), 'ERR_X509_ISSUER_NOT_CA'],
    ['root without basicConstraints', async () => {
      const r = await TestCA.create({ ca: null });
      return { leaf: (await r.issue()).der, roots: [r.der] };
    }, 'ERR_X509_ISSUER_NOT_CA'],
    ['intermediate without keyCertSign', viaChild({ keyUsage: KeyUsage.digitalSignature | KeyUsage.cRLSign }), 'ERR_X509_KEY_USAGE_INVALID'],
    ['intermediate without keyUsage at all', viaChild({ keyUsage: null }), 'valid'],
    ['root pathLen 0 with one intermediate', viaChild({}, {}, { pathLen: 0 }), 'ERR_X509_PATH_LEN_EXCEEDED'],
    ['root pathLen 1 with one intermediate', viaChild({}, {}, { pathLen: 1 }), 'valid'],
    ['intermediate pathLen 0 issuing a leaf', viaChild({ pathLen: 0 }), 'valid'],
    ['root pathLen 1 with two intermediates', async () => {
      const r = await TestCA.create({ pathLen: 1 });
      const i1 = await r.childCA();
      const i2 = await i1.childCA();
      return { leaf: (await i2.issue()).der, intermediates: [i2.der, i1.der], roots: [r.der] };
    }, 'ERR_X509_PATH_LEN_EXCEEDED'],
    ['intermediate pathLen 0 above another intermediate', async () => {
      const i1 = await root.childCA({ pathLen: 0 });
      const i2 = await i1.childCA();
      return { leaf: (await i2.issue()).der, intermediates: [i2.der, i1.der], roots: [root.der] };
    }, 'ERR_X509_PATH_LEN_EXCEEDED'],
    ['self-issued intermediate does not count against pathLen', async () => {
      const r = await TestCA.create({ pathLen: 1 });
      const i1 = await r.childCA();
      const rollover = await i1.childCA({ subject: i1.certificate.subject.der });
      expect(rollover.certificate.subject.key).toBe(rollover.certificate.issuer.key);
      return { leaf: (await rollover.issue()).der, intermediates: [rollover.der, i1.der], roots: [r.der] };
    }, 'valid'],
    ['unknown critical extension on the leaf', viaInter({ extraExtensions: [UNKNOWN_EXT] }), 'ERR_X509_CRITICAL_EXTENSION'],
    ['unknown non-critical extension on the leaf', viaInter({ extraExtensions: [{ ...UNKNOWN_EXT, critical: false }] }), 'valid'],
    ['critical certificatePolicies (not processed) on the leaf', viaInter({ extraExtensions: [POLICIES_CRITICAL] }), 'ERR_X509_CRITICAL_EXTENSION'],
    ['unknown critical extension on the intermediate', viaChild({ extraExtensions: [UNKNOWN_EXT] }), 'ERR_X509_CRITICAL_EXTENSION'],
    ['unknown critical extension on the root', async () => {
      const r = await TestCA.create({ extraExtensions: [UNKNOWN_EXT] });
      return { leaf: (await r.issue()).der, roots: [r.der] };
    }, 'ERR_X509_CRITICAL_EXTENSION'],
    ['EKU serverAuth leaf used for clientAuth', viaInter({ extKeyUsage: [ExtKeyUsage.serverAuth] }, { usage: 'clientAuth' }), 'ERR_X509_EKU_MISMATCH'],
    ['EKU clientAuth leaf used for serverAuth', viaInter({ extKeyUsage: [ExtKeyUsage.clientAuth] }, { usage: 'serverAuth' }), 'ERR_X509_EKU_MISMATCH'],
    ['EKU serverAuth leaf used for serverAuth', viaInter({ extKeyUsage: [ExtKeyUsage.serverAuth] }, { usage: 'serverAuth' }), 'valid'],
    ['EKU serverAuth leaf with usage any', viaInter({ extKeyUsage: [ExtKeyUsage.serverAuth] }, { usage: 'any' }), 'valid'],
    ['no EKU means any usage', viaInter({}, { usage: 'clientAuth' }), 'valid'],
    ['anyExtendedKeyUsage', viaInter({ extKeyUsage: [ExtKeyUsage.any] }, { usage: 'clientAuth' }), 'valid'],
    ['intermediate EKU restricts the leaf', viaChild({ extKeyUsage: [ExtKeyUsage.serverAuth] }, { extKeyUsage: [ExtKeyUsage.clientAuth] }), 'valid'],
    ['intermediate EKU restricts the leaf (clientAuth requested)', async () => ({
      ...(await viaChild({ extKeyUsage: [ExtKeyUsage.serverAuth] }, { extKeyUsage: [ExtKeyUsage.clientAuth] })()),
      usage: 'clientAuth',
    }), 'ERR_X509_EKU_MISMATCH'],
  ];

  it.each(cases)('%s', async (_name, build, expected) => {
    expect(await outcome(await build())).toBe(expected);
  });

  it('accepts PEM strings, a PEM bundle and parsed certificates, in any order', async () => {
    const i2 = await inter.childCA();
    const leaf = await i2.issue();
    const junk = await other.issue();
    const { chain } = await verifyChain({
      leaf: leaf.pem,
      intermediates: [junk.der, encodePem('CERTIFICATE', inter.der) + i2.pem, parseCertificate(other.der)],
      roots: [root.pem, other.der],
    });
    expect(hexes(chain)).toEqual(hexes([leaf, i2, inter, root]));
  });

  it('rejects a tampered leaf and an impostor issuer with ERR_X509_SIGNATURE_INVALID', async () => {
    const leaf = await inter.issue();
    const tampered = leaf.der.slice();
    // a byte inside the serial number: still well-formed, no longer what the issuer signed
    tampered[15]! ^= 0x01;
    expect(await outcome({ leaf: tampered, intermediates: [inter.der], roots: [root.der] })).toBe('ERR_X509_SIGNATURE_INVALID');

    // same name and key identifier as the real intermediate, different key
    const impostor = await TestCA.create({ subject: inter.certificate.subject.der, subjectKeyId: inter.certificate.subjectKeyId! });
    const forged = await impostor.issue();
    expect(await outcome({ leaf: forged.der, intermediates: [inter.der], roots: [root.der] })).toBe('ERR_X509_SIGNATURE_INVALID');
  });

  it('rejects an unsupported signature algorithm with ERR_X509_ALGORITHM_UNSUPPORTED', async () => {
    const sha1Rsa = tlv(0x30, tlv(0x06, new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05])), tlv(0x05));
    const leaf = await inter.issue();
    const der = await rebuild(leaf.der, (f) => { f[2] = sha1Rsa; return f; }, inter.keys.privateKey, { outerAlg: sha1Rsa });
    expect(await outcome({ leaf: der, intermediates: [inter.der], roots: [root.der] })).toBe('ERR_X509_ALGORITHM_UNSUPPORTED');
  });

  it('validates roots and intermediates for validity too', async () => {
    const at = new Date(Date.UTC(2031, 5, 1));
    const oldRoot = await TestCA.create({ notBefore: new Date(Date.UTC(2030, 0, 1)), notAfter: new Date(Date.UTC(2031, 0, 1)) });
    const leaf = await oldRoot.issue({ notBefore: new Date(Date.UTC(2031, 0, 1)), lifetime: 365 * 86400_000 });
    expect(await outcome({ leaf: leaf.der, roots: [oldRoot.der], at })).toBe('ERR_X509_EXPIRED');
    const oldInter = await root.childCA({ notBefore: new Date(Date.UTC(2032, 0, 1)) });
    const leaf2 = await oldInter.issue({ notBefore: new Date(Date.UTC(2031, 0, 1)), lifetime: 365 * 86400_000 });
    expect(await outcome({ leaf: leaf2.der, intermediates: [oldInter.der], roots: [root.der], at })).toBe('ERR_X509_NOT_YET_VALID');
  });
});

describe('validity boundaries (RFC 5280 §4.1.2.5: inclusive)', () => {
  const notBefore = seconds(Date.UTC(2030, 0, 1, 0, 0, 0));
  const notAfter = seconds(Date.UTC(2030, 0, 1, 1, 0, 0));
  let c: Omit<Case, 'at'>;
  beforeAll(async () => {
    const root = await TestCA.create({ notBefore: new Date(Date.UTC(2029, 0, 1)), notAfter: new Date(Date.UTC(2031, 0, 1)) });
    const leaf = await root.issueSVID('spiffe://example.org/a', { notBefore, notAfter });
    c = { leaf: leaf.der[0]!, roots: [root.der] };
  });
  it.each<[string, number, ErrorCode | 'valid']>([
    ['one second before notBefore', notBefore.getTime() - 1000, 'ERR_X509_NOT_YET_VALID'],
    ['one millisecond before notBefore', notBefore.getTime() - 1, 'ERR_X509_NOT_YET_VALID'],
    ['exactly notBefore', notBefore.getTime(), 'valid'],
    ['exactly notAfter', notAfter.getTime(), 'valid'],
    ['one millisecond after notAfter', notAfter.getTime() + 1, 'ERR_X509_EXPIRED'],
    ['one second after notAfter', notAfter.getTime() + 1000, 'ERR_X509_EXPIRED'],
  ])('%s', async (_n, at, expected) => {
    expect(await outcome({ ...c, at: new Date(at) })).toBe(expected);
  });
});

describe('path building', () => {
  it('backtracks past an expired cross-signed intermediate to a valid one', async () => {
    const trusted = await TestCA.create();
    const untrusted = await TestCA.create();
    const x = await untrusted.childCA();
    const leaf = await x.issue();
    const expired = await trusted.crossSign(x, { notBefore: new Date(Date.UTC(2020, 0, 1)), notAfter: new Date(Date.UTC(2021, 0, 1)) });
    const valid = await trusted.crossSign(x);
    const { chain } = await verifyChain({ leaf: leaf.der, intermediates: [x.der, expired.der, valid.der], roots: [trusted.der] });
    expect(hexes(chain)).toEqual(hexes([leaf, valid, trusted]));
    // with only the expired cross certificate, the path reached a root: that failure is reported
    expect(await outcome({ leaf: leaf.der, intermediates: [x.der, expired.der], roots: [trusted.der] })).toBe('ERR_X509_EXPIRED');
    // the untrusted hierarchy alone reaches no trusted root
    expect(await outcome({ leaf: leaf.der, intermediates: [x.der], roots: [trusted.der] })).toBe('ERR_X509_CHAIN_UNTRUSTED');
    // the other root works as well, through the original intermediate
    const viaUntrusted = await verifyChain({ leaf: leaf.der, intermediates: [expired.der, x.der], roots: [untrusted.der] });
    expect(hexes(viaUntrusted.chain)).toEqual(hexes([leaf, x, untrusted]));
  });

  it('terminates on issuer loops', async () => {
    const a = await TestCA.create();
    const b = await TestCA.create();
    const aByB = await b.crossSign(a);
    const bByA = await a.crossSign(b);
    const leaf = await a.issue();
    const stranger = await TestCA.create();
    expect(await outcome({ leaf: leaf.der, intermediates: [aByB.der, bByA.der, a.der, b.der], roots: [stranger.der] })).toBe('ERR_X509_CHAIN_UNTRUSTED');
    expect(await outcome({ leaf: leaf.der, intermediates: [aByB.der, bByA.der], roots: [b.der] })).toBe('valid');
  });

  it('fails fast on a pathological fan-out of intermediates', async () => {
    // 32 CA certificates with one name and one key: each verifies every other one
    const hub = await TestCA.create();
    const fan = [hub.der];
    for (let i = 0; i < 31; i++) {
      fan.push((await hub.issue({ subject: hub.certificate.subject.der, keys: hub.keys, ca: true, keyUsage: KeyUsage.keyCertSign })).der);
    }
    const leaf = await hub.issue();
    const stranger = await TestCA.create();
    const before = signatureStats.verifications;
    expect(await outcome({ leaf: leaf.der, intermediates: fan, roots: [stranger.der] })).toBe('ERR_X509_PATH_SEARCH_LIMIT');
    expect(signatureStats.verifications - before).toBeLessThanOrEqual(64);
    expect(await outcome({ leaf: leaf.der, intermediates: [...fan, stranger.der], roots: [stranger.der] })).toBe('ERR_X509_PATH_SEARCH_LIMIT');
  });

  it('refuses more intermediates than the limit', async () => {
    const root = await TestCA.create();
    const leaf = await root.issue();
    const junk = await Promise.all(Array.from({ length: 33 }, () => root.issue()));
    expect(await outcome({ leaf: leaf.der, intermediates: junk.map((j) => j.der), roots: [root.der] })).toBe('ERR_X509_PATH_SEARCH_LIMIT');
    expect(await outcome({ leaf: leaf.der, intermediates: junk.slice(0, 32).map((j) => j.der), roots: [root.der] })).toBe('valid');
  });

  it('enforces maxDepth with ERR_X509_CHAIN_TOO_LONG', async () => {
    const root = await TestCA.create();
    let ca = root;
    const chain: Uint8Array[] = [];
    for (let i = 0; i < 7; i++) {
      ca = await ca.childCA();
      chain.unshift(ca.der);
    }
    const leaf = await ca.issue();
    // leaf + 7 intermediates + root = 9 certificates
    expect(await outcome({ leaf: leaf.der, intermediates: chain, roots: [root.der] })).toBe('ERR_X509_CHAIN_TOO_LONG');
    expect(await outcome({ leaf: leaf.der, intermediates: chain, roots: [root.der], maxDepth: 9 })).toBe('valid');
  });

  it('remembers verified signatures: a second verification does no crypto', async () => {
    const root = await TestCA.create();
    const inter = await root.childCA();
    const leaf = await inter.issue();
    const input = { leaf: leaf.der, intermediates: [inter.der], roots: [root.der] };
    await verifyChain(input);
    const before = signatureStats.verifications;
    await verifyChain(input);
    expect(signatureStats.verifications).toBe(before);
  });

  it('rejects bad options', async () => {
    const root = await TestCA.create();
    const leaf = await root.issue();
    const base = { leaf: leaf.der, roots: [root.der] };
    expect(await outcome({ ...base, at: new Date(NaN) })).toBe('ERR_INPUT_INVALID');
    expect(await outcome({ ...base, maxDepth: 1 })).toBe('ERR_INPUT_INVALID');
    expect(await outcome({ ...base, usage: 'codeSigning' as CertificateUsage })).toBe('ERR_INPUT_INVALID');
  });

  it('a root with the same name but another key is not the issuer', async () => {
    const root = await TestCA.create();
    const leaf = await root.issue();
    // different key identifier: not a candidate at all
    const other = await TestCA.create({ subject: root.certificate.subject.der });
    expect(await outcome({ leaf: leaf.der, roots: [other.der] })).toBe('ERR_X509_CHAIN_UNTRUSTED');
    // no key identifiers to tell them apart: a candidate whose signature fails
    const bare = await TestCA.create({ subject: root.certificate.subject.der, subjectKeyId: false });
    expect(await outcome({ leaf: leaf.der, roots: [bare.der] })).toBe('ERR_X509_SIGNATURE_INVALID');
  });
});

describe('messages name certificates by subject and SPIFFE ID (or DNS name)', () => {
  it('an expired leaf, an untrusted path and an issuer that is not a CA', async () => {
    const root = await TestCA.create();
    const expired = await root.issueSVID('spiffe://example.org/expired', { notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) });
    await expect(verifyChain({ leaf: expired.der[0]!, roots: [root.rootDer] })).rejects.toMatchObject({ code: 'ERR_X509_EXPIRED', message: expect.stringContaining('(spiffe://example.org/expired)') });
    const other = await TestCA.create();
    const web = await other.issue({ dnsNames: ['api.example.com'] });
    await expect(verifyChain({ leaf: web.der, roots: [root.rootDer] })).rejects.toMatchObject({ code: 'ERR_X509_CHAIN_UNTRUSTED', message: expect.stringContaining('(api.example.com)') });
  });
});
