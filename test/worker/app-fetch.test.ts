// POST /v1/agent-cards/fetch through the worker's entry: the card is fetched from origins served
// in Node through Miniflare's outbound handler, then verified.
import { beforeAll, describe, expect, it } from 'vitest';
import worker, { type ExecutionContext } from '../../workers/index.js';
import { signAgentCard } from '../../shared/agentcard/index.js';
import { TestCA } from '../support/ca.js';
import { scriptOrigin, unique } from './helpers.js';
import type { ScriptedResponse } from '../support/worker-outbound.js';

const ctx = {} as ExecutionContext;
const CARD = {
  name: 'Travel agent',
  description: 'Books trains',
  supportedInterfaces: [{ url: 'https://travel.example.org/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
  version: '2.0.0',
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [{ id: 'book', name: 'Book', description: 'Books a train', tags: ['travel'] }],
};

let signed: Record<string, unknown>;
let baseEnv: Record<string, string>;

beforeAll(async () => {
  const root = await TestCA.create({ trustDomain: 'example.org' });
  const svid = await (await root.childCA()).issueSVID('spiffe://example.org/agent/travel');
  signed = await signAgentCard(CARD, { privateKey: svid.privateKey, certificateChain: svid.pem });
  baseEnv = { TRUST_BUNDLES: JSON.stringify({ 'example.org': root.pem }), DEFAULT_TRUST_DOMAIN: 'example.org', FETCH_TIMEOUT_MS: '300' };
});

/** A fresh scripted origin, allowlisted in the returned env. */
async function setup(routes: (origin: string) => Record<string, ScriptedResponse>): Promise<{ origin: string; env: Record<string, string> }> {
  const origin = `https://${unique('agent')}.test`;
  await scriptOrigin(origin, routes(origin));
  return { origin, env: { ...baseEnv, FETCH_ALLOWED_ORIGINS: origin } };
}

async function fetchCard(body: unknown, env: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await worker.fetch(
    new Request('https://cardtrust.test/v1/agent-cards/fetch', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    env,
    ctx,
  );
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('POST /v1/agent-cards/fetch', () => {
  it('fetches /.well-known/agent-card.json and verifies it; the report says where from', async () => {
    const { origin, env } = await setup(() => ({ '/.well-known/agent-card.json': { body: signed } }));
    const { status, json } = await fetchCard({ url: origin }, env);
    expect(status).toBe(200);
    expect(json).toMatchObject({ verified: true, source: { url: `${origin}/.well-known/agent-card.json`, path: '/.well-known/agent-card.json' } });
  });

  it('falls back to /.well-known/agent.json on 404', async () => {
    const { origin, env } = await setup(() => ({ '/.well-known/agent.json': { body: signed } }));
    const { json } = await fetchCard({ url: `${origin}/` }, env);
    expect(json).toMatchObject({ verified: true, source: { path: '/.well-known/agent.json' } });
  });

  it('applies the policy', async () => {
    const { origin, env } = await setup(() => ({ '/.well-known/agent-card.json': { body: signed } }));
    const { json } = await fetchCard({ url: origin, policy: { expectedId: 'spiffe://example.org/agent/other' } }, env);
    expect(json).toMatchObject({ verified: false, binding: { status: 'unbound' } });
  });

  it('a tampered card from the origin is reported unverified', async () => {
    const { origin, env } = await setup(() => ({ '/.well-known/agent-card.json': { body: { ...signed, name: 'Evil travel agent' } } }));
    const { status, json } = await fetchCard({ url: origin }, env);
    expect(status).toBe(200);
    expect(json.verified).toBe(false);
  });

  it.each([
    ['a non-allowlisted origin', async () => ({ body: { url: 'https://not-allowed.test' }, env: { ...baseEnv, FETCH_ALLOWED_ORIGINS: 'https://other.test' } }), 403, 'ERR_FETCH_ORIGIN_NOT_ALLOWED'],
    ['no allowlist at all', async () => ({ body: { url: 'https://agent.test' }, env: baseEnv }), 403, 'ERR_FETCH_ORIGIN_NOT_ALLOWED'],
    ['an http: origin', async () => ({ body: { url: 'http://agent.test' }, env: { ...baseEnv, FETCH_ALLOWED_ORIGINS: 'https://agent.test' } }), 403, 'ERR_FETCH_ORIGIN_NOT_ALLOWED'],
    [
      'a redirect to another origin',
      async () => {
        const { origin, env } = await setup(() => ({ '/.well-known/agent-card.json': { status: 302, headers: { location: 'https://elsewhere.test/card.json' } } }));
        return { body: { url: origin }, env };
      },
      502,
      'ERR_FETCH_REDIRECT_NOT_ALLOWED',
    ],
    [
      'an oversized body',
      async () => {
        const { origin, env } = await setup(() => ({ '/.well-known/agent-card.json': { repeat: { chunk: ' '.repeat(128 * 1024), count: 9 } } }));
        return { body: { url: origin }, env };
      },
      502,
      'ERR_FETCH_TOO_LARGE',
    ],
    [
      'a slow origin',
      async () => {
        const { origin, env } = await setup(() => ({ '/.well-known/agent-card.json': { body: {}, delayMs: 2000 } }));
        return { body: { url: origin }, env };
      },
      504,
      'ERR_FETCH_TIMEOUT',
    ],
    ['no card at either path', async () => setup(() => ({})).then(({ origin, env }) => ({ body: { url: origin }, env })), 502, 'ERR_FETCH_NOT_FOUND'],
    [
      'a server error',
      async () => {
        const { origin, env } = await setup(() => ({ '/.well-known/agent-card.json': { status: 503, body: 'down' } }));
        return { body: { url: origin }, env };
      },
      502,
      'ERR_FETCH_FAILED',
    ],
    [
      'a body that is not JSON',
      async () => {
        const { origin, env } = await setup(() => ({ '/.well-known/agent-card.json': { body: '<html>' } }));
        return { body: { url: origin }, env };
      },
      422,
      'ERR_CARD_MALFORMED',
    ],
    [
      'JSON that is not an object',
      async () => {
        const { origin, env } = await setup(() => ({ '/.well-known/agent-card.json': { body: [1, 2] } }));
        return { body: { url: origin }, env };
      },
      422,
      'ERR_CARD_MALFORMED',
    ],
    ['a URL with a path', async () => ({ body: { url: 'https://agent.test/cards/a.json' }, env: { ...baseEnv, FETCH_ALLOWED_ORIGINS: 'https://agent.test' } }), 400, 'ERR_REQUEST_INVALID'],
    ['no url', async () => ({ body: { policy: {} }, env: baseEnv }), 400, 'ERR_REQUEST_INVALID'],
    ['an unknown field', async () => ({ body: { url: 'https://agent.test', follow: true }, env: baseEnv }), 400, 'ERR_REQUEST_INVALID'],
  ] as [string, () => Promise<{ body: unknown; env: Record<string, string> }>, number, string][])('%s', async (_n, make, status, code) => {
    const { body, env } = await make();
    const res = await fetchCard(body, env);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error: { code } });
  });
});
