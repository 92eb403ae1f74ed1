/**
 * `cardtrust serve` end to end, as real processes over real HTTP: every endpoint; the JSON access
 * log and the Prometheus metrics (parsed by a Prometheus text-format parser); SIGTERM with a
 * request in flight; two processes sharing one real redis-server (the rate limit and session keys),
 * Redis stopped mid-test (503 ERR_STORE_UNAVAILABLE, counted) and back; the mTLS front; and every
 * configuration it must refuse to start with. In process: nothing is counted unless metrics are served.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAgentCard } from '../../shared/agentcard/index.js';
import { TrustBundle, serializeSpiffeBundle } from '../../shared/bundle/index.js';
import { exportPrivateKeyPem, generateKeyPair } from '../../shared/ca/index.js';
import { mtlsFetch } from '../../node-adapter/mtls/client.js';
import { authorizeId } from '../../node-adapter/mtls/authorize.js';
import { TestCA, type SVID } from '../support/ca.js';
import { BIN, CARD, cli, expectError } from '../support/cli.js';
import { material, staticSource, waitFor, writeAtomic } from '../support/mtls.js';
import { histogramInf, parseMetrics, sampleSum } from '../support/prometheus.js';
import { redisAvailable } from '../support/redis-available.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';
import { startServe, type AccessLogEntry } from '../../node-adapter/serve/serve.js';
import { freePort, startRedisServer, type RedisServer } from '../support/upstash-bridge.js';

const TD = 'example.org';
const AGENT = 'spiffe://example.org/agent/a';
const TOKEN = 'control-plane-token-for-serve-tests';

let dir: string;
let ca: TestCA;
let agent: SVID;
let signed: Record<string, unknown>;
let tampered: Record<string, unknown>;
let baseEnv: NodeJS.ProcessEnv;
let origin: HttpsServer;
let originUrl: string;
/** Delay of the agent origin's answer, and a hook called when a request arrives. */
let originDelayMs = 0;
let originHit: (() => void) | undefined;
const started: ServeProcess[] = [];

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

async function serve(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const s = await startServeProcess(args, dir, { ...baseEnv, ...env });
  started.push(s);
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-serve-'));
  ca = await TestCA.create({ trustDomain: TD });
  agent = await (await ca.childCA()).issueSVID(AGENT);
  signed = (await signAgentCard({ ...CARD }, { privateKey: agent.privateKey, certificateChain: agent.pem })) as Record<string, unknown>;
  tampered = { ...signed, url: 'https://attacker.example/a2a' };

  // an https agent origin with a certificate from its own CA, trusted by serve through NODE_EXTRA_CA_CERTS
  const webCa = await TestCA.create({ trustDomain: 'web.test' });
  const server = await webCa.issue({ ips: ['127.0.0.1'], uris: [], extKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
  await writeFile(join(dir, 'web-ca.pem'), webCa.rootPem);
  origin = createHttpsServer({ cert: server.pem, key: await exportPrivateKeyPem(server.keys.privateKey) }, (req, res) => {
    originHit?.();
    setTimeout(() => {
      if (req.url === '/.well-known/agent-card.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(signed));
      } else res.writeHead(404).end();
    }, originDelayMs);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
  originUrl = `https://127.0.0.1:${(origin.address() as { port: number }).port}`;

  const bootstrap = await generateKeyPair('P-256');
  baseEnv = {
    PATH: process.env.PATH,
    NODE_EXTRA_CA_CERTS: join(dir, 'web-ca.pem'),
    TRUST_BUNDLES: JSON.stringify({ [TD]: JSON.parse(serializeSpiffeBundle(new TrustBundle(TD, { x509Authorities: [ca.der] }))) }),
    DEFAULT_TRUST_DOMAIN: TD,
    FETCH_ALLOWED_ORIGINS: originUrl,
    CONTROL_PLANE_TOKEN: TOKEN,
    SESSION_SEAL_SECRET: 'a-seal-secret-of-at-least-thirty-two-bytes!!',
    BOOTSTRAP_PRIVATE_KEY: await exportPrivateKeyPem(bootstrap.privateKey),
  };
}, 60_000);

afterAll(async () => {
  await Promise.all(started.map((s) => s.stop('SIGKILL')));
  await new Promise<void>((r) => origin?.close(() => r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cardtrust serve over real HTTP', () => {
  let s: ServeProcess;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    s = await serve(['--metrics-port', String(metricsPort)]);
  }, 30_000);

  it('answers every endpoint of the Worker API', async () => {
    const health = await (await fetch(`${s.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', stores: { kind: 'memory' }, bundles: [TD] });

    const ok = await post(`${s.url}/v1/agent-cards/verify`, signed);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ verified: true, binding: { status: 'bound' } });
    expect(ok.body.signatures[0].signer.spiffeId).toBe(AGENT);

    const bad = await post(`${s.url}/v1/agent-cards/verify`, { card: tampered, policy: { mode: 'strict' } });
    expect(bad.status).toBe(200);
    expect(bad.body.verified).toBe(false);
    expect(bad.body.signatures[0].code).toBe('ERR_JWS_SIGNATURE_INVALID');

    const fetched = await post(`${s.url}/v1/agent-cards/fetch`, { url: originUrl });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ verified: true, source: { url: `${originUrl}/.well-known/agent-card.json` } });
    const refused = await post(`${s.url}/v1/agent-cards/fetch`, { url: 'https://elsewhere.example' });
    expect([refused.status, refused.body.error.code]).toEqual([403, 'ERR_FETCH_ORIGIN_NOT_ALLOWED']);

    const bundle = await fetch(`${s.url}/v1/bundles/${TD}`);
    expect(bundle.status).toBe(200);
    expect(((await bundle.json()) as { keys: unknown[] }).keys.length).toBe(1);

    const svid = await post(`${s.url}/v1/svids/x509/verify`, { chain: agent.pem });
    expect(svid.body).toMatchObject({ verified: true, id: AGENT, trustDomain: TD });
    const jwt = await post(`${s.url}/v1/svids/jwt/validate`, { token: 'a.b.c', audience: 'x' });
    expect([jwt.status, jwt.body.verified, jwt.body.error.code]).toEqual([200, false, 'ERR_JWS_MALFORMED']);

    const auth = { authorization: `Bearer ${TOKEN}` };
    const created = await post(`${s.url}/v1/sessions`, {}, auth);
    expect(created.status).toBe(201);
    const id = created.body.sessionId as string;
    expect((await post(`${s.url}/v1/sessions/${id}/token`, {}, auth)).status).toBe(200);
    expect((await fetch(`${s.url}/v1/sessions/${id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await post(`${s.url}/v1/sessions`, {}, { authorization: 'Bearer wrong' })).body.error.code).toBe('ERR_UNAUTHENTICATED');

    const missing = await fetch(`${s.url}/nope`);
    expect([missing.status, ((await missing.json()) as any).error.code]).toEqual([404, 'ERR_ROUTE_NOT_FOUND']);
  });

  it('serves /metrics on the metrics port only, counting requests, verifications and errors', async () => {
    // off on the public port
    const pub = await fetch(`${s.url}/metrics`);
    expect([pub.status, ((await pub.json()) as any).error.code]).toEqual([404, 'ERR_ROUTE_NOT_FOUND']);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parseMetrics(await res.text());
    expect(sampleSum(m, 'cardtrust_http_requests_total', { route: '/v1/agent-cards/verify', status: '200' })).toBe(2);
    expect(sampleSum(m, 'cardtrust_http_requests_total', { route: '/v1/sessions/:id/token', method: 'POST', status: '200' })).toBe(1);
    expect(sampleSum(m, 'cardtrust_http_requests_total', { route: 'unmatched', status: '404' })).toBe(2);
    expect(sampleSum(m, 'cardtrust_verifications_total', { kind: 'agent-card', outcome: 'verified' })).toBe(2);
    expect(sampleSum(m, 'cardtrust_verifications_total', { kind: 'agent-card', outcome: 'not_verified', code: 'ERR_JWS_SIGNATURE_INVALID' })).toBe(1);
    expect(sampleSum(m, 'cardtrust_verifications_total', { kind: 'x509-svid', outcome: 'verified' })).toBe(1);
    expect(sampleSum(m, 'cardtrust_verifications_total', { kind: 'jwt-svid', outcome: 'not_verified', code: 'ERR_JWS_MALFORMED' })).toBe(1);
    expect(sampleSum(m, 'cardtrust_http_errors_total', { code: 'ERR_FETCH_ORIGIN_NOT_ALLOWED' })).toBe(1);
    expect(sampleSum(m, 'cardtrust_http_errors_total', { code: 'ERR_UNAUTHENTICATED' })).toBe(1);
    expect(histogramInf(m, 'cardtrust_http_request_duration_seconds')).toBeGreaterThanOrEqual(1);
    expect(m.find((f) => f.name === 'cardtrust_process_cpu_seconds_total')).toBeDefined();
    const other = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    expect(other.status).toBe(404);
  });

  it('writes one JSON access-log line per request: route patterns and codes, never bodies or tokens', async () => {
    const lines = await waitFor(() => {
      const l = s.accessLog();
      return l.length >= 15 ? l : undefined;
    });
    for (const l of lines) {
      expect(Object.keys(l).sort()).toEqual(expect.arrayContaining(['client', 'durationMs', 'method', 'route', 'status', 'time']));
      expect(typeof l.durationMs).toBe('number');
    }
    expect(lines.find((l) => l.route === '/v1/sessions/:id/token')).toMatchObject({ method: 'POST', status: 200, client: '127.0.0.1' });
    expect(lines.find((l) => l.status === 403)).toMatchObject({ route: '/v1/agent-cards/fetch', code: 'ERR_FETCH_ORIGIN_NOT_ALLOWED' });
    expect(lines.filter((l) => l.route === '/v1/agent-cards/verify').map((l) => l.verified)).toEqual([true, false]);
    const text = s.stdout();
    for (const secret of [TOKEN, 'Bearer', CARD.name, String((signed.signatures as Array<{ signature: string }>)[0]!.signature), '/v1/sessions/' + '0']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('cardtrust serve shutdown', () => {
  it('SIGTERM: stops accepting, finishes the request in flight, exits 0', async () => {
    const s = await serve(['--metrics', '--grace', '5s']);
    expect((await fetch(`${s.url}/metrics`)).status).toBe(200);
    originDelayMs = 1500;
    const arrived = new Promise<void>((r) => (originHit = r));
    const inFlight = post(`${s.url}/v1/agent-cards/fetch`, { url: originUrl });
    await arrived;
    s.child.kill('SIGTERM');
    await waitFor(() => s.stderr().includes('SIGTERM: stopping'), 5000, 'the stopping line');
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    const answer = await inFlight;
    expect([answer.status, answer.body.verified]).toEqual([200, true]);
    expect(await s.exited).toBe(0);
    expect(s.stderr()).toContain('cardtrust serve: stopped');
    originDelayMs = 0;
    originHit = undefined;
  });
});

const redisOk = redisAvailable('cardtrust serve with Redis');

describe.skipIf(!redisOk)('two cardtrust serve processes on one real redis-server', () => {
  let redis: RedisServer;
  let a: ServeProcess;
  let b: ServeProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    const env = { REDIS_URL: `redis://127.0.0.1:${redis.port}`, RATE_LIMIT: '5/1m', STORE_TIMEOUT_MS: '500' };
    [a, b] = await Promise.all([serve(['--metrics'], env), serve([], env)]);
  }, 30_000);

  afterAll(async () => {
    await redis?.stop();
  });

  it('share the rate limit: the sixth request of one client is refused whichever process answers', async () => {
    expect(await (await fetch(`${a.url}/healthz`)).json()).toMatchObject({ stores: { kind: 'redis' } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(`${(i % 2 === 0 ? a : b).url}/v1/svids/x509/verify`, { chain: agent.pem })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    for (const s of [a, b]) {
      const limited = await post(`${s.url}/v1/svids/x509/verify`, { chain: agent.pem });
      expect([limited.status, limited.body.error.code]).toEqual([429, 'ERR_RATE_LIMITED']);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });

  it('Redis stopped: 503 ERR_STORE_UNAVAILABLE (counted), then recovery when it is back', async () => {
    await redis.stop();
    const down = await post(`${a.url}/v1/agent-cards/verify`, signed);
    expect([down.status, down.body.error.code]).toEqual([503, 'ERR_STORE_UNAVAILABLE']);
    const m = parseMetrics(await (await fetch(`${a.url}/metrics`)).text());
    expect(sampleSum(m, 'cardtrust_store_errors_total', { store: 'rate_limit' })).toBeGreaterThanOrEqual(1);
    expect(sampleSum(m, 'cardtrust_http_errors_total', { code: 'ERR_STORE_UNAVAILABLE' })).toBe(1);
    await redis.start();
    // a fresh redis-server has no counters: the limit starts again
    const back = await waitFor(async () => {
      const r = await post(`${a.url}/v1/agent-cards/verify`, signed);
      return r.status === 200 ? r : undefined;
    }, 10_000, 'recovery after Redis restarts');
    expect(back.body.verified).toBe(true);
  });

  it('share session keys: a session made on one process is served by the other', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const created = await post(`${a.url}/v1/sessions`, {}, auth);
    expect(created.status).toBe(201);
    const token = await post(`${b.url}/v1/sessions/${created.body.sessionId}/token`, {}, auth);
    expect(token.status).toBe(200);
    expect(typeof token.body.token).toBe('string');
  });
});

describe('cardtrust serve with an mTLS front', () => {
  it('serves clients whose SVID is allowed and refuses others with the exact code', async () => {
    const svidDir = join(dir, 'svid');
    const server = await ca.issueSVID('spiffe://example.org/cardtrust');
    await writeAtomic(svidDir, material(server, ca.rootPem));
    // started by hand: the helper's readiness probe speaks plain HTTP, which an mTLS server refuses
    const port = await freePort();
    const child = await import('node:child_process').then(({ spawn }) =>
      spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--svid-dir', svidDir, '--allowed-client-id', 'spiffe://example.org/client'], {
        cwd: dir,
        env: baseEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let err = '';
    let out = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    try {
      await waitFor(() => err.includes('listening on https://'), 15_000, 'serve listening');
      const url = `https://127.0.0.1:${port}/healthz`;
      const authorize = authorizeId('spiffe://example.org/cardtrust');
      const ok = await mtlsFetch(url, { source: await staticSource(ca, 'spiffe://example.org/client'), authorize });
      expect(ok.status).toBe(200);
      const denied = await mtlsFetch(url, { source: await staticSource(ca, 'spiffe://example.org/intruder'), authorize });
      expect([denied.status, ((await denied.json()) as any).error.code]).toEqual([403, 'ERR_PEER_NOT_AUTHORIZED']);
      await waitFor(() => out.includes('"client":"spiffe://example.org/client"'), 5000, 'the access log naming the peer');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('cardtrust serve refuses to start (exit 2) rather than run half-configured', () => {
  it.each<[string, string[], Record<string, string>, string]>([
    ['a Redis that does not answer', [], { REDIS_URL: 'redis://127.0.0.1:1' }, 'ERR_STORE_UNAVAILABLE'],
    ['a REDIS_URL that is not one', [], { REDIS_URL: 'http://127.0.0.1:6379' }, 'ERR_CONFIG_INVALID'],
    ['REDIS_URL next to Upstash', [], { REDIS_URL: 'redis://127.0.0.1:1', UPSTASH_REDIS_REST_URL: 'https://u.example', UPSTASH_REDIS_REST_TOKEN: 't' }, 'ERR_CONFIG_INVALID'],
    ['an invalid TRUST_BUNDLES', [], { TRUST_BUNDLES: '{"example.org": 7}' }, 'ERR_CONFIG_INVALID'],
    ['--allowed-client-id without an SVID source', ['--allowed-client-id', AGENT], {}, 'ERR_USAGE'],
    ['an SVID source without allowed clients', ['--svid-dir', '.'], {}, 'ERR_USAGE'],
    ['--metrics with --metrics-port', ['--metrics', '--metrics-port', '0'], {}, 'ERR_USAGE'],
    ['a port that is not one', ['--port', '70000'], {}, 'ERR_USAGE'],
    ['an env file that is not dotenv', ['--env-file', 'bad.env'], {}, 'ERR_CONFIG_INVALID'],
  ])('%s', async (_name, args, env, code) => {
    await writeFile(join(dir, 'bad.env'), 'TRUST_BUNDLES={"a": 1}\nnot a line\n');
    const run = await cli(['serve', '--port', '0', ...args], dir, { env: { ...baseEnv, ...env } });
    expectError(run, 2, code);
  });

  it('reads --env-file in the .dev.vars format (the environment wins)', async () => {
    await writeFile(join(dir, 'vars.env'), `# written like npm start's .dev.vars\nTRUST_BUNDLES='${baseEnv.TRUST_BUNDLES}'\nDEFAULT_TRUST_DOMAIN=other.test # a comment\n`);
    const { TRUST_BUNDLES: _t, ...rest } = baseEnv;
    const s = await startServeProcess(['--env-file', 'vars.env'], dir, rest);
    started.push(s);
    expect(await (await fetch(`${s.url}/healthz`)).json()).toMatchObject({ bundles: [TD] });
    // DEFAULT_TRUST_DOMAIN from the environment (example.org), not the file (other.test): the card binds
    expect((await post(`${s.url}/v1/agent-cards/verify`, signed)).body.verified).toBe(true);
    await s.stop();
  });
});

describe('startServe in process: the app is observed only for what is served', () => {
  it('without metrics counts nothing (serving.metrics is undefined) and still logs route patterns and codes', async () => {
    const lines: AccessLogEntry[] = [];
    const serving = await startServe({ env: { DEFAULT_MODE: 'audit' }, accessLog: (e) => lines.push(e) });
    try {
      expect(serving.metrics).toBeUndefined();
      const metrics = await fetch(`${serving.url}/metrics`);
      expect([metrics.status, ((await metrics.json()) as any).error.code]).toEqual([404, 'ERR_ROUTE_NOT_FOUND']);
      const wrongType = await fetch(`${serving.url}/v1/agent-cards/verify`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
      expect(wrongType.status).toBe(415);
      await wrongType.body?.cancel();
      expect(lines.map((l) => [l.route, l.status, l.code])).toEqual([
        ['unmatched', 404, 'ERR_ROUTE_NOT_FOUND'],
        ['/v1/agent-cards/verify', 415, 'ERR_CONTENT_TYPE_UNSUPPORTED'],
      ]);
    } finally {
      await serving.close(0);
    }
  });

  it('with metrics counts by route pattern and code, with no access log', async () => {
    const serving = await startServe({ env: { DEFAULT_MODE: 'audit' }, metrics: true });
    try {
      expect(serving.metrics).toBeDefined();
      await (await fetch(`${serving.url}/v1/sessions/s-1/token`, { method: 'POST' })).body?.cancel();
      const m = parseMetrics(await (await fetch(`${serving.url}/metrics`)).text());
      expect(sampleSum(m, 'cardtrust_http_requests_total', { route: '/v1/sessions/:id/token', method: 'POST' })).toBe(1);
    } finally {
      await serving.close(0);
    }
  });
});
