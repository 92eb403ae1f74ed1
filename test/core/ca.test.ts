import { describe, expect, it } from 'vitest';
import { TestCA, ExtKeyUsage, KeyUsage, seconds } from '../support/ca.js';
import { generateKeyPair, issueCertificate } from '../../shared/ca/index.js';
import { parseCertificate } from '../../shared/x509/parse.js';
import type { KeyAlgorithm } from '../../shared/ca/index.js';

describe('test CA', () => {
  it('issues an SVID chain: leaf first, root excluded, names and key ids linked', async () => {
    const ca = await TestCA.create({ trustDomain: 'example.org' });
    const inter = await ca.childCA();
    const svid = await inter.issueSVID('spiffe://example.org/workload');
    expect(svid.der).toHaveLength(2);
    const [leaf, mid] = svid.certificates;
    expect(leaf!.subjectAltName.uri).toEqual(['spiffe://example.org/workload']);
    expect(leaf!.basicConstraints).toEqual({ ca: false });
    expect(leaf!.keyUsage! & KeyUsage.digitalSignature).toBeTruthy();
    expect(leaf!.extKeyUsage).toEqual([ExtKeyUsage.serverAuth, ExtKeyUsage.clientAuth]);
    expect(leaf!.issuer.key).toBe(mid!.subject.key);
    expect(leaf!.authorityKeyId).toEqual(mid!.subjectKeyId);
    expect(mid!.issuer.key).toBe(ca.certificate.subject.key);
    expect(mid!.authorityKeyId).toEqual(ca.certificate.subjectKeyId);
    expect(ca.certificate.basicConstraints).toEqual({ ca: true });
    expect(ca.certificate.keyUsage).toBe(KeyUsage.keyCertSign | KeyUsage.cRLSign);
    expect(svid.pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(svid.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(ca.rootPem).toContain('BEGIN CERTIFICATE');
  });

  it.each<[KeyAlgorithm, string]>([
    ['P-256', 'ECDSA'],
    ['P-384', 'ECDSA'],
    ['P-521', 'ECDSA'],
    ['RSA', 'RSA'],
    ['RSA-PSS', 'RSA'],
    ['Ed25519', 'Ed25519'],
  ])('creates a %s root', async (keyAlg, name) => {
    const ca = await TestCA.create({ keyAlg });
    expect(ca.certificate.publicKey.algorithm.name).toBe(name);
  });

  it('honours exact validity and odd options', async () => {
    const ca = await TestCA.create();
    const notBefore = seconds(Date.UTC(2030, 0, 1));
    const notAfter = seconds(Date.UTC(2030, 0, 2));
    const odd = await ca.issue({
      notBefore,
      notAfter,
      ca: null,
      keyUsage: null,
      uris: ['spiffe://example.org/a', 'spiffe://example.org/b'],
      dnsNames: ['a.example.org'],
      ips: ['10.0.0.1', '2001:db8::1'],
      emails: ['a@example.org'],
      extraExtensions: [{ oid: '1.3.6.1.4.1.99999.1', critical: true, value: new Uint8Array([5, 0]) }],
    });
    const c = odd.certificate;
    expect(c.notBefore).toEqual(notBefore);
    expect(c.notAfter).toEqual(notAfter);
    expect(c.basicConstraints).toBeUndefined();
    expect(c.keyUsage).toBeUndefined();
    expect(c.subjectAltName.uri).toHaveLength(2);
    expect(c.subjectAltName.ip.map((b) => b.length)).toEqual([4, 16]);
    expect(c.extensions.find((e) => e.oid === '1.3.6.1.4.1.99999.1')?.critical).toBe(true);
  });

  it('cross-signs: same subject and key, other issuer', async () => {
    const a = await TestCA.create();
    const b = await TestCA.create();
    const cross = await a.crossSign(b);
    expect(cross.certificate.subject.key).toBe(b.certificate.subject.key);
    expect(cross.certificate.issuer.key).toBe(a.certificate.subject.key);
    expect(cross.certificate.subjectKeyId).toEqual(b.certificate.subjectKeyId);
  });

  it('issueCertificate makes a self-signed certificate with name constraints', async () => {
    const keys = await generateKeyPair('P-256');
    const { der, pem } = await issueCertificate({
      subject: 'CN=Dev Root, O=Acme',
      publicKey: keys.publicKey,
      privateKey: keys.privateKey,
      notBefore: seconds(Date.now()),
      notAfter: seconds(Date.now() + 3600_000),
      ca: true,
      pathLen: 0,
      keyUsage: KeyUsage.keyCertSign,
      nameConstraints: { permitted: { uri: ['example.org'], ip: ['10.0.0.0/8'] }, excluded: { dns: ['.bad.example'] } },
    });
    const c = parseCertificate(der);
    expect(parseCertificate(pem)).toBe(c);
    expect(c.basicConstraints).toEqual({ ca: true, pathLen: 0 });
    expect(c.nameConstraints?.permitted?.uri).toEqual(['example.org']);
    expect([...c.nameConstraints!.permitted!.ip[0]!]).toEqual([10, 0, 0, 0, 255, 0, 0, 0]);
    expect(c.nameConstraints?.excluded?.dns).toEqual(['.bad.example']);
    expect(c.subject.text).toBe('O=Acme,CN=Dev Root');
  });
});
