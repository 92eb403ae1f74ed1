// Issuer keys as path validation imports them (EC points and Ed25519 keys raw, RSA keys as JWK),
// and the signature checks of a chain running side by side.
import { afterEach, describe, expect, it } from 'vitest';
import { TestCA } from '../support/ca.js';
import { verifyChain } from '../../shared/x509/verify-chain.js';
import { parseCertificate } from '../../shared/x509/parse.js';
import { getCrypto, setCryptoProvider } from '../../shared/crypto.js';
import type { KeyAlgorithm } from '../../shared/ca/index.js';

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** `der` with the last byte of its public key changed: for an EC key, a point off the curve. */
function withBentKey(der: Uint8Array): Uint8Array {
  const spki = parseCertificate(der).publicKey.spki;
  const at = indexOf(der, spki);
  if (at < 0) throw new Error('test: SPKI not found in its certificate');
  const out = der.slice();
  out[at + spki.length - 1]! ^= 0x01;
  return out;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'valid';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('issuer keys', () => {
  it.each<KeyAlgorithm>(['P-256', 'P-384', 'P-521'])('a %s root whose point is not on the curve is ERR_X509_KEY_UNSUPPORTED', async (keyAlg) => {
    const root = await TestCA.create({ keyAlg });
    const inter = await root.childCA();
    const leaf = await inter.issue();
    // the root's own signature is not checked (it is a trust anchor): only its key is used
    const bent = withBentKey(root.der);
    expect(await code(verifyChain({ leaf: leaf.der, intermediates: [inter.der], roots: [bent] }))).toBe('ERR_X509_KEY_UNSUPPORTED');
    expect(await code(verifyChain({ leaf: leaf.der, intermediates: [inter.der], roots: [root.der] }))).toBe('valid');
  });

  it.each<KeyAlgorithm>(['RSA', 'Ed25519'])('a %s root with a changed key verifies nothing', async (keyAlg) => {
    const root = await TestCA.create({ keyAlg });
    const inter = await root.childCA();
    const leaf = await inter.issue();
    const result = await code(verifyChain({ leaf: leaf.der, intermediates: [inter.der], roots: [withBentKey(root.der)] }));
    // a changed RSA modulus or Ed25519 key is still a key (or not importable), never the signer's
    expect(['ERR_X509_SIGNATURE_INVALID', 'ERR_X509_KEY_UNSUPPORTED']).toContain(result);
  });
});

describe('the signature checks of a chain', () => {
  const original = getCrypto();
  afterEach(() => setCryptoProvider(original === (globalThis as { crypto?: Crypto }).crypto ? undefined : original));

  it('run side by side: the whole first candidate path is in flight at once', async () => {
    const root = await TestCA.create();
    const i1 = await root.childCA();
    const i2 = await i1.childCA();
    const leaf = await i2.issue();
    let inFlight = 0;
    let most = 0;
    const subtle = original.subtle;
    const slow = new Proxy(subtle, {
      get(target, name) {
        const value = Reflect.get(target, name, target) as unknown;
        if (name !== 'verify') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        return async (...args: Parameters<SubtleCrypto['verify']>) => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 5));
          try {
            return await target.verify(...args);
          } finally {
            inFlight--;
          }
        };
      },
    });
    setCryptoProvider(
      new Proxy(original, {
        get(t, n) {
          if (n === 'subtle') return slow;
          const v = Reflect.get(t, n, t) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
        },
      }),
    );
    const { chain } = await verifyChain({ leaf: leaf.der, intermediates: [i2.der, i1.der], roots: [root.der] });
    expect(chain).toHaveLength(4);
    expect(most).toBe(3); // leaf ← i2, i2 ← i1, i1 ← root
  });
});
