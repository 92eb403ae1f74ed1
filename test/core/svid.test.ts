import { beforeAll, describe, expect, it } from 'vitest';
import { verifyX509Svid } from '../../shared/svid/index.js';
import { BundleSet, TrustBundle, type BundleSource } from '../../shared/bundle/index.js';
import { matchId, matchMemberOf } from '../../shared/spiffe/index.js';
import { encodePem } from '../../shared/x509/index.js';
import { TrustError, type ErrorCode } from '../../shared/errors.js';
import { toHex } from '../../shared/lib/encoding.js';
import { ExtKeyUsage, KeyUsage, TestCA, type IssueOptions, type SVID } from '../support/ca.js';
import { createX509Fixture, x509RejectCases, type X509Fixture } from '../support/svid-cases.js';

const TD = 'example.org';
const ID = 'spiffe://example.org/workload';
const HOUR = 3600_000;

let fx: X509Fixture;
let root: TestCA;
let inter: TestCA;
let bundle: TrustBundle;

beforeAll(async () => {
  fx = await createX509Fixture(TD);
  ({ root, inter, bundle } = fx);
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
  it.each(x509RejectCases(() => fx))('%s', async (_name, make, code) => {
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
