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

describe('reports do not depend on earlier requests', () => {
  // a card whose jcs-clean and a2a-sdk payloads are the same text (no implicit defaults, no
  // fields outside the schema): its signature verifies under both, and jcs-clean, first in order, is reported
  const plain = () => {
    const c = card();
    delete (c['capabilities'] as Record<string, unknown>)['pushNotifications'];
    return c;
  };

  it.each([
    ['a field outside the schema', (c: Record<string, unknown>) => ({ ...c, extra: 'not signed' })],
    ['a snake_case alias the SDK codec ignores next to its field', (c: Record<string, unknown>) => ({ ...c, default_input_modes: ['audio/wav'] })],
  ])('original, a variant with %s, original: the third report is the first', async (_name, vary) => {
    const signed = await signAgentCard(plain(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const options = { bundles: pki.bundles, trustDomain: 'example.org' };
    const first = await verifyAgentCard(structuredClone(signed), options);
    expect(first).toMatchObject({ verified: true, profile: 'jcs-clean' });
    // the variant verifies only under a later profile (what it adds is not in that payload)
    const variant = await verifyAgentCard(vary(structuredClone(signed)), options);
    expect(variant.signatures[0]).toMatchObject({ status: 'valid', profile: 'a2a-sdk' });
    const third = await verifyAgentCard(structuredClone(signed), options);
    expect(third).toEqual(first);
  });

  it('the same holds for a pinned key (kid)', async () => {
    const keys = await testKeyPair('P-256');
    const options = { keys: { keys: [await publicJwk(keys.publicKey, 'k')] } };
    const signed = await signAgentCard(plain(), { privateKey: keys.privateKey, kid: 'k' });
    const first = await verifyAgentCard(structuredClone(signed), options);
    expect(first.profile).toBe('jcs-clean');
    await verifyAgentCard({ ...structuredClone(signed), extra: 1 }, options);
    expect(await verifyAgentCard(structuredClone(signed), options)).toEqual(first);
  });
});
