/**
 * Interoperability with @a2a-js/sdk (the reference A2A signer/verifier) and jose: cards signed by the
 * SDK verify here, ours verify there, and jose's flattenedVerify accepts our signatures over the
 * re-derived payload. Node-only: the SDK is a devDependency.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import * as jose from 'jose';
import {
  canonicalizeAgentCard as sdkCanonicalize,
  generateAgentCardSignature,
  verifyAgentCardSignature,
  type AgentCard,
} from '@a2a-js/sdk';
import { canonicalizeAgentCard, signAgentCard, verifyAgentCard } from '../../shared/agentcard/index.js';
import { b64urlEncode } from '../../shared/lib/encoding.js';
import { CARD, card, makePki, publicJwk, testKeyPair, type Pki } from '../core/agentcard-fixtures.js';

type KeyAlg = 'P-256' | 'P-384' | 'P-521' | 'RSA' | 'RSA-PSS' | 'Ed25519';
const ALGS: Array<[string, KeyAlg]> = [
  ['ES256', 'P-256'],
  ['ES384', 'P-384'],
  ['ES512', 'P-521'],
  ['RS256', 'RSA'],
  ['PS256', 'RSA-PSS'],
  ['EdDSA', 'Ed25519'],
];

// Cards within the A2A v1.0 schema, including the defaults the SDK's codec drops.
const SCHEMA_CARDS: Array<[string, Record<string, unknown>]> = [
  ['the sample card', card()],
  [
    'a card with implicit false defaults',
    {
      ...card(),
      capabilities: { streaming: false, extensions: [{ uri: 'urn:ext', required: false, params: { level: 2, tags: ['a'] } }] },
      securitySchemes: {
        oauth: { oauth2SecurityScheme: { flows: { authorizationCode: { authorizationUrl: 'https://a/x', tokenUrl: 'https://a/t', scopes: { read: 'Read' }, pkceRequired: false } } } },
        key: { apiKeySecurityScheme: { location: 'header', name: 'X-Key' } },
      },
      securityRequirements: [{ schemes: { oauth: { list: ['read'] } } }],
    },
  ],
  ['a card with empties and unicode', { ...card(), description: 'Réponses — 😀 \u2028', iconUrl: '', provider: { organization: 'Ex', url: 'https://ex.example' }, skills: [] }],
];

let pki: Pki;
const silence = vi.spyOn(console, 'debug').mockImplementation(() => {}); // the SDK logs each failed entry
beforeAll(async () => {
  pki = await makePki();
  return () => silence.mockRestore();
});

describe('@a2a-js/sdk signs, cardtrust verifies', () => {
  it.each(ALGS)('%s', async (alg, keyAlg) => {
    const keys = await testKeyPair(keyAlg);
    for (const [, c] of SCHEMA_CARDS) {
      const signed = await generateAgentCardSignature(keys.privateKey, { alg, kid: 'sdk-key', typ: 'JOSE' })(c as unknown as AgentCard);
      const report = await verifyAgentCard(signed, { keys: { keys: [{ ...(await publicJwk(keys.publicKey, 'sdk-key')), alg: undefined }] } });
      expect(report.verified).toBe(true);
      expect(report.signatures[0]).toMatchObject({ status: 'valid', alg, keySource: 'kid' });
    }
  });

  it('an SDK signature over a card with fields outside the schema verifies, but the card is not verified as a whole', async () => {
    const keys = await testKeyPair('P-256');
    const v03 = { ...card(), url: 'https://agent-a.example.org/a2a', protocolVersion: '0.3.0', preferredTransport: 'JSONRPC' };
    const signed = await generateAgentCardSignature(keys.privateKey, { alg: 'ES256', kid: 'k', typ: 'JOSE' })(v03 as unknown as AgentCard);
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'k')] } });
    expect(report).toMatchObject({
      verified: false,
      profile: 'a2a-sdk',
      unsignedFields: ['/preferredTransport', '/protocolVersion', '/url'].sort(),
      error: { code: 'ERR_CARD_UNSIGNED_FIELDS' },
    });
    expect(report.signatures[0]!.status).toBe('valid');
  });

  it('an SDK signature carrying an x5c chain verifies against the bundle', async () => {
    const x5c = pki.svid.der.map((d) => Buffer.from(d).toString('base64'));
    const signed = await generateAgentCardSignature(pki.svid.privateKey, { alg: 'ES256', kid: 'svid', typ: 'JOSE', x5c })(card() as unknown as AgentCard);
    const report = await verifyAgentCard(signed, { bundles: pki.bundles, trustDomain: 'example.org' });
    expect(report).toMatchObject({ verified: true, binding: { status: 'bound' } });
    expect(report.signatures[0]!.signer?.spiffeId).toBe('spiffe://example.org/agent/a');
  });
});

describe('cardtrust signs, @a2a-js/sdk verifies', () => {
  it.each(ALGS)('%s', async (_alg, keyAlg) => {
    const keys = await testKeyPair(keyAlg);
    for (const [, c] of SCHEMA_CARDS) {
      const signed = await signAgentCard(c, { privateKey: keys.privateKey, kid: 'ours' });
      const seen: Array<[string, string | undefined]> = [];
      await verifyAgentCardSignature(async (kid, jku) => {
        seen.push([kid, jku]);
        return keys.publicKey;
      })(signed as unknown as AgentCard);
      expect(seen).toEqual([['ours', undefined]]);
    }
  });

  it('with an x5c chain and a jku in the protected header', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem, jku: 'https://keys.example.org/jwks.json' });
    let got: string | undefined;
    await verifyAgentCardSignature(async (_kid, jku) => {
      got = jku;
      return pki.svid.publicKey;
    })(signed as unknown as AgentCard);
    expect(got).toBe('https://keys.example.org/jwks.json');
  });

  it('the SDK rejects a tampered card signed by cardtrust', async () => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k' });
    await expect(verifyAgentCardSignature(async () => keys.publicKey)({ ...signed, name: 'Other' } as unknown as AgentCard)).rejects.toThrow();
  });
});

// Signing for several verifiers: a v0.3-shaped card (url, protocolVersion, … outside the v1.0
// schema) signed for a2a-sdk and jcs-clean verifies in the SDK (over its own form) and in cardtrust
// (which needs the whole card covered); a v1.0-shaped card has one payload for both, so one signature.
describe('multi-profile signing: both verifiers accept the card', () => {
  const V03 = { ...card(), url: 'https://agent-a.example.org/a2a', protocolVersion: '0.3.0', preferredTransport: 'JSONRPC', additionalInterfaces: [{ url: 'https://agent-a.example.org/a2a', transport: 'JSONRPC' }] };
  // [name, card, signatures made, profile of the deciding signature]
  const SHAPES: Array<[string, Record<string, unknown>, number, string]> = [
    ['a v0.3-shaped card', V03, 2, 'jcs-clean'],
    ['a v1.0-shaped card', card(), 1, 'jcs-clean'],
    // the SDK drops `false` defaults, which count as absent: its signature covers the card already
    ['a v1.0-shaped card with implicit defaults', SCHEMA_CARDS[1]![1], 2, 'a2a-sdk'],
  ];

  it.each(SHAPES)('cardtrust signs %s for a2a-sdk and jcs-clean; the SDK and cardtrust verify it', async (_name, c, count, decider) => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(c, { privateKey: keys.privateKey, kid: 'multi', profiles: ['a2a-sdk', 'jcs-clean'] });
    const sigs = signed['signatures'] as Array<{ protected: string }>;
    expect(sigs).toHaveLength(count);
    expect(new Set(sigs.map((x) => x.protected)).size).toBe(1); // one header for all
    await verifyAgentCardSignature(async () => keys.publicKey)(signed as unknown as AgentCard);
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'multi')] } });
    expect(report).toMatchObject({ verified: true, profile: decider });
    expect(report.unsignedFields).toBeUndefined();
    if (count === 2) expect(report.signatures.map((x) => [x.status, x.profile])).toEqual([['valid', 'a2a-sdk'], ['valid', 'jcs-clean']]);
    // signed for a2a-sdk alone, the v0.3 card is not verified by cardtrust as a whole
    if (c === V03) {
      const sdkOnly = await signAgentCard(c, { privateKey: keys.privateKey, kid: 'multi', profile: 'a2a-sdk' });
      expect(await verifyAgentCard(sdkOnly, { keys: { keys: [await publicJwk(keys.publicKey, 'multi')] } })).toMatchObject({ verified: false, error: { code: 'ERR_CARD_UNSIGNED_FIELDS' } });
    }
  });

  it.each(SHAPES)('the SDK signs %s, cardtrust adds a jcs-clean signature; both verify it', async (_name, c) => {
    const sdkKeys = await testKeyPair('P-256');
    const ours = await testKeyPair('P-256');
    const bySdk = await generateAgentCardSignature(sdkKeys.privateKey, { alg: 'ES256', kid: 'sdk', typ: 'JOSE' })(structuredClone(c) as unknown as AgentCard);
    const both = await signAgentCard(bySdk, { privateKey: ours.privateKey, kid: 'ours', profiles: ['jcs-clean'] });
    const keySet = { keys: [await publicJwk(sdkKeys.publicKey, 'sdk'), await publicJwk(ours.publicKey, 'ours')] };
    const report = await verifyAgentCard(both, { keys: keySet });
    expect(report.verified).toBe(true);
    expect(report.signatures.map((x) => x.status)).toEqual(['valid', 'valid']);
    await verifyAgentCardSignature(async (kid) => (kid === 'sdk' ? sdkKeys.publicKey : ours.publicKey))(both as unknown as AgentCard);
  });

  it.each([
    ['profile and profiles together', { profile: 'jcs-clean', profiles: ['a2a-sdk'] }],
    ['an empty list', { profiles: [] }],
    ['an unknown name', { profiles: ['a2a-sdk', 'auto'] }],
    ['a name twice', { profiles: ['a2a-sdk', 'a2a-sdk'] }],
  ])('%s → ERR_INPUT_INVALID', async (_name, extra) => {
    const keys = await testKeyPair('P-256');
    await expect(signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k', ...(extra as object) })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});

describe('jose flattenedVerify accepts cardtrust signatures over the re-derived payload', () => {
  it.each(ALGS)('%s', async (alg, keyAlg) => {
    const keys = await testKeyPair(keyAlg);
    for (const [, c] of [...SCHEMA_CARDS, ['outside the schema', { ...card(), url: 'https://x.example', 'x-extra': [1, 2] }] as const]) {
      const signed = await signAgentCard(c, { privateKey: keys.privateKey, kid: 'k' });
      const report = await verifyAgentCard(signed, { keys: { keys: [{ ...(await publicJwk(keys.publicKey, 'k')), alg: undefined }] } });
      expect(report.verified).toBe(true);
      const sig = (signed['signatures'] as Array<{ protected: string; signature: string }>)[0]!;
      const payload = b64urlEncode(new TextEncoder().encode(canonicalizeAgentCard(signed, report.profile)));
      const result = await jose.flattenedVerify({ payload, protected: sig.protected, signature: sig.signature }, keys.publicKey, {
        algorithms: [alg],
      });
      expect(result.protectedHeader).toMatchObject({ alg, kid: 'k', typ: 'JOSE' });
    }
  });
});

describe('the a2a-sdk profile reproduces the SDK’s canonicalizeAgentCard', () => {
  const text = fc.oneof(fc.constantFrom('', 'a', 'é', '😀', 'x y'), fc.string());
  const loose = fc.oneof(text, fc.boolean(), fc.integer(), fc.constant(null), fc.constant(0), fc.jsonValue());
  const strings = fc.array(fc.oneof(text, loose), { maxLength: 3 });
  const iface = fc.record({ url: loose, protocolBinding: loose, protocol_binding: loose, tenant: loose, protocolVersion: loose, extra: loose }, { requiredKeys: [] });
  const skill = fc.record({ id: loose, name: text, description: text, tags: strings, examples: strings, input_modes: strings, outputModes: strings, extra: loose }, { requiredKeys: [] });
  const ext = fc.record({ uri: text, description: text, required: fc.oneof(fc.boolean(), loose), params: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), loose) }, { requiredKeys: [] });
  const scheme = fc.oneof(
    fc.record({ apiKeySecurityScheme: fc.record({ location: text, name: text, description: text }, { requiredKeys: [] }) }),
    fc.record({ http_auth_security_scheme: fc.record({ scheme: text, bearerFormat: text }, { requiredKeys: [] }) }),
    fc.record({ oauth2SecurityScheme: fc.record({ flows: fc.record({ clientCredentials: fc.record({ tokenUrl: text, scopes: fc.dictionary(fc.string(), loose) }, { requiredKeys: [] }), implicit: fc.record({ refreshUrl: text }) }, { requiredKeys: [] }) }, { requiredKeys: [] }) }),
    fc.record({ mtlsSecurityScheme: fc.record({ description: text }, { requiredKeys: [] }), apiKeySecurityScheme: fc.constant({ name: 'n' }) }, { requiredKeys: [] }),
  );
  const cardArb = fc.record(
    {
      name: loose,
      description: text,
      version: loose,
      supportedInterfaces: fc.array(iface, { maxLength: 2 }),
      provider: fc.oneof(fc.record({ url: text, organization: text }, { requiredKeys: [] }), loose),
      capabilities: fc.record({ streaming: loose, push_notifications: loose, extensions: fc.array(ext, { maxLength: 2 }), extendedAgentCard: loose }, { requiredKeys: [] }),
      securitySchemes: fc.dictionary(fc.string(), scheme, { maxKeys: 2 }),
      securityRequirements: fc.array(fc.record({ schemes: fc.dictionary(fc.string(), fc.record({ list: strings })) }), { maxLength: 2 }),
      defaultInputModes: strings,
      default_output_modes: strings,
      skills: fc.array(skill, { maxLength: 2 }),
      iconUrl: loose,
      documentation_url: loose,
      unknown: loose,
      signatures: fc.constant([{ protected: 'x', signature: 'y' }]),
    },
    { requiredKeys: [] },
  );

  it('for random cards (same text, or both refuse)', () => {
    fc.assert(
      fc.property(cardArb, (c) => {
        let theirs: string | undefined;
        let ours: string | undefined;
        try {
          theirs = sdkCanonicalize(c as unknown as AgentCard);
        } catch {
          theirs = undefined;
        }
        try {
          ours = canonicalizeAgentCard(c, 'a2a-sdk');
        } catch {
          ours = undefined;
        }
        // the SDK escapes lone surrogates where JCS must refuse them: only then may ours refuse alone
        if (theirs !== undefined && ours === undefined) expect(theirs).toMatch(/\\ud[89a-f]/);
        else expect(ours).toBe(theirs);
      }),
      { numRuns: 500 },
    );
  });

  it('for the fixed cards', () => {
    for (const [, c] of SCHEMA_CARDS) expect(canonicalizeAgentCard(c, 'a2a-sdk')).toBe(sdkCanonicalize(c as unknown as AgentCard));
    expect(canonicalizeAgentCard(CARD, 'a2a-sdk')).toBe(canonicalizeAgentCard(CARD));
  });
});
