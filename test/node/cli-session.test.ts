/**
 * `cardtrust session …` as a real child process, against a real HTTP server on 127.0.0.1 speaking
 * the control plane's and the daemon's wire (the full flow against the real worker and daemon is in
 * session-e2e.test.ts): where secrets come from, output, exit codes, error lines.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, expectError } from '../support/cli.js';

let server: http.Server;
let base = '';
let dir = '';
let bootstrapToken = '';
let thumbprint = '';
const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-cli-session-'));
  const session = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(session.publicKey);
  thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
  bootstrapToken = await new SignJWT({ session_public_key: jwk })
    .setProtectedHeader({ alg: 'ES256' }).setIssuer('cardtrust').setSubject('demo').setAudience('cardtrust-sandbox')
    .setJti('j').setIssuedAt().setExpirationTime('5m').sign((await generateKeyPair('ES256')).privateKey);
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      const cp = req.headers.authorization === 'Bearer cp-secret';
      if (req.url!.startsWith('/v1/') && !cp) return json(res, 401, { error: { code: 'ERR_UNAUTHENTICATED', message: 'control-plane token required' } });
      if (req.method === 'POST' && req.url === '/v1/sessions') {
        return json(res, 201, { sessionId: JSON.parse(body || '{}').sessionId ?? 'gen', bootstrapToken, sessionKeyThumbprint: thumbprint, expiresAt: '2026-12-02T00:05:00Z' });
      }
      if (req.method === 'POST' && req.url === '/v1/sessions/demo/token') return json(res, 200, { token: 'a.b.c', expiresAt: 'e' });
      if (req.method === 'DELETE' && req.url === '/v1/sessions/demo') return res.writeHead(204).end();
      if (req.url!.startsWith('/v1/')) return json(res, 404, { error: { code: 'ERR_SESSION_NOT_FOUND', message: 'no such session' } });
      if (req.method === 'POST' && req.url === '/init') {
        return JSON.parse(body).token === bootstrapToken
          ? json(res, 200, { status: 'initialized', session_id: 'demo', session_key_thumbprint: thumbprint })
          : json(res, 401, { error: { code: 'ERR_TOKEN_REPLAYED', message: 'bootstrap token already used' } });
      }
      if (req.method === 'POST' && req.url === '/api/execute') {
        if (req.headers.authorization !== 'Bearer a.b.c') return json(res, 401, { error: { code: 'ERR_UNAUTHENTICATED', message: 'session token required' } });
        const { command } = JSON.parse(body) as { command: string[] };
        return json(res, 200, { stdout: `out:${command.join(' ')}\n`, stderr: 'err\n', exit_code: Number(command.at(-1)) || 0, duration: 0.001, start_time: 's', end_time: 'e', timed_out: command[0] === 'sleep', truncated: false });
      }
      json(res, 404, { error: { code: 'ERR_ROUTE_NOT_FOUND', message: 'no route' } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await writeFile(join(dir, 'cp.token'), 'cp-secret\n');
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const noCp = { CARDTRUST_CONTROL_PLANE_TOKEN: '' };

describe('cardtrust session (control plane)', () => {
  it('create: the bearer from --token-file; JSON out; --bootstrap-out writes the token 0600', async () => {
    const run = await cli(['session', 'create', '--control-plane', base, '--token-file', 'cp.token', '--session-id', 'demo', '--bootstrap-out', 'b.jwt'], dir, { env: noCp });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ sessionId: 'demo', bootstrapToken, sessionKeyThumbprint: thumbprint, expiresAt: '2026-12-02T00:05:00Z' });
    expect(await readFile(join(dir, 'b.jwt'), 'utf8')).toBe(`${bootstrapToken}\n`);
    expect((await stat(join(dir, 'b.jwt'))).mode & 0o777).toBe(0o600);
    expect(seen.at(-1)).toMatchObject({ auth: 'Bearer cp-secret', body: '{"sessionId":"demo"}' });
  });

  it('token and delete: the bearer from CARDTRUST_CONTROL_PLANE_TOKEN', async () => {
    const env = { CARDTRUST_CONTROL_PLANE_TOKEN: 'cp-secret' };
    const tok = await cli(['session', 'token', 'demo', '--control-plane', base, '--out', 's.jwt'], dir, { env });
    expect(tok.code, tok.stderr).toBe(0);
    expect(JSON.parse(tok.stdout)).toEqual({ token: 'a.b.c', expiresAt: 'e' });
    expect(await readFile(join(dir, 's.jwt'), 'utf8')).toBe('a.b.c\n');
    const del = await cli(['session', 'delete', 'demo', '--control-plane', base], dir, { env });
    expect({ code: del.code, stdout: del.stdout }).toEqual({ code: 0, stdout: 'deleted demo\n' });
  });

  it('errors keep the worker’s code: exit 1 with one line', async () => {
    expectError(await cli(['session', 'token', 'gone', '--control-plane', base, '--token-file', 'cp.token'], dir, { env: noCp }), 1, 'ERR_SESSION_NOT_FOUND');
    await writeFile(join(dir, 'bad.token'), 'wrong');
    expectError(await cli(['session', 'create', '--control-plane', base, '--token-file', 'bad.token'], dir, { env: noCp }), 1, 'ERR_UNAUTHENTICATED');
  });

  it.each([
    [['session', 'create', '--control-plane', 'URL'], 'ERR_USAGE'],
    [['session', 'create'], 'ERR_USAGE'],
    [['session', 'create', '--control-plane', 'http://127.0.0.1:1'], 'ERR_USAGE'], // no bearer anywhere
    [['session', 'create', '--control-plane', 'http://127.0.0.1:1', '--token-file', 'missing'], 'ERR_FILE_UNREADABLE'],
    [['session', 'create', '--control-plane', 'http://127.0.0.1:1', '--token', 'x'], 'ERR_USAGE'], // never a flag value
    [['session', 'token', '--control-plane', 'http://127.0.0.1:1'], 'ERR_USAGE'],
  ])('%j → exit 2 %s', async (args, code) => {
    expectError(await cli(args, dir, { env: noCp }), 2, code);
  });
});

describe('cardtrust session (daemon)', () => {
  it('init: --token-file, --token - (stdin), --token VALUE', async () => {
    await writeFile(join(dir, 'boot.jwt'), `${bootstrapToken}\n`);
    for (const [args, input] of [
      [['--token-file', 'boot.jwt'], undefined],
      [['--token', '-'], `${bootstrapToken}\n`],
      [['--token', bootstrapToken], undefined],
    ] as const) {
      const run = await cli(['session', 'init', '--daemon', base, ...args], dir, input === undefined ? {} : { input });
      expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({ code: 0, stdout: `initialized ${thumbprint}\n`, stderr: '' });
    }
  });

  it('init: the daemon’s refusal is the error line (exit 1); a token that is not a JWT is exit 2', async () => {
    const other = `${bootstrapToken.split('.').slice(0, 2).join('.')}.AAAA`;
    expectError(await cli(['session', 'init', '--daemon', base, '--token', other, '--retries', '0'], dir), 1, 'ERR_TOKEN_REPLAYED');
    expectError(await cli(['session', 'init', '--daemon', base, '--token', 'nope'], dir), 2, 'ERR_JWS_MALFORMED');
    expectError(await cli(['session', 'init', '--daemon', base], dir), 2, 'ERR_USAGE');
    expectError(await cli(['session', 'init', '--daemon', base, '--token', bootstrapToken, '--retries', 'x'], dir), 2, 'ERR_USAGE');
  });

  it('exec: prints the command’s stdout and stderr and exits with its exit code', async () => {
    for (const code of [0, 1, 42]) {
      const run = await cli(['session', 'exec', '--daemon', base, '--token-file', 's.jwt', '--', 'sh', '-c', 'x', String(code)], dir);
      expect(run).toEqual({ code, stdout: `out:sh -c x ${code}\n`, stderr: 'err\n' });
    }
    const timedOut = await cli(['session', 'exec', '--daemon', base, '--token', 'a.b.c', '--', 'sleep', '124'], dir);
    expect(timedOut.code).toBe(124);
    expect(timedOut.stderr).toContain('cardtrust: note: the command timed out');
  });

  it('exec: a session token minted on the fly with --control-plane and --session-id; --env, --timeout, --workdir are sent', async () => {
    const run = await cli(
      ['session', 'exec', '--daemon', base, '--control-plane', base, '--session-id', 'demo', '--control-plane-token-file', 'cp.token',
        '--timeout', '5s', '--workdir', 'sub', '--env', 'A=1=2', '--', 'echo', '--help'],
      dir, { env: noCp },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('out:echo --help\n');
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ command: ['echo', '--help'], timeout: '5s', working_dir: 'sub', env: { A: '1=2' } });
  });

  it.each([
    [['session', 'exec', '--daemon', 'http://127.0.0.1:1', '--', 'true'], 'ERR_USAGE'],
    [['session', 'exec', '--daemon', 'http://127.0.0.1:1', '--token', 'a.b.c'], 'ERR_USAGE'],
    [['session', 'exec', '--daemon', 'http://127.0.0.1:1', '--token', 'a.b.c', '--env', 'NOEQ', '--', 'true'], 'ERR_USAGE'],
    [['session', 'exec', '--daemon', 'http://127.0.0.1:1', '--token', 'a.b.c', '--timeout', '10', '--', 'true'], 'ERR_USAGE'],
  ])('%j → exit 2 %s', async (args, code) => {
    expectError(await cli(args, dir), 2, code);
  });

  it('exec: an unauthenticated call is the daemon’s 401 code, exit 1', async () => {
    expectError(await cli(['session', 'exec', '--daemon', base, '--token', 'x.y.z', '--', 'true'], dir), 1, 'ERR_UNAUTHENTICATED');
  });
});
