import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalizeAgentCard, verifyAgentCard } from '../../shared/agentcard/index.js';
import { TrustError } from '../../shared/errors.js';
import { card, enc, kidSigned } from './agentcard-fixtures.js';

let keys: CryptoKeyPair;
let jwk: JsonWebKey & { kid: string };
let signed: Record<string, unknown>;
beforeAll(async () => {
  ({ keys, jwk, signed } = await kidSigned());
});

const isEmpty = (v: unknown): boolean =>
  v === '' || v === null || (Array.isArray(v) && v.every(isEmpty)) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every(isEmpty));

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TrustError);
    return err;
  }
}

describe('verifyAgentCard: properties', () => {
  it('random JSON and random values give a report or a TrustError, never a verified card', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.anything(), fc.dictionary(fc.string(), fc.jsonValue())), async (v) => {
        const r = await outcome(verifyAgentCard(v, { keys: { keys: [jwk] } }));
        if (!(r instanceof TrustError)) expect((r as { verified: boolean }).verified).toBe(false);
        try {
          canonicalizeAgentCard(v);
        } catch (err) {
          expect(err).toBeInstanceOf(TrustError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('random signature entries give a report or a TrustError, never a verified card', async () => {
    const header = fc.record(
      { alg: fc.constantFrom('ES256', 'ES384', 'RS256', 'EdDSA', 'HS256', 'none', 'x'), typ: fc.constantFrom('JOSE', 'JWT'), kid: fc.constantFrom('k', 'z'), crit: fc.array(fc.string()), x5c: fc.array(fc.base64String()), jku: fc.webUrl() },
      { requiredKeys: [] },
    );
    const entry = fc.record({ protected: fc.oneof(header.map(enc), fc.string()), signature: fc.oneof(fc.base64String(), fc.string()), header: fc.option(fc.dictionary(fc.string(), fc.jsonValue()), { nil: undefined }) }, { requiredKeys: ['protected', 'signature'] });
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 3 }), async (entries) => {
        const r = await outcome(verifyAgentCard({ ...card(), signatures: entries }, { keys: { keys: [jwk] }, jku: { allowedOrigins: ['https://keys.example'], fetch: async () => new Response('{}') } }));
        if (!(r instanceof TrustError)) expect((r as { verified: boolean }).verified).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('fields added to a signed card leave it verified only when they are empty', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string().filter((k) => !(k in card()) && k !== 'signatures'), fc.jsonValue(), { minKeys: 1, maxKeys: 3 }), async (extra) => {
        const report = await verifyAgentCard({ ...signed, ...extra }, { keys: { keys: [jwk] } });
        expect(report.verified).toBe(Object.values(extra).every(isEmpty));
      }),
      { numRuns: 150 },
    );
  });

  it('any change of a signed string value breaks verification', async () => {
    const paths: Array<(c: Record<string, any>, s: string) => void> = [
      (c, s) => (c.name = s),
      (c, s) => (c.version = s),
      (c, s) => (c.skills[0].id = s),
      (c, s) => (c.defaultInputModes[0] = s),
      (c, s) => (c.supportedInterfaces[0].url = s),
    ];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: paths.length - 1 }), fc.string({ minLength: 1 }), async (i, s) => {
        const c = structuredClone(signed);
        const before = canonicalizeAgentCard(c);
        paths[i]!(c, s);
        const report = await verifyAgentCard(c, { keys: { keys: [jwk] } });
        expect(report.verified).toBe(canonicalizeAgentCard(c) === before);
      }),
      { numRuns: 150 },
    );
  });
});
