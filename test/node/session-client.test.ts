/**
 * The session client helpers (node-adapter/session) against real HTTP servers on 127.0.0.1 that
 * answer `/init` and `/api/*` the way a daemon does, including its failure modes (a dropped answer,
 * a hang, 409 for our key and for another, 503, 429, a replayed token): the retry and success rules
 * of lesson 5. The full flow against the real daemon is in session-e2e.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, calculateJwkThumbprint, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneClient, SandboxClient, initializeSandbox, bootstrapKeyThumbprint } from '../../node-adapter/session/index.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse, n: number) => void;

let server: http.Server;
let base = '';
let handler: Handler = () => {};
let hits = 0;
const bodies: string[] = [];
const headers: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      bodies.push(body);
      headers.push(req.headers);
      handler(req, body, res, hits++);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function serve(h: Handler): void {
  handler = h;
  hits = 0;
  bodies.length = 0;
  headers.length = 0;
}

function json(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...extra }).end(JSON.stringify(body));
}

async function bootstrap(pem = false): Promise<{ token: string; thumbprint: string }> {
  const session = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(session.publicKey);
  const signer = await generateKeyPair('ES256');
  const token = await new SignJWT({ session_public_key: pem ? await exportSPKI(session.publicKey) : jwk })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer('cardtrust').setSubject('s1').setAudience('cardtrust-sandbox').setJti('j1').setIssuedAt().setExpirationTime('5m')
    .sign(signer.privateKey);
  return { token, thumbprint: await calculateJwkThumbprint(jwk, 'sha256') };
}

const fast = { backoffMs: 1, timeoutMs: 2000 };

describe('initializeSandbox', () => {
  it('the thumbprint of the token’s session_public_key, as a JWK or a PEM SPKI string', async () => {
    for (const pem of [false, true]) {
      const b = await bootstrap(pem);
      expect(await bootstrapKeyThumbprint(b.token)).toBe(b.thumbprint);
    }
  });

  it('200 initialized with our key → success, one request carrying the token', async () => {
    const b = await bootstrap();
    serve((req, _body, res) => json(res, 200, { status: 'initialized', session_id: 's1', session_key_thumbprint: b.thumbprint }));
    expect(await initializeSandbox(base, b.token, fast)).toEqual({ status: 'initialized', thumbprint: b.thumbprint });
    expect(hits).toBe(1);
    expect(JSON.parse(bodies[0]!)).toEqual({ token: b.token });
  });

  it('a dropped first answer: the retry (same token) gets 200 already_initialized → success', async () => {
    const b = await bootstrap();
    serve((req, _body, res, n) => {
      if (n === 0) return req.socket.destroy();
      json(res, 200, { status: 'already_initialized', session_id: 's1', session_key_thumbprint: b.thumbprint });
    });
    expect(await initializeSandbox(base, b.token, fast)).toEqual({ status: 'already_initialized', thumbprint: b.thumbprint });
    expect(hits).toBe(2);
    expect(bodies[0]).toBe(bodies[1]);
  });

  it('a first attempt that hangs past timeoutMs is abandoned and retried', async () => {
    const b = await bootstrap();
    serve((_req, _body, res, n) => {
      if (n === 0) return; // never answers
      json(res, 200, { status: 'already_initialized', session_key_thumbprint: b.thumbprint });
    });
    expect((await initializeSandbox(base, b.token, { backoffMs: 1, timeoutMs: 200 })).status).toBe('already_initialized');
    expect(hits).toBe(2);
  });

  it('409 naming our key → success; 409 for another key → ERR_ALREADY_INITIALIZED, not retried', async () => {
    const b = await bootstrap();
    serve((_req, _body, res) => json(res, 409, { error: { code: 'ERR_ALREADY_INITIALIZED', message: 'initialized with another key' }, session_key_thumbprint: b.thumbprint }));
    expect(await initializeSandbox(base, b.token, fast)).toEqual({ status: 'already_initialized', thumbprint: b.thumbprint });
    serve((_req, _body, res) => json(res, 409, { error: { code: 'ERR_ALREADY_INITIALIZED', message: 'initialized with another key' }, session_key_thumbprint: 'other' }));
    await expect(initializeSandbox(base, b.token, fast)).rejects.toMatchObject({ code: 'ERR_ALREADY_INITIALIZED', status: 409 });
    expect(hits).toBe(1);
    serve((_req, _body, res) => json(res, 409, { error: { code: 'ERR_ALREADY_INITIALIZED', message: 'x' } }));
    await expect(initializeSandbox(base, b.token, fast)).rejects.toMatchObject({ code: 'ERR_ALREADY_INITIALIZED' });
  });

  it('a 200 registering another key is not success', async () => {
    const b = await bootstrap();
    serve((_req, _body, res) => json(res, 200, { status: 'already_initialized', session_key_thumbprint: 'someone-else' }));
    await expect(initializeSandbox(base, b.token, fast)).rejects.toMatchObject({ code: 'ERR_ALREADY_INITIALIZED' });
  });

  it.each([
    [503, 'ERR_STORE_UNAVAILABLE'],
    [429, 'ERR_RATE_LIMITED'],
  ])('%i %s is retried, then the daemon answers', async (status, code) => {
    const b = await bootstrap();
    serve((_req, _body, res, n) =>
      n < 2 ? json(res, status, { error: { code, message: 'not now' } }) : json(res, 200, { status: 'initialized', session_key_thumbprint: b.thumbprint }),
    );
    expect((await initializeSandbox(base, b.token, fast)).status).toBe('initialized');
    expect(hits).toBe(3);
  });

  it('retries are bounded: the last failure is reported with the daemon’s code', async () => {
    const b = await bootstrap();
    serve((_req, _body, res) => json(res, 503, { error: { code: 'ERR_STORE_UNAVAILABLE', message: 'store unavailable' } }));
    await expect(initializeSandbox(base, b.token, { ...fast, retries: 2 })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    expect(hits).toBe(3);
  });

  it.each([
    [401, 'ERR_TOKEN_REPLAYED'],
    [401, 'ERR_JWT_EXPIRED'],
    [400, 'ERR_REQUEST_INVALID'],
  ])('%i %s is final (the same token would fail the same way)', async (status, code) => {
    const b = await bootstrap();
    serve((_req, _body, res) => json(res, status, { error: { code, message: 'no' } }));
    await expect(initializeSandbox(base, b.token, fast)).rejects.toMatchObject({ code, status });
    expect(hits).toBe(1);
  });

  it('nothing listening → ERR_FETCH_FAILED after the retries', async () => {
    const b = await bootstrap();
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    await expect(initializeSandbox(url, b.token, { ...fast, retries: 1 })).rejects.toMatchObject({ code: 'ERR_FETCH_FAILED' });
  });

  it.each([
    ['not-a-jwt', 'ERR_JWS_MALFORMED'],
  ])('a token that is not a JWT (%s) is %s before any request', async (token, code) => {
    serve(() => {});
    await expect(initializeSandbox(base, token, fast)).rejects.toMatchObject({ code });
    expect(hits).toBe(0);
  });

  it('expectedThumbprint other than the token’s key → ERR_INPUT_INVALID', async () => {
    const b = await bootstrap();
    await expect(initializeSandbox(base, b.token, { ...fast, expectedThumbprint: 'x' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});

describe('SandboxClient', () => {
  it('execute, files, list, delete: PicoD wire shapes with the bearer token', async () => {
    let n = 0;
    const tokens = async () => `tok-${n++}`;
    serve((req, body, res) => {
      const url = new URL(req.url!, base);
      if (req.method === 'POST' && url.pathname === '/api/execute') {
        return json(res, 200, { stdout: 'hi\n', stderr: '', exit_code: 42, duration: 0.01, start_time: 't0', end_time: 't1', timed_out: false, truncated: false, echo: JSON.parse(body) });
      }
      if (req.method === 'POST' && url.pathname === '/api/files') {
        const b = JSON.parse(body);
        return json(res, 200, { path: b.path, size: Buffer.from(b.content, 'base64').length, mode: b.mode ?? '0644', modified: 'm' });
      }
      if (req.method === 'GET' && url.pathname === '/api/files') {
        return json(res, 200, { files: [{ name: 'a b.txt', size: 3, modified: 'm', mode: '0644', is_dir: false }, { name: 'd', size: 0, modified: 'm', mode: '0755', is_dir: true }] });
      }
      if (req.method === 'GET' && url.pathname === '/api/files/dir/a%20b.txt') {
        return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 1, 2]));
      }
      if (req.method === 'DELETE' && url.pathname === '/api/files/dir/a%20b.txt') return res.writeHead(204).end();
      json(res, 404, { error: { code: 'ERR_FILE_NOT_FOUND', message: 'no such file' } });
    });
    const c = new SandboxClient({ daemonUrl: `${base}/`, token: tokens });
    const r = await c.execute(['sh', '-c', 'exit 42'], { timeout: '5s', workingDir: 'sub', env: { A: '1' } });
    expect(r).toMatchObject({ stdout: 'hi\n', exitCode: 42, timedOut: false, truncated: false, duration: 0.01 });
    expect(JSON.parse(bodies[0]!)).toEqual({ command: ['sh', '-c', 'exit 42'], timeout: '5s', working_dir: 'sub', env: { A: '1' } });
    expect(await c.writeFile('dir/a b.txt', 'abc', '0600')).toEqual({ path: 'dir/a b.txt', size: 3, mode: '0600', modified: 'm' });
    expect(JSON.parse(bodies[1]!)).toEqual({ path: 'dir/a b.txt', content: 'YWJj', mode: '0600' });
    expect(await c.listFiles('dir')).toEqual([
      { name: 'a b.txt', size: 3, modified: 'm', mode: '0644', isDir: false },
      { name: 'd', size: 0, modified: 'm', mode: '0755', isDir: true },
    ]);
    expect(await c.readFile('dir/a b.txt')).toEqual(new Uint8Array([0, 1, 2]));
    await c.deleteFile('dir/a b.txt');
    await expect(c.readFile('nope')).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND', status: 404 });
    expect(headers.map((h) => h.authorization)).toEqual(['tok-0', 'tok-1', 'tok-2', 'tok-3', 'tok-4', 'tok-5'].map((t) => `Bearer ${t}`));
  });

  it('a timeout that is not a Go duration is refused before sending; a bad answer is ERR_FETCH_FAILED', async () => {
    serve((_req, _body, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('not json'));
    const c = new SandboxClient({ daemonUrl: base, token: 't' });
    await expect(c.execute(['true'], { timeout: '10' })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(hits).toBe(0);
    await expect(c.execute(['true'])).rejects.toMatchObject({ code: 'ERR_FETCH_FAILED' });
    await expect(c.execute([])).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});

describe('ControlPlaneClient', () => {
  it('create, token, delete with the bearer; errors keep the worker’s code', async () => {
    serve((req, body, res) => {
      if (req.headers.authorization !== 'Bearer cp-secret') return json(res, 401, { error: { code: 'ERR_UNAUTHENTICATED', message: 'bad token' } });
      if (req.method === 'POST' && req.url === '/v1/sessions') {
        const sessionId = (JSON.parse(body || '{}') as { sessionId?: string }).sessionId ?? 'gen-1';
        return json(res, 201, { sessionId, bootstrapToken: 'bt', sessionKeyThumbprint: 'tp', expiresAt: 'e' });
      }
      if (req.method === 'POST' && req.url === '/v1/sessions/a%2Fb/token') return json(res, 200, { token: 'st', expiresAt: 'e2' });
      if (req.method === 'DELETE' && req.url === '/v1/sessions/a%2Fb') return res.writeHead(204).end();
      json(res, 404, { error: { code: 'ERR_SESSION_NOT_FOUND', message: 'no such session' } });
    });
    const cp = new ControlPlaneClient({ url: base, token: 'cp-secret' });
    expect(await cp.createSession()).toEqual({ sessionId: 'gen-1', bootstrapToken: 'bt', sessionKeyThumbprint: 'tp', expiresAt: 'e' });
    expect((await cp.createSession({ sessionId: 'mine' })).sessionId).toBe('mine');
    expect(await cp.sessionToken('a/b')).toEqual({ token: 'st', expiresAt: 'e2' });
    await cp.deleteSession('a/b');
    await expect(cp.sessionToken('gone')).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND', status: 404 });
    await expect(new ControlPlaneClient({ url: base, token: 'wrong' }).createSession()).rejects.toMatchObject({ code: 'ERR_UNAUTHENTICATED', status: 401 });
    expect(() => new ControlPlaneClient({ url: 'ftp://x', token: 't' })).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});
