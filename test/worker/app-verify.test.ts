// POST /v1/agent-cards/verify through the worker's entry, with cards signed by test CAs inside
// workerd: valid, tampered, wrong and unknown trust domains (strict and audit), expired chains,
// pinned keys by kid (unscoped, and scoped to a SPIFFE ID), and jku key sets from an allowlisted origin.
import { beforeAll, describe, expect, it } from 'vitest';
import worker, { type ExecutionContext } from '../../workers/index.js';
import { signAgentCard, type AgentCardReport } from '../../shared/agentcard/index.js';
import { TrustBundle, serializeSpiffeBundle } from '../../shared/bundle/index.js';
import { generateKeyPair } from '../../shared/ca/index.js';
import { TestCA, type SVID } from '../support/ca.js';
import { publicJwk, scriptOrigin, unique } from './helpers.js';

const ctx = {} as ExecutionContext;
const HOUR = 3600_000;

export const CARD = {
  name: 'Weather agent',
  description: 'Answers weather questions',
  supportedInterfaces: [{ url: 'https://weather.example.org/a2a/v1', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
  version: '1.0.0',
  capabilities: { streaming: true },
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [{ id: 'forecast', name: 'Forecast', description: 'Forecasts', tags: ['weather'] }],
};

let env: Record<string, string>;
let svid: SVID;
let partnerSvid: SVID;
let strangerSvid: SVID;
let expiredSvid: SVID;
let pinned: CryptoKeyPair;
let pinnedJwk: JsonWebKey;

beforeAll(async () => {
  const root = await TestCA.create({ trustDomain: 'example.org' });
  const inter = await root.childCA();
  svid = await inter.issueSVID('spiffe://example.org/agent/weather');
  expiredSvid = await inter.issueSVID('spiffe://example.org/agent/old', { notBefore: new Date(Date.now() - 48 * HOUR), notAfter: new Date(Date.now() - 24 * HOUR) });
  const partner = await TestCA.create({ trustDomain: 'partner.test' });
  partnerSvid = await (await partner.childCA()).issueSVID('spiffe://partner.test/agent/p');
  const stranger = await TestCA.create({ trustDomain: 'stranger.test' });
  strangerSvid = await stranger.issueSVID('spiffe://stranger.test/agent/s');
  pinned = await generateKeyPair('P-256');
  pinnedJwk = await publicJwk(pinned.publicKey, 'pinned-1');
  env = {
    TRUST_BUNDLES: JSON.stringify({
      'example.org': JSON.parse(serializeSpiffeBundle(new TrustBundle('example.org', { x509Authorities: [root.der] }))),
      'partner.test': partner.pem,
    }),
    DEFAULT_TRUST_DOMAIN: 'example.org',
    TRUSTED_KEYS: JSON.stringify({ keys: [pinnedJwk] }),
  };
});

async function verify(body: unknown, e: Record<string, string> = env): Promise<{ status: number; report: AgentCardReport & { error?: { code: string } } }> {
  const res = await worker.fetch(
    new Request('https://cardtrust.test/v1/agent-cards/verify', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    e,
    ctx,
  );
  return { status: res.status, report: (await res.json()) as AgentCardReport };
}

const signWith = (s: SVID, card: object = CARD): Promise<Record<string, unknown>> =>
  signAgentCard(card, { privateKey: s.privateKey, certificateChain: s.pem });

describe('POST /v1/agent-cards/verify', () => {
  it('verifies a card signed with an SVID of the default trust domain', async () => {
    const { status, report } = await verify(await signWith(svid));
    expect(status).toBe(200);
    expect(report.verified).toBe(true);
    expect(report.mode).toBe('strict');
    expect(report.payloadSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.binding).toMatchObject({ status: 'bound', trustDomain: 'example.org' });
    expect(report.signatures[0]).toMatchObject({
      status: 'valid',
      keySource: 'x5c',
      trustRoot: 'spiffe-bundle:example.org',
      signer: { spiffeId: 'spiffe://example.org/agent/weather', trustDomain: 'example.org' },
    });
  });

  it('accepts the {card, policy} form with an expected ID', async () => {
    const card = await signWith(svid);
    expect((await verify({ card, policy: { expectedId: 'spiffe://example.org/agent/weather' } })).report.verified).toBe(true);
    const other = await verify({ card, policy: { expectedId: 'spiffe://example.org/agent/other' } });
    expect(other.status).toBe(200);
    expect(other.report.verified).toBe(false);
    expect(other.report.binding.status).toBe('unbound');
  });

  it.each([
    ['a signed field', (c: Record<string, unknown>) => ({ ...c, description: 'Answers weather questions!' })],
    ['a nested field', (c: Record<string, unknown>) => ({ ...c, supportedInterfaces: [{ url: 'https://attacker.example/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }] })],
    ['an added field', (c: Record<string, unknown>) => ({ ...c, iconUrl: 'https://attacker.example/i.png' })],
    ['the signature', (c: Record<string, unknown>) => {
      const [sig] = c.signatures as { protected: string; signature: string }[];
      const flipped = (sig!.signature[0] === 'A' ? 'B' : 'A') + sig!.signature.slice(1);
      return { ...c, signatures: [{ ...sig, signature: flipped }] };
    }],
  ])('rejects a card with tampered %s (200, verified false)', async (_n, tamper) => {
    const { status, report } = await verify(tamper(await signWith(svid)));
    expect(status).toBe(200);
    expect(report.verified).toBe(false);
  });

  it('an unsigned card is reported, not an error', async () => {
    const { status, report } = await verify(CARD);
    expect(status).toBe(200);
    expect(report.verified).toBe(false);
  });

  it('wrong trust domain: strict mode rejects, audit mode reports the unbound signer', async () => {
    const card = await signWith(partnerSvid);
    const strict = await verify(card);
    expect(strict.report.verified).toBe(false);
    expect(strict.report.signatures[0]).toMatchObject({ signer: { trustDomain: 'partner.test' } });
    expect(strict.report.binding).toMatchObject({ status: 'unbound', trustDomain: 'example.org' });
    const audit = await verify({ card, policy: { mode: 'audit' } });
    expect(audit.report.mode).toBe('audit');
    expect(audit.report.verified).toBe(true);
    expect(audit.report.binding.status).toBe('unbound');
    // and bound when the policy names its trust domain
    expect((await verify({ card, policy: { trustDomain: 'partner.test' } })).report.verified).toBe(true);
  });

  it('DEFAULT_MODE=audit applies to requests without a policy', async () => {
    const { report } = await verify(await signWith(partnerSvid), { ...env, DEFAULT_MODE: 'audit' });
    expect(report).toMatchObject({ mode: 'audit', verified: true });
  });

  it('unknown trust domain (no bundle configured): not verified', async () => {
    const { status, report } = await verify({ card: await signWith(strangerSvid), policy: { trustDomain: 'stranger.test' } });
    expect(status).toBe(200);
    expect(report.verified).toBe(false);
    expect(report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_BUNDLE_NOT_FOUND' });
  });

  it('expired signer chain: not verified', async () => {
    const { report } = await verify(await signWith(expiredSvid));
    expect(report.verified).toBe(false);
    expect(report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_X509_EXPIRED' });
  });

  // An unscoped pinned key has no SPIFFE identity: it verifies a card when no trust domain is in
  // effect, and cannot satisfy a trust-domain binding in strict mode (docs/worker.md).
  it('a pinned key selected by kid (TRUSTED_KEYS)', async () => {
    const { DEFAULT_TRUST_DOMAIN: _, ...noDefaultTd } = env;
    const card = await signAgentCard(CARD, { privateKey: pinned.privateKey, kid: 'pinned-1' });
    const { report } = await verify(card, noDefaultTd);
    expect(report.verified).toBe(true);
    expect(report.signatures[0]).toMatchObject({ status: 'valid', keySource: 'kid', trustRoot: 'keyset:pinned-1' });
    const bound = await verify(card);
    expect(bound.report.verified).toBe(false);
    expect(bound.report.binding).toMatchObject({ status: 'unbound', code: 'ERR_CARD_SIGNER_NOT_BOUND' });
    expect(bound.report.binding.message).toContain('spiffeId');
    // strict mode: the signature itself checks out, but it is not counted (no identity to bind)
    expect(bound.report.signatures[0]).toMatchObject({ status: 'invalid', keySource: 'kid', code: 'ERR_CARD_SIGNER_NOT_BOUND' });
    expect(bound.report.signatures[0]!.signer).toBeUndefined();
    expect((await verify({ card, policy: { mode: 'audit' } })).report.verified).toBe(true);
    const unknownKid = await signAgentCard(CARD, { privateKey: pinned.privateKey, kid: 'nope' });
    expect((await verify(unknownKid, noDefaultTd)).report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_JWS_KEY_NOT_FOUND' });
  });

  // python-json is opt-in: ALLOWED_PROFILES is the exact set of profiles the worker tries
  it('ALLOWED_PROFILES: a python-json signature verifies only when the profile is allowed', async () => {
    const { DEFAULT_TRUST_DOMAIN: _, ...noDefaultTd } = env;
    const card = await signAgentCard({ ...CARD, name: 'Météo', capabilities: { streaming: true, extensions: [{ uri: 'urn:x', params: { level: 2 } }] } }, { privateKey: pinned.privateKey, kid: 'pinned-1', profile: 'python-json' });
    const without = await verify(card, noDefaultTd);
    expect(without.report).toMatchObject({ verified: false, error: { code: 'ERR_JWS_SIGNATURE_INVALID' } });
    const allowed = await verify(card, { ...noDefaultTd, ALLOWED_PROFILES: 'jcs-clean,a2a-sdk,spec,python-json' });
    expect(allowed.report).toMatchObject({ verified: true, profile: 'python-json' });
    const only = await verify(await signAgentCard(CARD, { privateKey: pinned.privateKey, kid: 'pinned-1', profile: 'jcs-clean' }), { ...noDefaultTd, ALLOWED_PROFILES: 'python-json' });
    expect(only.report.verified).toBe(true); // an ASCII card without numbers: the python-json text is the jcs-clean text
    const bad = await verify(card, { ...noDefaultTd, ALLOWED_PROFILES: 'python' });
    expect(bad.status).toBe(500);
    expect(bad.report.error).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });

  describe('TRUSTED_KEYS scoped to a SPIFFE ID (DEFAULT_TRUST_DOMAIN=example.org)', () => {
    const kidCard = (kid = 'pinned-1') => signAgentCard(CARD, { privateKey: pinned.privateKey, kid });
    const scoped = (spiffeId: string): Record<string, string> => ({ ...env, TRUSTED_KEYS: JSON.stringify({ keys: [pinnedJwk], spiffeId }) });

    it('a kid signature by a key scoped to a workload of the default trust domain is bound', async () => {
      const { status, report } = await verify(await kidCard(), scoped('spiffe://example.org/agent/a'));
      expect(status).toBe(200);
      expect(report.verified).toBe(true);
      expect(report.binding).toMatchObject({ status: 'bound', trustDomain: 'example.org' });
      expect(report.signatures[0]).toMatchObject({
        status: 'valid',
        keySource: 'kid',
        trustRoot: 'keyset:pinned-1',
        signer: { spiffeId: 'spiffe://example.org/agent/a', trustDomain: 'example.org' },
      });
    });

    it('the scope is checked against the request policy: expectedId and trustDomain', async () => {
      const card = await kidCard();
      const e = scoped('spiffe://example.org/agent/a');
      expect((await verify({ card, policy: { expectedId: 'spiffe://example.org/agent/a' } }, e)).report.verified).toBe(true);
      const other = await verify({ card, policy: { expectedId: 'spiffe://example.org/agent/b' } }, e);
      expect(other.report.verified).toBe(false);
      expect(other.report.binding).toMatchObject({ status: 'unbound', code: 'ERR_CARD_SIGNER_NOT_BOUND' });
      expect((await verify({ card, policy: { trustDomain: 'partner.test' } }, e)).report.verified).toBe(false);
    });

    it('a key scoped to a trust domain ID binds to that trust domain', async () => {
      const { report } = await verify(await kidCard(), scoped('spiffe://example.org'));
      expect(report.verified).toBe(true);
      expect(report.binding).toMatchObject({ status: 'bound', trustDomain: 'example.org' });
      expect(report.signatures[0]).toMatchObject({ signer: { spiffeId: 'spiffe://example.org', trustDomain: 'example.org' } });
    });

    it('a key scoped to another trust domain is not bound (strict), reported in audit', async () => {
      const card = await kidCard();
      const e = scoped('spiffe://other.org/x');
      const { status, report } = await verify(card, e);
      expect(status).toBe(200);
      expect(report.verified).toBe(false);
      expect(report.binding).toMatchObject({ status: 'unbound', trustDomain: 'example.org', code: 'ERR_CARD_SIGNER_NOT_BOUND' });
      expect(report.signatures[0]).toMatchObject({
        status: 'invalid',
        code: 'ERR_CARD_SIGNER_NOT_BOUND',
        keySource: 'kid',
        signer: { spiffeId: 'spiffe://other.org/x', trustDomain: 'other.org' },
      });
      const audit = await verify({ card, policy: { mode: 'audit' } }, e);
      expect(audit.report).toMatchObject({ mode: 'audit', verified: true, binding: { status: 'unbound' } });
      // and bound when the request's policy names that trust domain
      expect((await verify({ card, policy: { trustDomain: 'other.org' } }, e)).report.verified).toBe(true);
    });

    it('an unscoped JWKS stays unbound under DEFAULT_TRUST_DOMAIN, and says to add a spiffeId', async () => {
      const { status, report } = await verify(await kidCard(), { ...env, TRUSTED_KEYS: JSON.stringify({ keys: [pinnedJwk] }) });
      expect(status).toBe(200);
      expect(report.verified).toBe(false);
      expect(report.binding).toMatchObject({ status: 'unbound', code: 'ERR_CARD_SIGNER_NOT_BOUND' });
      expect(report.binding.message).toMatch(/spiffeId/);
    });

    it('several sets: each kid binds to the scope of its own set', async () => {
      const second = await generateKeyPair('P-256');
      const third = await generateKeyPair('P-256');
      const e = {
        ...env,
        TRUSTED_KEYS: JSON.stringify([
          { keys: [pinnedJwk], spiffeId: 'spiffe://example.org/agent/a' },
          { keys: [await publicJwk(second.publicKey, 'second-1')], spiffeId: 'spiffe://partner.test/agent/p' },
          { keys: [await publicJwk(third.publicKey, 'third-1')] },
        ]),
      };
      const a = await verify(await kidCard(), e);
      expect(a.report.verified).toBe(true);
      expect(a.report.signatures[0]).toMatchObject({ signer: { spiffeId: 'spiffe://example.org/agent/a' } });
      const p = await verify(await signAgentCard(CARD, { privateKey: second.privateKey, kid: 'second-1' }), e);
      expect(p.report.verified).toBe(false);
      expect(p.report.signatures[0]).toMatchObject({
        status: 'invalid',
        code: 'ERR_CARD_SIGNER_NOT_BOUND',
        signer: { spiffeId: 'spiffe://partner.test/agent/p', trustDomain: 'partner.test' },
      });
      expect(p.report.binding).toMatchObject({ status: 'unbound', code: 'ERR_CARD_SIGNER_NOT_BOUND' });
      const t = await verify(await signAgentCard(CARD, { privateKey: third.privateKey, kid: 'third-1' }), e);
      expect(t.report.verified).toBe(false);
      expect(t.report.binding).toMatchObject({ status: 'unbound', code: 'ERR_CARD_SIGNER_NOT_BOUND' });
      // a key of one set does not verify a signature that names another set's kid
      const swapped = await verify(await signAgentCard(CARD, { privateKey: second.privateKey, kid: 'pinned-1' }), e);
      expect(swapped.report.verified).toBe(false);
      expect(swapped.report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_JWS_SIGNATURE_INVALID' });
      expect(swapped.report.signatures[0]!.signer).toBeUndefined();
    });

    it('an invalid scope is a configuration error: 500 ERR_CONFIG_INVALID naming TRUSTED_KEYS', async () => {
      const { status, report } = await verify(await kidCard(), scoped('spiffe://Example.org/agent/a'));
      expect(status).toBe(500);
      expect(report.error).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
      expect((report.error as { message: string }).message).toMatch(/^TRUSTED_KEYS: /);
    });
  });

  it('jku: only from JKU_ALLOWED_ORIGINS, fetched through the worker', async () => {
    const origin = `https://${unique('keys')}.test`;
    const keys = await generateKeyPair('P-256');
    const jwk = await publicJwk(keys.publicKey, 'jku-1');
    await scriptOrigin(origin, { '/jwks.json': { body: { keys: [jwk] } } });
    const card = await signAgentCard(CARD, { privateKey: keys.privateKey, kid: 'jku-1', jku: `${origin}/jwks.json` });
    const { DEFAULT_TRUST_DOMAIN: _, ...noDefaultTd } = env;
    const allowed = await verify(card, { ...noDefaultTd, JKU_ALLOWED_ORIGINS: origin });
    expect(allowed.report.verified).toBe(true);
    expect(allowed.report.signatures[0]).toMatchObject({ keySource: 'jku', trustRoot: `jku:${origin}/jwks.json` });
    const refused = await verify(card, noDefaultTd);
    expect(refused.report.verified).toBe(false);
    expect(refused.report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_JKU_NOT_ALLOWED' });
  });

  it('cards that cannot be evaluated are 4xx', async () => {
    const card = await signWith(svid);
    const many = { ...card, signatures: Array.from({ length: 9 }, () => (card.signatures as unknown[])[0]) };
    const res = await verify(many);
    expect(res.status).toBe(422);
    expect(res.report).toMatchObject({ error: { code: 'ERR_CARD_TOO_MANY_SIGNATURES' } });
  });
});

describe('I-JSON request bodies (RFC 7493: no member name twice in one object)', () => {
  async function verifyText(text: string): Promise<{ status: number; body: { verified?: boolean; error?: { code: string } } }> {
    const res = await worker.fetch(
      new Request('https://cardtrust.test/v1/agent-cards/verify', { method: 'POST', body: text, headers: { 'content-type': 'application/json' } }),
      env,
      ctx,
    );
    return { status: res.status, body: (await res.json()) as { verified?: boolean; error?: { code: string } } };
  }

  it.each([
    ['a second "name" in the card (the "Evil Agent" card)', (card: string) => card.replace('{', '{"name":"Evil Agent",')],
    ['a repeated name deep in the card', (card: string) => card.replace('"streaming":true', '"streaming":false,"streaming":true')],
    ['"card" twice in the wrapper', (card: string) => `{"card":{"name":"Evil Agent"},"card":${card}}`],
    ['"policy" twice in the wrapper', (card: string) => `{"card":${card},"policy":{"mode":"audit"},"policy":{"mode":"strict"}}`],
    ['a repeated name in the wrapper\'s card', (card: string) => `{"card":${card.replace('{', '{"name":"Evil Agent",')}}`],
  ])('%s is 400 ERR_JSON_MALFORMED', async (_name, edit) => {
    const card = JSON.stringify(await signWith(svid));
    expect((await verifyText(card)).body.verified).toBe(true);
    expect((await verifyText(`{"card":${card},"policy":{"mode":"strict"}}`)).body.verified).toBe(true);
    const { status, body } = await verifyText(edit(card));
    expect(status).toBe(400);
    expect(body.error?.code).toBe('ERR_JSON_MALFORMED');
  });
});

describe('the size limit over HTTP', () => {
  it('a correctly signed ~283 KB card of 140,000 small numbers verifies (the limit is its JSON size)', async () => {
    const big = { ...CARD, data: Array.from({ length: 140_000 }, (_, i) => i % 10) };
    const card = await signAgentCard(big, { privateKey: svid.privateKey, certificateChain: svid.pem, profile: 'jcs-clean' });
    expect(JSON.stringify(card).length).toBeGreaterThan(280_000);
    const { status, report } = await verify(card);
    expect(status).toBe(200);
    expect(report.verified).toBe(true);
  });
});
