// The session control plane inside workerd with the in-memory stores: configuration, bearer
// authentication, create / token / delete, and that what it mints verifies with the core's
// verifyBootstrapToken / verifySessionToken.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../workers/app.js';
import { parseWorkerConfig } from '../../workers/config.js';
import { createStores } from '../../workers/stores/create-stores.js';
import { MemoryReplayGuard, MemorySealedKeyStore } from '../../shared/store/index.js';
import { verifyBootstrapToken, verifySessionToken } from '../../shared/session/index.js';
import { exportPrivateKeyPem, generateKeyPair } from '../../shared/ca/index.js';
import { bootstrapKeys, call, errorCode, sessionEnv, SECRET, TOKEN, type BootstrapKeys, type Created } from './sessions-helpers.js';
import { unique } from './helpers.js';

let ec: BootstrapKeys;
let rsa: BootstrapKeys;
let env: Record<string, string>;

beforeAll(async () => {
  [ec, rsa] = await Promise.all([bootstrapKeys('P-256'), bootstrapKeys('RSA')]);
  env = sessionEnv(ec);
});

async function create(e: Record<string, unknown> = env, body?: unknown): Promise<Created> {
  const res = await call(e, 'POST', '/v1/sessions', body === undefined ? {} : { body });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}

describe('configuration', () => {
  const configCode = (e: Record<string, unknown>): string | undefined => {
    try {
      parseWorkerConfig(e);
      return undefined;
    } catch (err) {
      return `${(err as { code: string }).code} ${(err as Error).message.split(':')[0]}`;
    }
  };

  it('off when no session variable is set; defaults when the three secrets are', () => {
    expect(parseWorkerConfig({}).sessions).toBeUndefined();
    expect(parseWorkerConfig(env).sessions).toMatchObject({ issuer: 'cardtrust', audience: 'cardtrust-sandbox', ttlSeconds: 3600, bootstrapAlg: 'ES256' });
    expect(parseWorkerConfig(sessionEnv(rsa)).sessions?.bootstrapAlg).toBe('RS256');
    expect(parseWorkerConfig({ ...env, SESSION_ISSUER: 'cp', SESSION_AUDIENCE: 'box', SESSION_TTL_SECONDS: '60' }).sessions).toMatchObject({ issuer: 'cp', audience: 'box', ttlSeconds: 60 });
  });

  it('a PEM with literal \\n line breaks (a one-line secret) is accepted', () => {
    expect(parseWorkerConfig({ ...env, BOOTSTRAP_PRIVATE_KEY: ec.privatePem.trim().replace(/\n/g, '\\n') }).sessions?.bootstrapAlg).toBe('ES256');
  });

  it.each([
    ['only the token', { CONTROL_PLANE_TOKEN: TOKEN }, 'ERR_CONFIG_INVALID SESSION_SEAL_SECRET'],
    ['no private key', { CONTROL_PLANE_TOKEN: TOKEN, SESSION_SEAL_SECRET: SECRET }, 'ERR_CONFIG_INVALID BOOTSTRAP_PRIVATE_KEY'],
    ['no token', { SESSION_SEAL_SECRET: SECRET, BOOTSTRAP_PRIVATE_KEY: 'x' }, 'ERR_CONFIG_INVALID CONTROL_PLANE_TOKEN'],
    ['only an issuer', { SESSION_ISSUER: 'cardtrust' }, 'ERR_CONFIG_INVALID CONTROL_PLANE_TOKEN'],
    ['only a TTL', { SESSION_TTL_SECONDS: '60' }, 'ERR_CONFIG_INVALID CONTROL_PLANE_TOKEN'],
  ])('half configured (%s) → refused naming the missing variable', (_n, e, code) => {
    expect(configCode(e)).toBe(code);
  });

  it('bad values are refused naming the variable', async () => {
    const p384 = await exportPrivateKeyPem((await generateKeyPair('P-384')).privateKey);
    expect(configCode({ ...env, CONTROL_PLANE_TOKEN: 'short' })).toBe('ERR_CONFIG_INVALID CONTROL_PLANE_TOKEN');
    expect(configCode({ ...env, SESSION_SEAL_SECRET: 'short' })).toBe('ERR_CONFIG_INVALID SESSION_SEAL_SECRET');
    expect(configCode({ ...env, SESSION_SEAL_SECRET: TOKEN })).toBe('ERR_CONFIG_INVALID SESSION_SEAL_SECRET');
    expect(configCode({ ...env, BOOTSTRAP_PRIVATE_KEY: 'not pem' })).toBe('ERR_CONFIG_INVALID BOOTSTRAP_PRIVATE_KEY');
    expect(configCode({ ...env, BOOTSTRAP_PRIVATE_KEY: p384 })).toBe('ERR_CONFIG_INVALID BOOTSTRAP_PRIVATE_KEY');
    expect(configCode({ ...env, BOOTSTRAP_PRIVATE_KEY: ec.publicPem })).toBe('ERR_CONFIG_INVALID BOOTSTRAP_PRIVATE_KEY');
    expect(configCode({ ...env, SESSION_TTL_SECONDS: '0' })).toBe('ERR_CONFIG_INVALID SESSION_TTL_SECONDS');
    expect(configCode({ ...env, SESSION_TTL_SECONDS: '604801' })).toBe('ERR_CONFIG_INVALID SESSION_TTL_SECONDS');
  });

  it('not configured: session routes answer 500 ERR_CONFIG_INVALID, every other route keeps working', async () => {
    const res = await call({}, 'POST', '/v1/sessions');
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ERR_CONFIG_INVALID');
    expect(body.error.message).toContain('CONTROL_PLANE_TOKEN');
    expect((await call({}, 'GET', '/healthz')).status).toBe(200);
  });

  it('half configured: every request answers 500 ERR_CONFIG_INVALID (the worker refuses)', async () => {
    const res = await call({ CONTROL_PLANE_TOKEN: TOKEN }, 'GET', '/healthz');
    expect(res.status).toBe(500);
    expect(await errorCode(res)).toBe('ERR_CONFIG_INVALID');
  });
});

describe('bearer authentication', () => {
  it.each([
    ['no header', { token: null }],
    ['wrong token', { token: TOKEN.slice(0, -1) + 'x' }],
    ['a prefix of the token', { token: TOKEN.slice(0, 10) }],
    ['the token with a suffix', { token: TOKEN + 'x' }],
    ['Basic scheme', { token: null, headers: { authorization: `Basic ${TOKEN}` } }],
    ['no scheme', { token: null, headers: { authorization: TOKEN } }],
    ['empty bearer', { token: null, headers: { authorization: 'Bearer ' } }],
  ] as const)('%s → 401 ERR_UNAUTHENTICATED on every route', async (_n, init) => {
    for (const [method, path] of [['POST', '/v1/sessions'], ['POST', '/v1/sessions/s-1/token'], ['DELETE', '/v1/sessions/s-1']] as const) {
      const res = await call(env, method, path, init);
      expect(res.status).toBe(401);
      expect(await errorCode(res)).toBe('ERR_UNAUTHENTICATED');
    }
  });

  it('the scheme is case-insensitive', async () => {
    const res = await call(env, 'POST', '/v1/sessions', { token: null, headers: { authorization: `bearer ${TOKEN}` } });
    expect(res.status).toBe(201);
  });
});

describe('create → bootstrap token → session token → delete', () => {
  it.each([
    ['ES256', () => ec],
    ['RS256', () => rsa],
  ] as const)('%s bootstrap key: minted tokens verify with the core', async (alg, keys) => {
    const e = sessionEnv(keys());
    const created = await create(e);
    expect(created.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.sessionKeyThumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(created.expiresAt) - Date.now()).toBeGreaterThan(3590_000);
    expect(Date.parse(created.bootstrapExpiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
    const boot = await verifyBootstrapToken(created.bootstrapToken, {
      key: keys().publicPem,
      issuer: 'cardtrust',
      audience: 'cardtrust-sandbox',
      sessionId: created.sessionId,
      replayGuard: new MemoryReplayGuard(),
    });
    expect(boot.thumbprint).toBe(created.sessionKeyThumbprint);
    expect(JSON.parse(atob(created.bootstrapToken.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'))).alg).toBe(alg);

    for (let i = 0; i < 2; i++) {
      const res = await call(e, 'POST', `/v1/sessions/${created.sessionId}/token`);
      expect(res.status).toBe(200);
      const { token, expiresAt } = (await res.json()) as { token: string; expiresAt: string };
      const { claims } = await verifySessionToken(token, { key: boot.sessionKey, issuer: 'cardtrust', audience: 'cardtrust-sandbox', sessionId: created.sessionId });
      expect(claims.exp - claims.iat).toBe(300);
      expect(Date.parse(expiresAt)).toBe(claims.exp * 1000);
    }

    expect((await call(e, 'DELETE', `/v1/sessions/${created.sessionId}`)).status).toBe(204);
    const gone = await call(e, 'POST', `/v1/sessions/${created.sessionId}/token`);
    expect(gone.status).toBe(404);
    expect(await errorCode(gone)).toBe('ERR_SESSION_NOT_FOUND');
    const again = await call(e, 'DELETE', `/v1/sessions/${created.sessionId}`);
    expect(again.status).toBe(404);
    expect(await errorCode(again)).toBe('ERR_SESSION_NOT_FOUND');
  });

  it('issuer, audience and TTL come from the configuration', async () => {
    const e = sessionEnv(ec, { SESSION_ISSUER: 'my-cp', SESSION_AUDIENCE: 'my-box', SESSION_TTL_SECONDS: '120' });
    const created = await create(e);
    expect(Date.parse(created.expiresAt) - Date.now()).toBeLessThanOrEqual(120_000);
    const boot = await verifyBootstrapToken(created.bootstrapToken, { key: ec.publicPem, issuer: 'my-cp', audience: 'my-box', replayGuard: new MemoryReplayGuard() });
    expect(boot.claims.exp - boot.claims.iat).toBe(120);
    const { token } = (await (await call(e, 'POST', `/v1/sessions/${created.sessionId}/token`)).json()) as { token: string };
    expect((await verifySessionToken(token, { key: boot.sessionKey, issuer: 'my-cp', audience: 'my-box' })).claims.sub).toBe(created.sessionId);
  });

  it('a caller-chosen session id; the same id again is 409 ERR_SESSION_EXISTS', async () => {
    const id = unique('s-');
    const created = await create(env, { sessionId: id });
    expect(created.sessionId).toBe(id);
    const dup = await call(env, 'POST', '/v1/sessions', { body: { sessionId: id } });
    expect(dup.status).toBe(409);
    expect(await errorCode(dup)).toBe('ERR_SESSION_EXISTS');
    // the first session still works
    expect((await call(env, 'POST', `/v1/sessions/${id}/token`)).status).toBe(200);
    expect((await create(env, {})).sessionId).not.toBe(id);
  });

  it.each([
    ['an id with a slash', { sessionId: 'a/b' }, 400, 'ERR_REQUEST_INVALID'],
    ['an id too long', { sessionId: 'a'.repeat(129) }, 400, 'ERR_REQUEST_INVALID'],
    ['an id starting with a dot', { sessionId: '.hidden' }, 400, 'ERR_REQUEST_INVALID'],
    ['an empty id', { sessionId: '' }, 400, 'ERR_REQUEST_INVALID'],
    ['a numeric id', { sessionId: 5 }, 400, 'ERR_REQUEST_INVALID'],
    ['an unknown field', { sessionId: 'ok', ttl: 5 }, 400, 'ERR_REQUEST_INVALID'],
    ['an array body', [1], 400, 'ERR_REQUEST_INVALID'],
    ['malformed JSON', '{', 400, 'ERR_JSON_MALFORMED'],
    ['a body over 1 KiB', { sessionId: 'x'.repeat(2000) }, 413, 'ERR_BODY_TOO_LARGE'],
  ] as const)('create with %s → %s %s', async (_n, body, status, code) => {
    const res = await call(env, 'POST', '/v1/sessions', { body });
    expect(res.status).toBe(status);
    expect(await errorCode(res)).toBe(code);
  });

  it('a non-JSON body is 415', async () => {
    const res = await call(env, 'POST', '/v1/sessions', { body: 'sessionId=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
  });

  it('unknown session → 404 ERR_SESSION_NOT_FOUND; an invalid id in the path → 400', async () => {
    const res = await call(env, 'POST', '/v1/sessions/never-made/token');
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('ERR_SESSION_NOT_FOUND');
    expect((await call(env, 'POST', '/v1/sessions/%41bc/token')).status).toBe(400);
    expect((await call(env, 'POST', '/v1/sessions/a%2Fb/token')).status).toBe(400);
    expect((await call(env, 'POST', '/v1/sessions/_x/token')).status).toBe(400);
  });

  it('wrong methods are 405 with Allow', async () => {
    const res = await call(env, 'GET', '/v1/sessions');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('POST');
    expect((await call(env, 'GET', '/v1/sessions/x/token')).status).toBe(405);
  });

  it('session routes are rate limited with the /v1/* limiter', async () => {
    const e = sessionEnv(ec, { RATE_LIMIT: '2/1m' });
    const ip = unique('198.51.100.');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(e, 'POST', '/v1/sessions/none/token', { ip })).status);
    expect(statuses).toEqual([404, 404, 429]);
  });
});

describe('expiry and sealed keys (an app over a clocked store)', () => {
  function app(sealedKeys: MemorySealedKeyStore, extra: Record<string, string> = {}) {
    const config = parseWorkerConfig(sessionEnv(ec, extra));
    return createApp({ config, stores: { ...createStores({}), sealedKeys } });
  }
  const req = (method: string, path: string, body?: unknown) =>
    new Request(`https://cardtrust.test${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it('an expired session → 404 ERR_SESSION_NOT_FOUND, even with its key in the LRU', async () => {
    let t = 1_000_000;
    const store = new MemorySealedKeyStore({ now: () => t });
    const a = app(store, { SESSION_TTL_SECONDS: '60' });
    const { sessionId } = (await (await a.fetch(req('POST', '/v1/sessions'))).json()) as Created;
    expect((await a.fetch(req('POST', `/v1/sessions/${sessionId}/token`))).status).toBe(200);
    t += 60_000;
    const res = await a.fetch(req('POST', `/v1/sessions/${sessionId}/token`));
    expect(res.status).toBe(404);
    expect(await errorCode(res)).toBe('ERR_SESSION_NOT_FOUND');
  });

  it('a tampered sealed key → 500 ERR_SEALED_KEY_INVALID; another seal secret cannot open it', async () => {
    const store = new MemorySealedKeyStore();
    const a = app(store);
    const { sessionId } = (await (await a.fetch(req('POST', '/v1/sessions'))).json()) as Created;
    const sealed = (await store.get(sessionId))!;
    expect(sealed.startsWith('ctsk1.')).toBe(true);
    // another app (another isolate) with another secret over the same store
    const b = app(store, { SESSION_SEAL_SECRET: 'another-seal-secret-0123456789abcdef0123' });
    const res = await b.fetch(req('POST', `/v1/sessions/${sessionId}/token`));
    expect(res.status).toBe(500);
    expect(await errorCode(res)).toBe('ERR_SEALED_KEY_INVALID');
    // a key copied to another session's slot does not open (AAD = session id)
    await store.put('copied', sealed, 60_000);
    expect(await errorCode(await a.fetch(req('POST', '/v1/sessions/copied/token')))).toBe('ERR_SEALED_KEY_INVALID');
    // a modified blob replaces the cached key: the LRU never answers for other bytes
    await store.put(sessionId, sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'AQ' : 'AA'), 60_000);
    expect(await errorCode(await a.fetch(req('POST', `/v1/sessions/${sessionId}/token`)))).toBe('ERR_SEALED_KEY_INVALID');
    await store.put(sessionId, sealed, 60_000);
    expect((await a.fetch(req('POST', `/v1/sessions/${sessionId}/token`))).status).toBe(200);
  });
});
