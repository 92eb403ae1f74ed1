// The worker with Upstash configured, against a real redis-server through the local bridge:
// @upstash/ratelimit answers 429, and a store outage fails closed with 503 ERR_STORE_UNAVAILABLE
// until the store is back.
import { afterEach, describe, expect, it } from 'vitest';
import worker, { type ExecutionContext } from '../../workers/index.js';
import { signAgentCard } from '../../shared/agentcard/index.js';
import { generateKeyPair } from '../../shared/ca/index.js';
import { control, publicJwk, scriptOrigin, unique, upstash } from './helpers.js';

const conn = upstash();
const ctx = {} as ExecutionContext;

describe.skipIf(!conn)('worker with Upstash (real redis-server via the bridge)', () => {
  const c = conn!;
  // a distinct (but equivalent) configuration per test: a fresh app, so no state is shared
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    UPSTASH_REDIS_REST_URL: c.url,
    UPSTASH_REDIS_REST_TOKEN: c.token,
    STORE_TIMEOUT_MS: '1000',
    ...extra,
  });
  const get = (e: Record<string, string>, ip: string, path = '/v1/bundles/example.org'): Promise<Response> =>
    worker.fetch(new Request(`https://cardtrust.test${path}`, { headers: { 'cf-connecting-ip': ip } }), e, ctx);

  afterEach(async () => {
    await control('redis/start');
    await control('bridge/start');
  });

  it('healthz reports the upstash store', async () => {
    const res = await get(env(), '203.0.113.1', '/healthz');
    expect(await res.json()).toMatchObject({ stores: { kind: 'upstash' } });
  });

  it('rate limits per client with @upstash/ratelimit → 429', async () => {
    const e = env({ RATE_LIMIT: '2/1m' });
    const ip = unique('203.0.113.');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(e, ip)).status);
    // 404: no bundle configured — the limiter runs before the route
    expect(statuses).toEqual([404, 404, 429]);
    const limited = await get(e, ip);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited.json()).toMatchObject({ error: { code: 'ERR_RATE_LIMITED' } });
    expect((await get(e, unique('203.0.113.'))).status).toBe(404);
  });

  it('the limit is shared through Redis: a second isolate-level app sees the same count', async () => {
    const ip = unique('203.0.113.');
    const a = env({ RATE_LIMIT: '2/1m' });
    const b = env({ RATE_LIMIT: '2/1m', FETCH_TIMEOUT_MS: '9999' }); // another config → another app
    expect((await get(a, ip)).status).toBe(404);
    expect((await get(b, ip)).status).toBe(404);
    expect((await get(a, ip)).status).toBe(429);
  });

  it.each([
    ['redis-server', 'redis/stop', 'redis/start'],
    ['the bridge', 'bridge/stop', 'bridge/start'],
  ] as const)('fails closed with 503 while %s is down, and resumes when it is back', async (_what, stop, start) => {
    const e = env({ RATE_LIMIT: '100/1m' });
    const ip = unique('203.0.113.');
    expect((await get(e, ip)).status).toBe(404);
    await control(stop);
    const res = await get(e, ip);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ERR_STORE_UNAVAILABLE');
    expect(body.error.message).not.toContain(c.token);
    expect(body.error.message).not.toContain('127.0.0.1');
    // healthz does not need the store
    expect((await get(e, ip, '/healthz')).status).toBe(200);
    await control(start);
    await expect.poll(async () => (await get(e, ip)).status, { timeout: 5000, interval: 100 }).toBe(404);
  });

  it('jku key sets are cached in Redis; an outage answers 503, not "unverified"', async () => {
    const origin = `https://${unique('keys')}.test`;
    const keys = await generateKeyPair('P-256');
    const jwk = await publicJwk(keys.publicKey, 'k');
    await scriptOrigin(origin, { '/jwks.json': { body: { keys: [jwk] } } });
    const card = await signAgentCard({ name: 'A', description: 'B', version: '1' }, { privateKey: keys.privateKey, kid: 'k', jku: `${origin}/jwks.json` });
    const e = env({ JKU_ALLOWED_ORIGINS: origin });
    const verify = (): Promise<Response> =>
      worker.fetch(
        new Request('https://cardtrust.test/v1/agent-cards/verify', { method: 'POST', body: JSON.stringify(card), headers: { 'content-type': 'application/json' } }),
        e,
        ctx,
      );
    const first = await verify();
    expect(await first.json()).toMatchObject({ verified: true });
    // the JWKS is in Redis under the worker's prefix
    const got = await fetch(c.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(['GET', `cardtrust:jwks:${origin}/jwks.json`]),
    });
    expect(JSON.parse(((await got.json()) as { result: string }).result)).toEqual({ keys: [jwk] });

    await control('redis/stop');
    const down = await verify();
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { code: 'ERR_STORE_UNAVAILABLE' } });
    await control('redis/start');
    await expect.poll(async () => (await verify()).status, { timeout: 5000, interval: 100 }).toBe(200);
  });

  it('a wrong token fails closed too', async () => {
    const e = { ...env({ RATE_LIMIT: '10/1m' }), UPSTASH_REDIS_REST_TOKEN: 'wrong-token' };
    const res = await get(e, unique('203.0.113.'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'ERR_STORE_UNAVAILABLE' } });
  });
});
