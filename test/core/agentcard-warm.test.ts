import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAgentCard, verifyAgentCard } from '../../shared/agentcard/index.js';
import { getCrypto, setCryptoProvider } from '../../shared/crypto.js';
import { card, makePki, type Pki } from './agentcard-fixtures.js';

// Counts every SubtleCrypto call the core makes, by wrapping the provider in use.
const counts: Record<string, number> = {};
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
