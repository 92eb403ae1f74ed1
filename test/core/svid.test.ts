import { beforeAll, describe, expect, it } from 'vitest';
import { verifyX509Svid } from '../../shared/svid/index.js';
import { BundleSet, TrustBundle, type BundleSource } from '../../shared/bundle/index.js';
import { matchId, matchMemberOf } from '../../shared/spiffe/index.js';
import { encodePem } from '../../shared/x509/index.js';
import { TrustError, type ErrorCode } from '../../shared/errors.js';
import { toHex } from '../../shared/lib/encoding.js';
import { ExtKeyUsage, KeyUsage, TestCA, type IssueOptions, type SVID } from '../support/ca.js';

const TD = 'example.org';
const ID = 'spiffe://example.org/workload';
const HOUR = 3600_000;

let root: TestCA;
let inter: TestCA;
let bundle: TrustBundle;

beforeAll(async () => {
  root = await TestCA.create({ trustDomain: TD });
  inter = await root.childCA();
  bundle = new TrustBundle(TD, { x509Authorities: [root.der] });
});

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok' | 'not a TrustError'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof TrustError ? err.code : 'not a TrustError';
  }
}

function svid(options: IssueOptions = {}, id = ID, ca: TestCA = inter): Promise<SVID> {
  return ca.issueSVID(id, options);
}

describe('verifyX509Svid accepts', () => {
  it('leaf → intermediate → root, returning the ID and the verified path', async () => {
    const s = await svid();
    const { id, chain } = await verifyX509Svid(s.der, bundle);
    expect(id.toString()).toBe(ID);
    expect(chain.map((c) => toHex(c.der))).toEqual([s.der[0]!, inter.der, root.der].map(toHex));
  });

  it.each<[string, (s: SVID) => Parameters<typeof verifyX509Svid>[0]]>([
    ['one PEM text (SPIRE svid.pem)', (s) => s.pem],
    ['PEM strings', (s) => s.der.map((d) => encodePem('CERTIFICATE', d))],
    ['DER bytes', (s) => s.der],
    ['parsed certificates', (s) => s.certificates],
  ])('the chain as %s', async (_name, input) => {
    const s = await svid();
    expect((await verifyX509Svid(input(s), bundle)).id.toString()).toBe(ID);
  });

  it('a leaf issued by the root directly', async () => {
    const s = await svid({}, ID, root);
    expect((await verifyX509Svid(s.der, bundle)).chain).toHaveLength(2);
  });

  it.each<['P-384' | 'P-521' | 'RSA' | 'RSA-PSS' | 'Ed25519']>([['P-384'], ['P-521'], ['RSA'], ['RSA-PSS'], ['Ed25519']])('a %s hierarchy', async (keyAlg) => {
    const r = await TestCA.create({ trustDomain: TD, keyAlg });
    const i = await r.childCA();
    const s = await i.issueSVID(ID, { keyAlg });
    const { chain } = await verifyX509Svid(s.der, new TrustBundle(TD, { x509Authorities: [r.pem] }));
    expect(chain).toHaveLength(3);
  });

  it('intermediates given out of order', async () => {
    const i2 = await inter.childCA();
    const s = await i2.issueSVID(ID);
    // s.der is [leaf, i2, inter]; present [leaf, inter, i2]
    const { chain } = await verifyX509Svid([s.der[0]!, inter.der, i2.der], bundle);
    expect(chain.map((c) => toHex(c.der))).toEqual([s.der[0]!, i2.der, inter.der, root.der].map(toHex));
  });

  it('a cross-signed intermediate that needs backtracking', async () => {
    const foreignRoot = await TestCA.create({ trustDomain: TD });
    const interB = await foreignRoot.childCA();
    const cross = await root.crossSign(interB);
    const s = await interB.issueSVID(ID);
    // the first issuer candidate (interB) leads to a root the bundle does not hold
    const { chain } = await verifyX509Svid([s.der[0]!, interB.der, cross.der], bundle);
    expect(chain.map((c) => toHex(c.der))).toEqual([s.der[0]!, cross.der, root.der].map(toHex));
  });

  it('an expired alternate issuer next to a valid one', async () => {
    const expired = await root.crossSign(inter, { notBefore: new Date(Date.now() - 10 * HOUR), notAfter: new Date(Date.now() - 5 * HOUR) });
    const s = await svid();
    const { chain } = await verifyX509Svid([s.der[0]!, expired.der, inter.der], bundle);
    expect(toHex(chain[1]!.der)).toBe(toHex(inter.der));
  });

  it('a signing certificate whose SPIFFE ID is the trust domain ID', async () => {
    const i = await root.childCA({ uris: ['spiffe://example.org'] });
    expect((await verifyX509Svid((await i.issueSVID(ID)).der, bundle)).id.toString()).toBe(ID);
  });

  it('through a bundle set and an async source, choosing the bundle by the leaf trust domain', async () => {
    const otherRoot = await TestCA.create({ trustDomain: 'other.test' });
    const set = new BundleSet([bundle, new TrustBundle('other.test', { x509Authorities: [otherRoot.der] })]);
    const a = await svid();
    const b = await otherRoot.issueSVID('spiffe://other.test/api');
    expect((await verifyX509Svid(a.der, set)).id.toString()).toBe(ID);
    expect((await verifyX509Svid(b.der, set)).id.toString()).toBe('spiffe://other.test/api');
    const live: BundleSource = { getBundle: async (td) => set.getBundle(td) };
    expect((await verifyX509Svid(b.pem, live)).id.trustDomain.name).toBe('other.test');
  });

  it('with an accepting matcher and a usage the leaf allows', async () => {
    const s = await svid();
    const r = await verifyX509Svid(s.der, bundle, { match: matchMemberOf(TD), usage: 'clientAuth' });
    expect(r.id.toString()).toBe(ID);
    await expect(verifyX509Svid(s.der, bundle, { usage: 'serverAuth', match: matchId(ID) })).resolves.toBeTruthy();
  });

  it('at an injected time inside the validity window', async () => {
    const nb = new Date(Date.now() + 10 * HOUR);
    const s = await svid({ notBefore: nb, lifetime: HOUR });
    expect((await verifyX509Svid(s.der, bundle, { at: new Date(nb.getTime() + 1000) })).id.toString()).toBe(ID);
  });
});

describe('verifyX509Svid rejects', () => {
  it.each<[string, () => Promise<Parameters<typeof verifyX509Svid>[0]>, ErrorCode]>([
    // guard clauses
    ['an empty chain', async () => [], 'ERR_SVID_CHAIN_EMPTY'],
    ['an empty PEM text', async () => '', 'ERR_SVID_CHAIN_EMPTY'],
    ['text without PEM', async () => 'hello', 'ERR_PEM_MALFORMED'],
    ['bytes that are not a certificate', async () => [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])], 'ERR_X509_MALFORMED'],
    // leaf SVID rules
    ['a leaf with cA true', async () => (await svid({ ca: true, keyUsage: KeyUsage.digitalSignature })).der, 'ERR_SVID_LEAF_IS_CA'],
    ['a leaf with keyCertSign', async () => (await svid({ keyUsage: KeyUsage.digitalSignature | KeyUsage.keyCertSign })).der, 'ERR_SVID_KEY_USAGE_INVALID'],
    ['a leaf with cRLSign', async () => (await svid({ keyUsage: KeyUsage.digitalSignature | KeyUsage.cRLSign })).der, 'ERR_SVID_KEY_USAGE_INVALID'],
    ['a leaf without digitalSignature', async () => (await svid({ keyUsage: KeyUsage.keyEncipherment | KeyUsage.keyAgreement })).der, 'ERR_SVID_KEY_USAGE_INVALID'],
    ['a leaf without key usage', async () => (await svid({ keyUsage: null })).der, 'ERR_SVID_KEY_USAGE_INVALID'],
    ['a leaf with two URI SANs', async () => (await svid({ uris: [ID, 'spiffe://example.org/other'] })).der, 'ERR_SVID_URI_SAN_INVALID'],
    ['a leaf with a SPIFFE and an https URI SAN', async () => (await svid({ uris: [ID, 'https://example.org/'] })).der, 'ERR_SVID_URI_SAN_INVALID'],
    ['a leaf without a URI SAN', async () => (await svid({ uris: [], dnsNames: ['workload.example.org'] })).der, 'ERR_SVID_URI_SAN_INVALID'],
    ['a leaf with the root path', async () => (await svid({}, 'spiffe://example.org')).der, 'ERR_SVID_URI_SAN_INVALID'],
    ['a leaf with an https URI', async () => (await svid({}, 'https://example.org/workload')).der, 'ERR_SPIFFE_ID_INVALID'],
    ['a leaf with an uppercase trust domain', async () => (await svid({}, 'spiffe://Example.org/w')).der, 'ERR_SPIFFE_ID_INVALID'],
    ['a leaf with a trailing slash', async () => (await svid({}, 'spiffe://example.org/w/')).der, 'ERR_SPIFFE_ID_INVALID'],
    // bundle lookup
    ['a leaf in a trust domain without a bundle', async () => (await svid({}, 'spiffe://other.test/workload')).der, 'ERR_BUNDLE_NOT_FOUND'],
    // path validation
    ['an expired leaf', async () => (await svid({ notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) })).der, 'ERR_X509_EXPIRED'],
    ['a leaf not yet valid', async () => (await svid({ notBefore: new Date(Date.now() + HOUR), lifetime: HOUR })).der, 'ERR_X509_NOT_YET_VALID'],
    [
      'an expired intermediate',
      async () => (await (await root.childCA({ notBefore: new Date(Date.now() - 3 * HOUR), notAfter: new Date(Date.now() - HOUR) })).issueSVID(ID)).der,
      'ERR_X509_EXPIRED',
    ],
    ['an intermediate without keyCertSign', async () => (await (await root.childCA({ keyUsage: KeyUsage.cRLSign | KeyUsage.digitalSignature })).issueSVID(ID)).der, 'ERR_X509_KEY_USAGE_INVALID'],
    ['an intermediate that is not a CA', async () => (await (await root.childCA({ ca: false })).issueSVID(ID)).der, 'ERR_X509_ISSUER_NOT_CA'],
    ['an unknown root', async () => (await (await TestCA.create({ trustDomain: TD })).issueSVID(ID)).der, 'ERR_X509_CHAIN_UNTRUSTED'],
    ['a missing intermediate', async () => [(await svid()).der[0]!], 'ERR_X509_CHAIN_UNTRUSTED'],
    ['a leaf first, then a wrong intermediate', async () => [(await svid()).der[0]!, (await root.childCA()).der], 'ERR_X509_CHAIN_UNTRUSTED'],
    ['an intermediate presented as the leaf', async () => [inter.der, root.der], 'ERR_SVID_URI_SAN_INVALID'],
    ['a signing certificate whose SPIFFE ID has a path', async () => (await (await root.childCA({ uris: ['spiffe://example.org/ca'] })).issueSVID(ID)).der, 'ERR_SVID_URI_SAN_INVALID'],
  ])('%s', async (_name, make, code) => {
    expect(await codeOf(verifyX509Svid(await make(), bundle))).toBe(code);
  });

  it('a leaf that does not allow the requested usage', async () => {
    const s = await svid({ extKeyUsage: [ExtKeyUsage.serverAuth] });
    expect(await codeOf(verifyX509Svid(s.der, bundle, { usage: 'clientAuth' }))).toBe('ERR_X509_EKU_MISMATCH');
    expect(await codeOf(verifyX509Svid(s.der, bundle, { usage: 'serverAuth' }))).toBe('ok');
  });

  it('a chain that verifies only after the validation time', async () => {
    const s = await svid();
    expect(await codeOf(verifyX509Svid(s.der, bundle, { at: new Date(Date.now() + 2 * HOUR) }))).toBe('ERR_X509_EXPIRED');
    expect(await codeOf(verifyX509Svid(s.der, bundle, { at: new Date(Date.now() - 2 * HOUR) }))).toBe('ERR_X509_NOT_YET_VALID');
  });

  it('a CA of another trust domain issuing for this one', async () => {
    const otherRoot = await TestCA.create({ trustDomain: 'other.test' });
    const set = new BundleSet([bundle, new TrustBundle('other.test', { x509Authorities: [otherRoot.der] })]);
    const forged = await otherRoot.issueSVID(ID);
    expect(await codeOf(verifyX509Svid(forged.der, set))).toBe('ERR_X509_CHAIN_UNTRUSTED');
  });

  it('a bundle with every X.509 authority revoked', async () => {
    expect(await codeOf(verifyX509Svid((await svid()).der, new TrustBundle(TD)))).toBe('ERR_X509_CHAIN_UNTRUSTED');
  });

  it('an intermediate placed in the bundle is a trust anchor', async () => {
    // the bundle is the trust anchor set: an intermediate placed there is trusted as an anchor
    const s = await svid();
    expect((await verifyX509Svid([s.der[0]!], new TrustBundle(TD, { x509Authorities: [inter.der] }))).chain).toHaveLength(2);
  });

  it('an ID the matcher does not accept', async () => {
    const p = verifyX509Svid((await svid()).der, bundle, { match: matchId('spiffe://example.org/other') });
    await expect(p).rejects.toMatchObject({ code: 'ERR_SPIFFE_ID_NOT_AUTHORIZED' });
  });

  it('names the rule in go-spiffe style messages', async () => {
    await expect(verifyX509Svid((await svid({ ca: true, keyUsage: KeyUsage.digitalSignature })).der, bundle)).rejects.toThrow(
      'x509svid: leaf certificate with CA flag set to true',
    );
    await expect(verifyX509Svid((await svid({ keyUsage: KeyUsage.digitalSignature | KeyUsage.cRLSign })).der, bundle)).rejects.toThrow('cRLSign');
    await expect(verifyX509Svid((await svid({}, 'spiffe://other.test/w')).der, bundle)).rejects.toThrow(/^x509svid: could not get X509 bundle: /);
  });

  it('a bundle source that fails with a foreign error, without leaking its message', async () => {
    const broken: BundleSource = {
      getBundle: async () => {
        throw new Error('ECONNREFUSED 10.0.0.1');
      },
    };
    const err = await verifyX509Svid((await svid()).der, broken).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_BUNDLE_NOT_FOUND' });
    expect((err as Error).message).not.toContain('ECONNREFUSED');
  });

  it.each<[string, unknown, unknown]>([
    ['no chain', undefined, {}],
    ['a number', 42, {}],
  ])('bad input: %s', async (_name, chain) => {
    const code = await codeOf(verifyX509Svid(chain as never, bundle));
    expect(['ERR_SVID_CHAIN_EMPTY', 'ERR_INPUT_INVALID']).toContain(code);
  });

  it('no bundle source', async () => {
    expect(await codeOf(verifyX509Svid((await svid()).der, undefined as never))).toBe('ERR_INPUT_INVALID');
  });

  it('more certificates than the limit', async () => {
    const s = await svid();
    expect(await codeOf(verifyX509Svid(Array.from({ length: 17 }, () => s.der[0]!), bundle))).toBe('ERR_X509_CHAIN_TOO_LONG');
  });
});
