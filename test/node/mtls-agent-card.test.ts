/**
 * AgentCard fetch over mTLS with the attested peer: the live agent serving its own signed card
 * (same identity), a copy served by another workload (different identity), the legacy path,
 * caps and failures with their codes; and `cardtrust card fetch` as a real process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCA, type SVID } from '../support/ca.js';
import { CARD, cli, expectError } from '../support/cli.js';
import { material, writeAtomic } from '../support/mtls.js';
import { StaticX509Source } from '../../node-adapter/spiffe/index.js';
import { authorizeAny, authorizeId, createMtlsServer, fetchAgentCardVerified, type MtlsHttpsServer } from '../../node-adapter/mtls/index.js';
import { signAgentCard } from '../../shared/agentcard/index.js';
import { TrustError, type ErrorCode } from '../../shared/index.js';

const AGENT_A = 'spiffe://example.org/agent/a';
const AGENT_B = 'spiffe://example.org/agent/b';
const OPERATOR = 'spiffe://example.org/ops';

let ca: TestCA;
let agentA: SVID;
let agentB: SVID;
let operator: StaticX509Source;
let signedByA: Record<string, unknown>;
const servers: MtlsHttpsServer[] = [];
let dir: string;

type Routes = Record<string, { status: number; body: string }>;

async function agentServer(svid: SVID, routes: Routes): Promise<string> {
  const source = await StaticX509Source.create(material(svid, ca.rootPem));
  const server = createMtlsServer({ source, authorize: authorizeAny(), onRefused: () => {} }, (req, res) => {
    const r = routes[req.url ?? ''] ?? { status: 404, body: '{"error":"not found"}' };
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-cardfetch-'));
  ca = await TestCA.create({ trustDomain: 'example.org' });
  agentA = await ca.issueSVID(AGENT_A);
  agentB = await ca.issueSVID(AGENT_B);
  const ops = await ca.issueSVID(OPERATOR);
  operator = await StaticX509Source.create(material(ops, ca.rootPem));
  await writeAtomic(join(dir, 'ops'), material(ops, ca.rootPem));
  signedByA = await signAgentCard({ ...CARD }, { privateKey: agentA.privateKey, certificateChain: agentA.pem });
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  await operator.close();
  await rm(dir, { recursive: true, force: true });
});

describe('fetchAgentCardVerified', () => {
  it('the live agent serving its own signed card: same identity', async () => {
    const url = await agentServer(agentA, { '/.well-known/agent-card.json': { status: 200, body: JSON.stringify(signedByA) } });
    const r = await fetchAgentCardVerified(url, { source: operator, authorize: authorizeId(AGENT_A) });
    expect(r.peer.spiffeId).toBe(AGENT_A);
    expect(r.peer.chainFingerprints).toHaveLength(2);
    expect(r.signers).toEqual([AGENT_A]);
    expect(r.report.verified).toBe(true);
    expect(r.sameIdentity).toBe(true);
    expect(r.verdict).toBe('same-identity');
    expect(r.path).toBe('/.well-known/agent-card.json');
  });

  it("a copy of A's card served by B: verified, but a different identity", async () => {
    const url = await agentServer(agentB, { '/.well-known/agent-card.json': { status: 200, body: JSON.stringify(signedByA) } });
    const r = await fetchAgentCardVerified(url, { source: operator, authorize: authorizeAny() });
    expect(r.peer.spiffeId).toBe(AGENT_B);
    expect(r.signers).toEqual([AGENT_A]);
    expect(r.sameIdentity).toBe(false);
    expect(r.verdict).toBe('different-identity');
  });

  it('the legacy path on 404', async () => {
    const url = await agentServer(agentA, { '/.well-known/agent.json': { status: 200, body: JSON.stringify(signedByA) } });
    const r = await fetchAgentCardVerified(url, { source: operator, authorize: authorizeAny() });
    expect(r.path).toBe('/.well-known/agent.json');
    expect(r.verdict).toBe('same-identity');
  });

  it('an unsigned card: card-not-verified', async () => {
    const url = await agentServer(agentA, { '/.well-known/agent-card.json': { status: 200, body: JSON.stringify(CARD) } });
    const r = await fetchAgentCardVerified(url, { source: operator, authorize: authorizeAny() });
    expect(r.verdict).toBe('card-not-verified');
    expect(r.report.error?.code).toBe('ERR_CARD_UNSIGNED');
  });

  const failures: Array<[string, ErrorCode, () => Routes, { maxBytes?: number }]> = [
    ['no card at either path', 'ERR_FETCH_NOT_FOUND', () => ({}), {}],
    ['a card over the cap', 'ERR_FETCH_TOO_LARGE', () => ({ '/.well-known/agent-card.json': { status: 200, body: JSON.stringify({ ...signedByA, pad: 'x'.repeat(5000) }) } }), { maxBytes: 4096 }],
    ['a 500', 'ERR_FETCH_FAILED', () => ({ '/.well-known/agent-card.json': { status: 500, body: '{}' } }), {}],
    ['a redirect', 'ERR_FETCH_REDIRECT_NOT_ALLOWED', () => ({ '/.well-known/agent-card.json': { status: 302, body: '' } }), {}],
    ['not JSON', 'ERR_CARD_MALFORMED', () => ({ '/.well-known/agent-card.json': { status: 200, body: '{"name": ' } }), {}],
  ];
  it.each(failures)('%s → %s', async (_name, code, makeRoutes, opts) => {
    const routes = makeRoutes();
    const url = await agentServer(agentA, routes);
    const err = await fetchAgentCardVerified(url, { source: operator, authorize: authorizeAny(), ...opts }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe(code);
  });

  it('a TLS peer the authorizer refuses: ERR_PEER_NOT_AUTHORIZED, and nothing is read', async () => {
    const url = await agentServer(agentB, { '/.well-known/agent-card.json': { status: 200, body: JSON.stringify(signedByA) } });
    await expect(fetchAgentCardVerified(url, { source: operator, authorize: authorizeId(AGENT_A) })).rejects.toMatchObject({ code: 'ERR_PEER_NOT_AUTHORIZED' });
  });

  it.each([['http://127.0.0.1:1'], ['https://127.0.0.1:1/path'], ['nope']])('refuses the base URL %s', async (url) => {
    await expect(fetchAgentCardVerified(url, { source: operator, authorize: authorizeAny() })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});

describe('cardtrust card fetch', () => {
  it('same identity: exit 0, both identities printed', async () => {
    const url = await agentServer(agentA, { '/.well-known/agent-card.json': { status: 200, body: JSON.stringify(signedByA) } });
    const r = await cli(['card', 'fetch', url, '--svid-dir', 'ops', '--expect-id', AGENT_A], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^tls peer +${AGENT_A} `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^card signers +${AGENT_A}$`, 'm'));
    expect(r.stdout).toMatch(/^verdict +same-identity$/m);
  });

  it('a copy served by another agent: exit 1, --json says different-identity', async () => {
    const url = await agentServer(agentB, { '/.well-known/agent-card.json': { status: 200, body: JSON.stringify(signedByA) } });
    const r = await cli(['card', 'fetch', url, '--svid-dir', 'ops', '--json'], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { verdict: string; peer: { spiffeId: string }; signers: string[] };
    expect(out).toMatchObject({ verdict: 'different-identity', peer: { spiffeId: AGENT_B }, signers: [AGENT_A] });
    expectError(r, 1, 'ERR_CARD_SIGNER_NOT_BOUND');
  });

  it('--expect-id refuses another TLS peer: exit 1 ERR_PEER_NOT_AUTHORIZED', async () => {
    const url = await agentServer(agentB, { '/.well-known/agent-card.json': { status: 200, body: JSON.stringify(signedByA) } });
    expectError(await cli(['card', 'fetch', url, '--svid-dir', 'ops', '--expect-id', AGENT_A], dir), 1, 'ERR_PEER_NOT_AUTHORIZED');
  });

  it('usage and input errors: exit 2', async () => {
    expectError(await cli(['card', 'fetch', 'https://127.0.0.1:1'], dir), 2, 'ERR_USAGE');
    expectError(await cli(['card', 'fetch', 'https://127.0.0.1:1', '--svid-dir', 'missing', '--svid-wait', '200ms'], dir), 2, 'ERR_SVID_SOURCE_UNAVAILABLE');
    expectError(await cli(['card', 'fetch', 'https://127.0.0.1:1', '--svid-dir', 'ops', '--svid-wait', 'soon'], dir), 2, 'ERR_USAGE');
  });
});
