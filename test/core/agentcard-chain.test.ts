// The per-signature `chain` of an x5c signature: the presented certificates described for people,
// also when the chain does not verify (expired, untrusted), and absent for key-set signatures.
import { beforeAll, describe, expect, it } from 'vitest';
import { signAgentCard, verifyAgentCard } from '../../shared/agentcard/index.js';
import { parseCertificate } from '../../shared/x509/parse.js';
import { card, makePki, publicJwk, testKeyPair, type Pki } from './agentcard-fixtures.js';

const DAY = 86_400_000;
let pki: Pki;
beforeAll(async () => {
  pki = await makePki();
});

describe('report.signatures[].chain', () => {
  it.each([
    ['P-256', 'EC P-256'],
    ['P-384', 'EC P-384'],
    ['RSA', 'RSA 2048'],
    ['Ed25519', 'Ed25519'],
  ] as const)('a verified %s leaf: subject, SPIFFE ID, issuer, validity, key type %s, SHA-256', async (keyAlg, keyType) => {
    const svid = await pki.intermediate.issueSVID('spiffe://example.org/agent/c', { keyAlg });
    const report = await verifyAgentCard(await signAgentCard(card(), { privateKey: svid.privateKey, certificateChain: svid.pem }), { bundles: pki.bundles, trustDomain: 'example.org' });
    expect(report.verified).toBe(true);
    const leaf = parseCertificate(svid.der[0]!);
    expect(report.signatures[0]!.chain).toEqual([
      { subject: leaf.subject.text, spiffeId: 'spiffe://example.org/agent/c', issuer: leaf.issuer.text, notBefore: leaf.notBefore.toISOString(), notAfter: leaf.notAfter.toISOString(), keyType, sha256: await leaf.fingerprint() },
      expect.objectContaining({ subject: pki.intermediate.certificate.subject.text, keyType: 'EC P-256', sha256: await pki.intermediate.certificate.fingerprint() }),
    ]);
    expect(report.signatures[0]!.chain![1]).not.toHaveProperty('spiffeId', 'spiffe://example.org/agent/c');
  });

  it.each([
    ['an expired leaf', { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - 3 * DAY) }, 'ERR_X509_EXPIRED'],
    ['a leaf not valid yet', { notBefore: new Date(Date.now() + 3 * DAY), lifetime: DAY }, 'ERR_X509_NOT_YET_VALID'],
  ] as const)('%s: the chain is still described, with its dates', async (_name, validity, code) => {
    const svid = await pki.intermediate.issueSVID('spiffe://example.org/agent/old', validity);
    const report = await verifyAgentCard(await signAgentCard(card(), { privateKey: svid.privateKey, certificateChain: svid.pem }), { bundles: pki.bundles, trustDomain: 'example.org' });
    expect(report.signatures[0]).toMatchObject({ status: 'invalid', code });
    const leaf = parseCertificate(svid.der[0]!);
    expect(report.signatures[0]!.chain?.[0]).toMatchObject({ spiffeId: 'spiffe://example.org/agent/old', notBefore: leaf.notBefore.toISOString(), notAfter: leaf.notAfter.toISOString() });
    expect(report.signatures[0]).not.toHaveProperty('signer');
  });

  it('an untrusted chain is described too (a description is not a verdict)', async () => {
    const report = await verifyAgentCard(await signAgentCard(card(), { privateKey: pki.otherSvid.privateKey, certificateChain: pki.otherSvid.pem }), {
      bundles: pki.bundles,
      trustDomain: 'example.org',
      at: new Date(),
    });
    expect(report.signatures[0]!.chain?.map((c) => c.spiffeId)).toEqual(['spiffe://other.org/agent/b']);
  });

  it('a key-set signature has no chain', async () => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k1' });
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'k1')] } });
    expect(report.verified).toBe(true);
    expect(report.signatures[0]).not.toHaveProperty('chain');
  });

  it('is the same, fresh object on a second verification (cached description, caller may change it)', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const first = await verifyAgentCard(signed, { bundles: pki.bundles, trustDomain: 'example.org' });
    (first.signatures[0]!.chain as unknown as Array<{ subject: string }>)[0]!.subject = 'changed';
    const second = await verifyAgentCard(signed, { bundles: pki.bundles, trustDomain: 'example.org' });
    expect(second.signatures[0]!.chain![0]!.subject).not.toBe('changed');
    expect(second.signatures[0]!.chain![0]!.subject).toBe(parseCertificate(pki.svid.der[0]!).subject.text);
  });
});
