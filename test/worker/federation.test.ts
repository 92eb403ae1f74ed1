// Federation at the edge: TRUST_BUNDLE_ENDPOINTS fetched (https_web) through Miniflare's outbound
// path from scripted origins — one of them serving what this worker's own /v1/bundles/{td}
// publishes — used to verify cards, republished at /v1/bundles/{td}, reported by /healthz; an
// endpoint that fails never yields a bundle, and a bad configuration is refused.
import { beforeAll, describe, expect, it } from 'vitest';
import worker, { type ExecutionContext } from '../../workers/index.js';
import { signAgentCard } from '../../shared/agentcard/index.js';
import { TestCA } from '../support/ca.js';
import { hits, scriptOrigin, unique, upstash } from './helpers.js';

const ctx = {} as ExecutionContext;
const CARD = {
  name: 'Partner agent',
  description: 'Answers for partner.test',
  supportedInterfaces: [{ url: 'https://agent.partner.test/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
  version: '1.0.0',
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [{ id: 'qa', name: 'Q&A', description: 'Answers', tags: ['qa'] }],
};

let partner: TestCA;
let signed: Record<string, unknown>;
let partnerDocument: string;

async function call(path: string, env: Record<string, string>, init: RequestInit = {}): Promise<Response> {
  return worker.fetch(new Request(`https://cardtrust.test${path}`, init), env, ctx);
}

const verify = (env: Record<string, string>, policy: Record<string, unknown>) =>
  call('/v1/agent-cards/verify', env, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ card: signed, policy }) });

beforeAll(async () => {
  partner = await TestCA.create({ trustDomain: 'partner.test' });
  const svid = await (await partner.childCA()).issueSVID('spiffe://partner.test/agent');
  signed = await signAgentCard(CARD, { privateKey: svid.privateKey, certificateChain: svid.pem });
  // the partner runs cardtrust too: its worker publishes its bundle at /v1/bundles/partner.test
  const res = await call('/v1/bundles/partner.test', { TRUST_BUNDLES: JSON.stringify({ 'partner.test': partner.pem }) });
  expect(res.status).toBe(200);
  partnerDocument = await res.text();
});

describe('TRUST_BUNDLE_ENDPOINTS', () => {
  it("a card signed in a federated trust domain verifies with the bundle from the partner's own worker", async () => {
    const origin = `https://${unique('partner')}.test`;
    await scriptOrigin(origin, { '/v1/bundles/partner.test': { body: partnerDocument, headers: { 'content-type': 'application/json' } } });
    const env = { TRUST_BUNDLE_ENDPOINTS: JSON.stringify({ 'partner.test': `${origin}/v1/bundles/partner.test` }) };
    const res = await verify(env, { trustDomain: 'partner.test' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ verified: true, signatures: [{ status: 'valid', trustRoot: 'spiffe-bundle:partner.test', signer: { spiffeId: 'spiffe://partner.test/agent' } }] });

    // republished: this worker is a bundle endpoint for the federated domain too
    const again = await call('/v1/bundles/partner.test', env);
    expect(again.status).toBe(200);
    expect(JSON.parse(await again.text())).toEqual(JSON.parse(partnerDocument));
    expect(again.headers.get('etag')).toMatch(/^"[0-9a-f]{64}"$/);

    const health = (await (await call('/healthz', env)).json()) as { federation: Array<Record<string, unknown>> };
    expect(health.federation).toEqual([{ trustDomain: 'partner.test', endpoint: `${origin}/v1/bundles/partner.test`, ageSeconds: expect.any(Number), stale: false }]);
  });

  it('an endpoint that fails: the signer is refused (no bundle), /healthz says why, /v1/bundles answers 404', async () => {
    const origin = `https://${unique('down')}.test`;
    await scriptOrigin(origin, { '/bundle': { status: 503, body: 'maintenance' } });
    const env = { TRUST_BUNDLE_ENDPOINTS: JSON.stringify({ 'partner.test': `${origin}/bundle` }) };
    const report = (await (await verify(env, { trustDomain: 'partner.test' })).json()) as { verified: boolean; signatures: Array<{ code?: string }> };
    expect(report.verified).toBe(false);
    expect(report.signatures[0]!.code).toBe('ERR_BUNDLE_NOT_FOUND');
    const health = (await (await call('/healthz', env)).json()) as { federation: Array<Record<string, unknown>> };
    expect(health.federation[0]).toMatchObject({ trustDomain: 'partner.test', stale: true, lastError: 'ERR_FETCH_FAILED' });
    expect((await call('/v1/bundles/partner.test', env)).status).toBe(404);
  });

  it.each([
    ['not an object', '["https://x.test/b"]'],
    ['an http: endpoint', '{"partner.test":"http://partner.test/bundle"}'],
    ['credentials in the URL', '{"partner.test":"https://u:p@partner.test/bundle"}'],
    ['a spiffe:// key', '{"spiffe://partner.test":"https://partner.test/bundle"}'],
    ['not a URL', '{"partner.test":"partner.test/bundle"}'],
  ])('refuses %s with 500 ERR_CONFIG_INVALID naming TRUST_BUNDLE_ENDPOINTS', async (_name, value) => {
    const res = await call('/healthz', { TRUST_BUNDLE_ENDPOINTS: value });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error: { code: 'ERR_CONFIG_INVALID', message: expect.stringContaining('TRUST_BUNDLE_ENDPOINTS') } });
  });

  it('a trust domain both static and federated is refused', async () => {
    const res = await call('/healthz', { TRUST_BUNDLES: JSON.stringify({ 'partner.test': partner.pem }), TRUST_BUNDLE_ENDPOINTS: '{"partner.test":"https://partner.test/bundle"}' });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('static or federated');
  });
});

describe.skipIf(!upstash())('federated bundles shared through Upstash (real redis-server via the bridge)', () => {
  it('a second isolate (a fresh app) uses the bundle the first one fetched, without fetching it again', async () => {
    const c = upstash()!;
    const td = `${unique('p')}.test`;
    const ca = await TestCA.create({ trustDomain: td });
    const svid = await ca.issueSVID(`spiffe://${td}/agent`);
    const card = await signAgentCard(CARD, { privateKey: svid.privateKey, certificateChain: svid.pem });
    const bundleDoc = (await (await call(`/v1/bundles/${td}`, { TRUST_BUNDLES: JSON.stringify({ [td]: ca.pem }) })).text());
    const origin = `https://${unique('shared')}.test`;
    await scriptOrigin(origin, { '/bundle': { body: bundleDoc, headers: { 'content-type': 'application/json' } } });
    const base = { UPSTASH_REDIS_REST_URL: c.url, UPSTASH_REDIS_REST_TOKEN: c.token, TRUST_BUNDLE_ENDPOINTS: JSON.stringify({ [td]: `${origin}/bundle` }) };
    const check = async (env: Record<string, string>) => {
      const res = await call('/v1/agent-cards/verify', env, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ card, policy: { trustDomain: td } }) });
      return ((await res.json()) as { verified: boolean }).verified;
    };
    expect(await check({ ...base, STORE_TIMEOUT_MS: '1000' })).toBe(true);
    expect(await hits(`${origin}/bundle`)).toBe(1);
    // an equivalent configuration is another app: as another isolate would, it starts empty
    expect(await check({ ...base, STORE_TIMEOUT_MS: '1001' })).toBe(true);
    expect(await hits(`${origin}/bundle`)).toBe(1);
  });
});
