/**
 * `cardtrust daemon --auth mtls|both` end to end: the real process on 127.0.0.1 with SVID files on
 * disk, real mTLS clients. mtls: the allowed client calls /api/* with no token; other IDs, foreign
 * CAs and clients without a certificate are refused; /init does not exist. both: the certificate
 * and the session token. Refusals to start: each is exit 2 with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { TestCA, type SVID } from '../support/ca.js';
import { BIN, cli, expectError } from '../support/cli.js';
import { bootstrapSigner, mintBootstrap, mintSession, sessionKeys, type BootstrapSigner, type SessionKeys } from '../support/daemon.js';
import { material, waitFor, writeAtomic } from '../support/mtls.js';
import { StaticX509Source } from '../../node-adapter/spiffe/index.js';
import { authorizeId, mtlsFetch } from '../../node-adapter/mtls/index.js';

const DAEMON_ID = 'spiffe://example.org/sandbox/daemon';
const CLIENT_ID = 'spiffe://example.org/control-plane';

let root: string;
let ca: TestCA;
let client: StaticX509Source;
let intruder: StaticX509Source;
let signer: BootstrapSigner;

interface Running {
  url: string;
  out: () => string;
  stop: () => Promise<number | null>;
}

async function startDaemon(args: string[]): Promise<Running> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'daemon', '--host', '127.0.0.1', '--port', '0', '--workspace', join(root, `ws-${Math.random().toString(36).slice(2)}`), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  let url: string | undefined;
  while (!url) {
    url = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}: ${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url,
    out: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

const call = async (source: StaticX509Source, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
  const res = await mtlsFetch(url, { source, authorize: authorizeId(DAEMON_ID), ...init });
  const text = await res.text();
  let body: { error?: { code?: string } } & Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON
  }
  return { status: res.status, body };
};

const execute = (token?: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify({ command: ['echo', 'hello'] }),
});

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cardtrust-daemon-mtls-'));
  ca = await TestCA.create({ trustDomain: 'example.org' });
  const daemonSvid: SVID = await ca.issueSVID(DAEMON_ID);
  await writeAtomic(join(root, 'svid'), material(daemonSvid, ca.rootPem));
  await mkdir(join(root, 'empty'));
  client = await StaticX509Source.create(material(await ca.issueSVID(CLIENT_ID), ca.rootPem));
  intruder = await StaticX509Source.create(material(await ca.issueSVID('spiffe://example.org/intruder'), ca.rootPem));
  signer = await bootstrapSigner();
  await writeFile(join(root, 'bootstrap_pub.pem'), signer.publicPem);
});

afterAll(async () => {
  await client.close();
  await intruder.close();
  await rm(root, { recursive: true, force: true });
});

describe('--auth mtls', () => {
  let d: Running;
  beforeAll(async () => {
    d = await startDaemon(['--auth', 'mtls', '--svid-dir', 'svid', '--allowed-client-id', CLIENT_ID]);
  });
  afterAll(async () => expect(await d.stop()).toBe(0));

  it('the listening line says the mode, the allowed clients and the daemon SVID', () => {
    expect(d.out()).toMatch(new RegExp(`auth mtls; clients ${CLIENT_ID}; svid ${DAEMON_ID}\\)`));
    expect(d.out()).not.toContain('replay guard');
  });

  it('the allowed client runs a command with no token', async () => {
    const r = await call(client, `${d.url}/api/execute`, execute());
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stdout: 'hello\n', exit_code: 0 });
  });

  it('another SPIFFE ID of the same trust domain: 403 ERR_PEER_NOT_AUTHORIZED, logged with its ID', async () => {
    const r = await call(intruder, `${d.url}/api/execute`, execute());
    expect(r.status).toBe(403);
    expect(r.body.error?.code).toBe('ERR_PEER_NOT_AUTHORIZED');
    // the log line comes on the daemon's stderr, which may arrive after the response
    await waitFor(() => d.out().includes('refused spiffe://example.org/intruder'), 5000, 'the refusal log line');
  });

  it('a client of a CA the daemon does not trust: 403 ERR_PEER_CERTIFICATE_INVALID', async () => {
    const foreignCa = await TestCA.create({ trustDomain: 'example.org' });
    // the client trusts the daemon's CA, but its own certificate comes from elsewhere
    const svid = await foreignCa.issueSVID(CLIENT_ID);
    const s = await StaticX509Source.create({ ...material(svid, foreignCa.rootPem) });
    const res = await new Promise<string>((resolve) => {
      let data = '';
      const sock = connect({ host: '127.0.0.1', port: Number(new URL(d.url).port), rejectUnauthorized: false, cert: svid.pem, key: svid.keyPem });
      sock.on('secureConnect', () => sock.write('POST /api/execute HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}'));
      sock.on('data', (c) => (data += c));
      sock.on('close', () => resolve(data));
      sock.on('error', () => resolve(data));
    });
    expect(res).toMatch(/^HTTP\/1\.1 403/);
    expect(res).toContain('"code":"ERR_PEER_CERTIFICATE_INVALID"');
    expect(res).toContain('"reason":"ERR_X509_CHAIN_UNTRUSTED"');
    await s.close();
  });

  it('no client certificate: 401 ERR_PEER_CERTIFICATE_REQUIRED', async () => {
    const res = await new Promise<string>((resolve) => {
      let data = '';
      const sock = connect({ host: '127.0.0.1', port: Number(new URL(d.url).port), rejectUnauthorized: false });
      sock.on('secureConnect', () => sock.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\n'));
      sock.on('data', (c) => (data += c));
      sock.on('close', () => resolve(data));
      sock.on('error', () => resolve(data));
    });
    expect(res).toMatch(/^HTTP\/1\.1 401/);
    expect(res).toContain('ERR_PEER_CERTIFICATE_REQUIRED');
  });

  it('/init does not exist in mtls mode: 404 ERR_ROUTE_NOT_FOUND', async () => {
    const r = await call(client, `${d.url}/init`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"x"}' });
    expect(r.status).toBe(404);
    expect(r.body.error?.code).toBe('ERR_ROUTE_NOT_FOUND');
  });

  it('plain HTTP to the TLS port gets nothing useful', async () => {
    const err = await fetch(`${d.url.replace('https:', 'http:')}/health`).then(
      (r) => `status ${r.status}`,
      () => 'failed',
    );
    expect(err).not.toBe('status 200');
  });
});

describe('--auth both', () => {
  let d: Running;
  let session: SessionKeys;
  beforeAll(async () => {
    d = await startDaemon(['--auth', 'both', '--svid-dir', 'svid', '--allowed-trust-domain', 'example.org', '--bootstrap-public-key', 'bootstrap_pub.pem']);
    session = await sessionKeys();
  });
  afterAll(async () => expect(await d.stop()).toBe(0));

  it('a certificate without /init: 503 ERR_DAEMON_NOT_INITIALIZED', async () => {
    const r = await call(client, `${d.url}/api/execute`, execute(await mintSession(session)));
    expect(r.status).toBe(503);
    expect(r.body.error?.code).toBe('ERR_DAEMON_NOT_INITIALIZED');
  });

  it('/init over mTLS, then the certificate and the session token: 200', async () => {
    const init = await call(client, `${d.url}/init`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: await mintBootstrap(signer, session) }) });
    expect(init.status).toBe(200);
    expect(init.body).toMatchObject({ status: 'initialized' });
    const r = await call(client, `${d.url}/api/execute`, execute(await mintSession(session)));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stdout: 'hello\n' });
  });

  it('the certificate without the token: 401 ERR_UNAUTHENTICATED', async () => {
    const r = await call(client, `${d.url}/api/execute`, execute());
    expect(r.status).toBe(401);
    expect(r.body.error?.code).toBe('ERR_UNAUTHENTICATED');
  });

  it('the token from a client of another trust domain: refused at TLS before the token is looked at', async () => {
    const otherCa = await TestCA.create({ trustDomain: 'other.test' });
    // a cert from a trust domain the daemon has no bundle for
    const svid = await otherCa.issueSVID('spiffe://other.test/x');
    const res = await new Promise<string>((resolve) => {
      let data = '';
      const sock = connect({ host: '127.0.0.1', port: Number(new URL(d.url).port), rejectUnauthorized: false, cert: svid.pem, key: svid.keyPem });
      sock.on('secureConnect', () => sock.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\n'));
      sock.on('data', (c) => (data += c));
      sock.on('close', () => resolve(data));
      sock.on('error', () => resolve(data));
    });
    expect(res).toMatch(/^HTTP\/1\.1 403/);
    expect(res).toContain('"reason":"ERR_BUNDLE_NOT_FOUND"');
  });
});

describe('refusing to start', () => {
  const cases: Array<[string, string[], string]> = [
    ['mtls without --svid-dir', ['--auth', 'mtls', '--allowed-trust-domain', 'example.org'], 'ERR_USAGE'],
    ['mtls without an allowed client', ['--auth', 'mtls', '--svid-dir', 'svid'], 'ERR_USAGE'],
    ['mtls with SVID files that never arrive', ['--auth', 'mtls', '--svid-dir', 'empty', '--svid-wait', '300ms', '--allowed-trust-domain', 'example.org'], 'ERR_SVID_SOURCE_UNAVAILABLE'],
    ['jwt with --svid-dir (it would be ignored)', ['--svid-dir', 'svid', '--bootstrap-public-key', 'bootstrap_pub.pem'], 'ERR_USAGE'],
    ['mtls with --bootstrap-public-key (it would be ignored)', ['--auth', 'mtls', '--svid-dir', 'svid', '--allowed-trust-domain', 'example.org', '--bootstrap-public-key', 'bootstrap_pub.pem'], 'ERR_USAGE'],
    ['an unknown mode', ['--auth', 'token'], 'ERR_USAGE'],
    ['an allowed client ID that is not a SPIFFE ID', ['--auth', 'mtls', '--svid-dir', 'svid', '--allowed-client-id', 'https://example.org/x'], 'ERR_SPIFFE_ID_INVALID'],
    ['both without the bootstrap key', ['--auth', 'both', '--svid-dir', 'svid', '--allowed-trust-domain', 'example.org'], 'ERR_USAGE'],
  ];
  // the last stderr line is the one-line error; a wait for SVID files logs one line before it
  const expectLastError = (r: Awaited<ReturnType<typeof cli>>, code: string) => {
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(2);
    if (lines.length === 2) expect(lines[0]).toMatch(/^cardtrust daemon: x509source: waiting up to /);
    expectError({ ...r, stderr: `${lines.at(-1)}\n` }, 2, code);
  };
  it.each(cases)('%s → exit 2 %s', async (_name, args, code) => {
    expectLastError(await cli(['daemon', '--host', '127.0.0.1', '--port', '0', ...args], root, { env: { CARDTRUST_BOOTSTRAP_PUBLIC_KEY: '' } }), code);
  });

  it('invalid SVID files (a key of another certificate) → exit 2 naming the reason', async () => {
    const a = await ca.issueSVID(DAEMON_ID);
    const b = await ca.issueSVID(DAEMON_ID);
    await writeAtomic(join(root, 'bad'), { ...material(a, ca.rootPem), privateKey: b.keyPem });
    const r = await cli(['daemon', '--port', '0', '--auth', 'mtls', '--svid-dir', 'bad', '--svid-wait', '200ms', '--allowed-trust-domain', 'example.org'], root);
    expectLastError(r, 'ERR_SVID_SOURCE_UNAVAILABLE');
    expect(r.stderr).toContain('ERR_SVID_KEY_MISMATCH');
  });
});
