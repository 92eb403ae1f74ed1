// The session control plane with Upstash (a real redis-server behind the local bridge): sealed
// keys shared across isolates, expiry by Redis TTL, the UpstashSealedKeyStore itself, and an
// outage failing closed (503 ERR_STORE_UNAVAILABLE) then recovering.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UpstashSealedKeyStore, upstashClient } from '../../workers/stores/upstash.js';
import { MemoryReplayGuard } from '../../shared/store/index.js';
import { verifyBootstrapToken, verifySessionToken } from '../../shared/session/index.js';
import { bootstrapKeys, call, errorCode, sessionEnv, type BootstrapKeys, type Created } from './sessions-helpers.js';
import { control, unique, upstash } from './helpers.js';

const conn = upstash();

describe.skipIf(!conn)('session control plane with Upstash (real redis-server via the bridge)', () => {
  const c = conn!;
  let keys: BootstrapKeys;
  const env = (extra: Record<string, string> = {}): Record<string, string> =>
    sessionEnv(keys, { UPSTASH_REDIS_REST_URL: c.url, UPSTASH_REDIS_REST_TOKEN: c.token, STORE_TIMEOUT_MS: '1000', ...extra });

  beforeAll(async () => {
    keys = await bootstrapKeys('P-256');
  });

  afterEach(async () => {
    await control('redis/start');
    await control('bridge/start');
  });

  it('UpstashSealedKeyStore: put/get/delete, putIfAbsent, TTL', async () => {
    const store = new UpstashSealedKeyStore(upstashClient({ url: c.url, token: c.token, timeoutMs: 1000 }), unique('sealed:'));
    expect(await store.get('s')).toBeUndefined();
    await store.put('s', 'ctsk1.a.b', 60_000);
    expect(await store.get('s')).toBe('ctsk1.a.b');
    expect(await store.putIfAbsent('s', 'other', 60_000)).toBe(false);
    expect(await store.get('s')).toBe('ctsk1.a.b');
    expect(await store.putIfAbsent('t', '12', 60_000)).toBe(true);
    expect(await store.get('t')).toBe('12'); // text as stored, not JSON-deserialized
    expect(await store.delete('s')).toBe(true);
    expect(await store.delete('s')).toBe(false);
    await store.put('short', 'x', 50);
    await expect.poll(() => store.get('short'), { timeout: 2000, interval: 30 }).toBeUndefined();
    await expect(store.put('x', 'y', 0)).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('a session created by one isolate mints tokens in another (the sealed key lives in Redis)', async () => {
    const a = env();
    const b = env({ FETCH_TIMEOUT_MS: '9999' }); // another configuration → another app, empty LRU
    const res = await call(a, 'POST', '/v1/sessions');
    expect(res.status).toBe(201);
    const created = (await res.json()) as Created;
    const boot = await verifyBootstrapToken(created.bootstrapToken, { key: keys.publicPem, issuer: 'cardtrust', audience: 'cardtrust-sandbox', replayGuard: new MemoryReplayGuard() });
    const t = await call(b, 'POST', `/v1/sessions/${created.sessionId}/token`);
    expect(t.status).toBe(200);
    const { token } = (await t.json()) as { token: string };
    expect((await verifySessionToken(token, { key: boot.sessionKey, issuer: 'cardtrust', audience: 'cardtrust-sandbox', sessionId: created.sessionId })).claims.sub).toBe(created.sessionId);
    // a duplicate id is refused across isolates too (SET NX)
    const dup = await call(b, 'POST', '/v1/sessions', { body: { sessionId: created.sessionId } });
    expect(dup.status).toBe(409);
    // deleted in one, gone in the other
    expect((await call(b, 'DELETE', `/v1/sessions/${created.sessionId}`)).status).toBe(204);
    const gone = await call(a, 'POST', `/v1/sessions/${created.sessionId}/token`);
    expect(gone.status).toBe(404);
    expect(await errorCode(gone)).toBe('ERR_SESSION_NOT_FOUND');
  });

  it('an expired session (Redis TTL) → 404 ERR_SESSION_NOT_FOUND', async () => {
    const e = env({ SESSION_TTL_SECONDS: '1' });
    const created = (await (await call(e, 'POST', '/v1/sessions')).json()) as Created;
    expect((await call(e, 'POST', `/v1/sessions/${created.sessionId}/token`)).status).toBe(200);
    await expect.poll(async () => (await call(e, 'POST', `/v1/sessions/${created.sessionId}/token`)).status, { timeout: 3000, interval: 100 }).toBe(404);
  });

  it.each([
    // the test redis-server keeps nothing on disk: after its restart the session is gone (404), not 503
    ['redis-server', 'redis/stop', 'redis/start', 404],
    ['the bridge', 'bridge/stop', 'bridge/start', 200],
  ] as const)('fails closed with 503 ERR_STORE_UNAVAILABLE while %s is down, and recovers', async (_what, stop, start, after) => {
    const e = env({ STORE_TIMEOUT_MS: '500' });
    const created = (await (await call(e, 'POST', '/v1/sessions')).json()) as Created;
    await control(stop);
    for (const [method, path] of [['POST', '/v1/sessions'], ['POST', `/v1/sessions/${created.sessionId}/token`], ['DELETE', `/v1/sessions/${created.sessionId}`]] as const) {
      const res = await call(e, method, path);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('ERR_STORE_UNAVAILABLE');
      expect(body.error.message).not.toContain(c.token);
    }
    await control(start);
    await expect.poll(async () => (await call(e, 'POST', `/v1/sessions/${created.sessionId}/token`)).status, { timeout: 5000, interval: 100 }).toBe(after);
    expect((await call(e, 'POST', '/v1/sessions')).status).toBe(201);
  }, 15_000);
});
