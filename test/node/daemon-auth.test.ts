/**
 * The daemon's two-stage auth over real HTTP: /init with bootstrap tokens (ES256 and RS256, JWK
 * and PEM session keys), idempotent re-init, 409 for another key, replay, rate limit; session
 * tokens on /api/* with precise 401 codes; 503 before init.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryReplayGuard } from '../../shared/store/memory-replay-guard.js';
import { TokenBucketLimiter } from '../../node-adapter/daemon/index.js';
import { bootstrapSigner, mintBootstrap, mintSession, postJson, sessionKeys, startDaemon, type TestDaemon } from '../support/daemon.js';
import * as jose from 'jose';

const daemons: TestDaemon[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.close()));
});
async function daemon(opts: Parameters<typeof startDaemon>[0] = {}): Promise<TestDaemon> {
  const d = await startDaemon({ initLimiter: new TokenBucketLimiter({ perSecond: 1000, burst: 1000 }), ...opts });
  daemons.push(d);
  return d;
}
async function init(d: TestDaemon, token: string) {
  const res = await fetch(`${d.url}/init`, postJson({ token }));
  return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
}
const execTrue = (d: TestDaemon, token?: string) =>
  fetch(`${d.url}/api/execute`, { ...postJson({ command: ['true'] }), headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
async function errorOf(res: Response) {
  return { status: res.status, code: ((await res.json()) as { error: { code: string } }).error.code };
}

describe('POST /init', () => {
  it('registers the session key once and answers its RFC 7638 thumbprint', async () => {
    const d = await daemon();
    const r = await init(d, await mintBootstrap(d.signer, d.session));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'initialized', session_id: 'sess-1', session_key_thumbprint: await jose.calculateJwkThumbprint(d.session.publicJwk as jose.JWK),
      success: true, message: 'Server initialized successfully. This Picod instance is now locked to your public key.',
    });
    expect(d.app.state()).toEqual({ initialized: true, thumbprint: r.body.session_key_thumbprint });
  });

  it('answers 200 already_initialized for the same key (new token, and the very same token again)', async () => {
    const d = await daemon();
    const first = await mintBootstrap(d.signer, d.session);
    expect((await init(d, first)).status).toBe(200);
    const again = await init(d, first);
    expect([again.status, again.body.status]).toEqual([200, 'already_initialized']);
    const fresh = await init(d, await mintBootstrap(d.signer, d.session));
    expect([fresh.status, fresh.body.status]).toEqual([200, 'already_initialized']);
  });

  it('answers 409 ERR_ALREADY_INITIALIZED for another key', async () => {
    const d = await daemon();
    await d.init();
    const r = await init(d, await mintBootstrap(d.signer, await sessionKeys()));
    expect([r.status, r.body.error.code]).toEqual([409, 'ERR_ALREADY_INITIALIZED']);
  });

  it('refuses a bootstrap token replayed against a second daemon sharing the replay guard', async () => {
    const replayGuard = new MemoryReplayGuard();
    const signer = await bootstrapSigner();
    const a = await daemon({ replayGuard, signer });
    const b = await daemon({ replayGuard, signer });
    const token = await mintBootstrap(signer, a.session);
    expect((await init(a, token)).status).toBe(200);
    const r = await init(b, token);
    expect([r.status, r.body.error.code]).toEqual([401, 'ERR_TOKEN_REPLAYED']);
    expect(b.app.state().initialized).toBe(false);
  });

  it('refuses a replayed token carrying another key on an initialized daemon (401, not 409)', async () => {
    const replayGuard = new MemoryReplayGuard();
    const signer = await bootstrapSigner();
    const a = await daemon({ replayGuard, signer });
    const b = await daemon({ replayGuard, signer });
    await a.init();
    const other = await mintBootstrap(signer, b.session);
    expect((await init(b, other)).status).toBe(200);
    const r = await init(a, other);
    expect([r.status, r.body.error.code]).toEqual([401, 'ERR_TOKEN_REPLAYED']);
  });

  it('accepts RS256 bootstrap tokens and a PEM SPKI session_public_key (AgentCube format)', async () => {
    const d = await daemon({ signer: await bootstrapSigner('RS256') });
    const pk = await jose.importJWK(d.session.publicJwk as jose.JWK, 'ES256', { extractable: true } as never);
    const pem = await jose.exportSPKI(pk as CryptoKey);
    const r = await init(d, await mintBootstrap(d.signer, { publicJwk: pem }));
    expect([r.status, r.body.status]).toEqual([200, 'initialized']);
    expect((await execTrue(d, await mintSession(d.session))).status).toBe(200);
  });

  const now = () => Math.floor(Date.now() / 1000);
  it.each<[string, Record<string, unknown>, string]>([
    ['expired', { iat: now() - 400, exp: now() - 100 }, 'ERR_JWT_EXPIRED'],
    ['future-dated', { iat: now() + 600, exp: now() + 800 }, 'ERR_JWT_NOT_YET_VALID'],
    ['wrong aud', { aud: 'someone-else' }, 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['wrong iss', { iss: 'evil' }, 'ERR_JWT_CLAIM_INVALID'],
    ['wrong sub', { sub: 'sess-2' }, 'ERR_JWT_CLAIM_INVALID'],
    ['missing jti', { jti: undefined }, 'ERR_JWT_CLAIM_INVALID'],
    ['too long a lifetime', { exp: now() + 3600 }, 'ERR_JWT_CLAIM_INVALID'],
  ])('refuses a bootstrap token that is %s (401 %s)', async (_name, claims, code) => {
    const d = await daemon();
    const r = await init(d, await mintBootstrap(d.signer, d.session, claims));
    expect([r.status, r.body.error.code]).toEqual([401, code]);
    expect(d.app.state().initialized).toBe(false);
  });

  it('refuses a token signed by another key, alg confusion, and garbage', async () => {
    const d = await daemon();
    const other = await bootstrapSigner();
    expect((await init(d, await mintBootstrap(other, d.session))).body.error.code).toBe('ERR_JWS_SIGNATURE_INVALID');
    const hs = await new jose.SignJWT({ sub: 'sess-1' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(d.signer.publicPem));
    expect((await init(d, hs)).status).toBe(401);
    const g = await init(d, 'not-a-token');
    expect([g.status, g.body.error.code]).toEqual([401, 'ERR_JWS_MALFORMED']);
  });

  it('refuses a body without a token (400)', async () => {
    const d = await daemon();
    const res = await fetch(`${d.url}/init`, postJson({ public_key: 'x' }));
    expect(await errorOf(res)).toEqual({ status: 400, code: 'ERR_REQUEST_INVALID' });
  });

  it('rate-limits /init with a token bucket (default 2/s, burst 5) → 429 ERR_RATE_LIMITED', async () => {
    const d = await startDaemon();
    daemons.push(d);
    const results = await Promise.all(Array.from({ length: 9 }, () => fetch(`${d.url}/init`, postJson({ token: 'x' }))));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(results.filter((r) => r.status !== 429).length).toBeGreaterThanOrEqual(5);
    expect(await errorOf(limited[0]!)).toEqual({ status: 429, code: 'ERR_RATE_LIMITED' });
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('token bucket: burst, then refill at the rate', async () => {
    let t = 0;
    const b = new TokenBucketLimiter({ perSecond: 2, burst: 5, now: () => t });
    const take = async () => (await b.limit('k')).success;
    for (let i = 0; i < 5; i++) expect(await take()).toBe(true);
    expect(await take()).toBe(false);
    t += 499;
    expect(await take()).toBe(false);
    t += 1;
    expect(await take()).toBe(true);
    expect(await take()).toBe(false);
  });
});

describe('/api/* authentication', () => {
  it('answers 503 ERR_DAEMON_NOT_INITIALIZED before /init', async () => {
    const d = await daemon();
    expect(await errorOf(await execTrue(d, await mintSession(d.session)))).toEqual({ status: 503, code: 'ERR_DAEMON_NOT_INITIALIZED' });
  });

  it('answers 401 with a precise code for a missing, malformed or wrong token', async () => {
    const d = await daemon();
    await d.init();
    expect(await errorOf(await execTrue(d))).toEqual({ status: 401, code: 'ERR_UNAUTHENTICATED' });
    const basic = await fetch(`${d.url}/api/files?path=.`, { headers: { authorization: 'Basic eDp5' } });
    expect(await errorOf(basic)).toEqual({ status: 401, code: 'ERR_UNAUTHENTICATED' });
    expect(await errorOf(await execTrue(d, 'garbage'))).toEqual({ status: 401, code: 'ERR_JWS_MALFORMED' });
    expect(await errorOf(await execTrue(d, await mintSession(await sessionKeys())))).toEqual({ status: 401, code: 'ERR_JWS_SIGNATURE_INVALID' });
    const n = Math.floor(Date.now() / 1000);
    expect(await errorOf(await execTrue(d, await mintSession(d.session, { iat: n - 400, exp: n - 100 })))).toEqual({ status: 401, code: 'ERR_JWT_EXPIRED' });
    expect(await errorOf(await execTrue(d, await mintSession(d.session, { aud: 'x' })))).toEqual({ status: 401, code: 'ERR_JWT_AUDIENCE_MISMATCH' });
    expect(await errorOf(await execTrue(d, await mintSession(d.session, { sub: 'other' })))).toEqual({ status: 401, code: 'ERR_JWT_CLAIM_INVALID' });
    const res = await execTrue(d, 'garbage');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('accepts a valid session token and ignores unknown headers (x-agentcube-session-id)', async () => {
    const d = await daemon();
    await d.init();
    const res = await fetch(`${d.url}/api/execute`, {
      ...postJson({ command: ['true'] }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await mintSession(d.session)}`, 'x-agentcube-session-id': 'whatever' },
    });
    expect(res.status).toBe(200);
  });

  it('leaves /health open', async () => {
    const d = await daemon();
    expect((await fetch(`${d.url}/health`)).status).toBe(200);
  });
});
