import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAgentCard, verifyAgentCard, type AgentCardReport, type AgentCardSigner } from '../../shared/agentcard/index.js';
import { getCrypto, setCryptoProvider } from '../../shared/crypto.js';
import { BundleSet, TrustBundle } from '../../shared/bundle/index.js';
import { TestCA, card, makePki, publicJwk, testKeyPair, type Pki } from './agentcard-fixtures.js';
import { TrustError } from '../../shared/errors.js';

// Counts every SubtleCrypto call the core makes, by wrapping the provider in use.
const counts: Record<string, number> = {};
/** Calls of these SubtleCrypto methods still to fail (a broken engine, once). */
const failing: Record<string, number> = {};
let original: Crypto;
let pki: Pki;

beforeAll(async () => {
  original = getCrypto();
  const subtle = original.subtle;
  const counting = new Proxy(subtle, {
    get(target, name: string) {
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counts[name] = (counts[name] ?? 0) + 1;
        if ((failing[name] ?? 0) > 0) {
          failing[name]!--;
          return Promise.reject(new Error('engine failure'));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  pki = await makePki();
  setCryptoProvider(
    new Proxy(original, {
      get(t, n) {
        if (n === 'subtle') return counting;
        const v = Reflect.get(t, n, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    }),
  );
});

afterAll(() => {
  // the tests of other files run with the provider their project set up
  setCryptoProvider(original === (globalThis as { crypto?: Crypto }).crypto ? undefined : original);
});

describe('a warm verification', () => {
  it('does exactly one signature check: chain, key, payload encoding and digest are remembered', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const options = { bundles: pki.bundles, trustDomain: 'example.org' };
    expect((await verifyAgentCard(signed, options)).verified).toBe(true);
    for (const k of Object.keys(counts)) delete counts[k];
    // a fresh copy of the card: nothing may be remembered by object identity
    const report = await verifyAgentCard(structuredClone(signed), options);
    expect(report.verified).toBe(true);
    expect(counts).toEqual({ verify: 1 });
  });
});

describe('a remembered x5c chain', () => {
  it.each([
    ['another root for the trust domain', 'other-root', 'ERR_X509_CHAIN_UNTRUSTED'],
    ['a time after the leaf expired', 'expired', 'ERR_X509_EXPIRED'],
    ['a time before the chain was valid', 'early', 'ERR_X509_NOT_YET_VALID'],
    ['another expected ID', 'other-id', 'ERR_CARD_SIGNER_NOT_BOUND'],
  ] as const)('does not vouch for %s', async (_name, change, code) => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const options = { bundles: pki.bundles, trustDomain: 'example.org' };
    expect((await verifyAgentCard(signed, options)).verified).toBe(true);
    let changed: Parameters<typeof verifyAgentCard>[1];
    if (change === 'other-root') {
      const impostor = await TestCA.create({ trustDomain: 'example.org' });
      changed = { ...options, bundles: new BundleSet([new TrustBundle('example.org', { x509Authorities: [impostor.rootDer] })]) };
    } else if (change === 'expired') {
      changed = { ...options, at: new Date(pki.svid.certificates[0]!.notAfter.getTime() + 1000) };
    } else if (change === 'early') {
      changed = { ...options, at: new Date(pki.svid.certificates[0]!.notBefore.getTime() - 1000) };
    } else {
      changed = { ...options, expectedId: 'spiffe://example.org/agent/b' };
    }
    const report = await verifyAgentCard(signed, changed);
    expect(report.verified).toBe(false);
    expect(report.signatures[0]).toMatchObject({ code });
    // and the original configuration still verifies
    expect((await verifyAgentCard(signed, options)).verified).toBe(true);
  });

  it('is checked against what a live bundle source returns now', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const good = new TrustBundle('example.org', { x509Authorities: [pki.ca.rootDer] });
    const impostor = await TestCA.create({ trustDomain: 'example.org' });
    let current = good;
    const live = { getBundle: async () => current };
    const options = { bundles: live, trustDomain: 'example.org' };
    expect((await verifyAgentCard(signed, options)).verified).toBe(true);
    current = new TrustBundle('example.org', { x509Authorities: [impostor.rootDer], sequence: 2 });
    expect((await verifyAgentCard(signed, options)).signatures[0]).toMatchObject({ code: 'ERR_X509_CHAIN_UNTRUSTED' });
    current = new TrustBundle('example.org', { x509Authorities: [pki.ca.rootDer], sequence: 3 });
    expect((await verifyAgentCard(signed, options)).verified).toBe(true);
  });

  it('gives every report its own signer object', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const options = { bundles: pki.bundles, trustDomain: 'example.org' };
    const chainOf = (r: AgentCardReport): string[] => (r.signatures[0]!.signer as AgentCardSigner).chainFingerprints;
    const first = await verifyAgentCard(signed, options);
    const fingerprints = [...chainOf(first)];
    chainOf(first).length = 0;
    const second = await verifyAgentCard(signed, options);
    expect(chainOf(second)).toEqual(fingerprints);
  });
});

describe('the early check of a signature seen before', () => {
  const reset = () => {
    for (const k of Object.keys(counts)) delete counts[k];
  };

  it('is dropped when the card changed: the changed card fails, after one more check', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const options = { bundles: pki.bundles, trustDomain: 'example.org' };
    expect((await verifyAgentCard(signed, options)).verified).toBe(true);
    const changed = { ...structuredClone(signed), name: 'Agent B' };
    reset();
    const report = await verifyAgentCard(changed, options);
    expect(report.verified).toBe(false);
    expect(report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_JWS_SIGNATURE_INVALID' });
    // the early check over the remembered input, then the card's own payload
    expect(counts['verify']).toBe(2);
  });

  it('is dropped when the configuration resolves another key', async () => {
    const a = await testKeyPair('P-256');
    const b = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: a.privateKey, kid: 'k' });
    expect((await verifyAgentCard(signed, { keys: { keys: [await publicJwk(a.publicKey, 'k')] } })).verified).toBe(true);
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(b.publicKey, 'k')] } });
    expect(report.verified).toBe(false);
    expect(report.signatures[0]).toMatchObject({ code: 'ERR_JWS_SIGNATURE_INVALID' });
  });

  it('does not hide a card that cannot be canonicalized', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const options = { bundles: pki.bundles, trustDomain: 'example.org' };
    expect((await verifyAgentCard(signed, options)).verified).toBe(true);
    const broken = { ...structuredClone(signed), description: 'lone \ud800 surrogate' };
    const err = await verifyAgentCard(broken, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TrustError);
    expect(err).toMatchObject({ code: 'ERR_CARD_MALFORMED' });
  });

  it('that fails in the engine falls back to a full check', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const options = { bundles: pki.bundles, trustDomain: 'example.org' };
    expect((await verifyAgentCard(signed, options)).verified).toBe(true);
    reset();
    failing['verify'] = 1;
    const report = await verifyAgentCard(structuredClone(signed), options);
    expect(report.verified).toBe(true);
    expect(counts['verify']).toBe(2);
  });
});
