/**
 * Real TLS peers: curl and openssl s_client as clients of createMtlsServer, openssl s_server
 * -Verify as the server mtlsFetch talks to. Skipped with a reason when the tools are missing
 * (CI installs them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestCA, type SVID } from '../support/ca.js';
import { material, staticSource, waitFor } from '../support/mtls.js';
import { StaticX509Source } from '../../node-adapter/spiffe/index.js';
import { authorizeId, createMtlsServer, mtlsFetch, peerOf, type MtlsHttpsServer } from '../../node-adapter/mtls/index.js';
import { TrustError } from '../../shared/index.js';

const run = promisify(execFile);
const has = async (cmd: string) => run('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false);
const tools = { curl: await has('curl'), openssl: await has('openssl') };

const SERVER_ID = 'spiffe://example.org/server';
const CLIENT_ID = 'spiffe://example.org/client';

let dir: string;
let ca: TestCA;
let serverSvid: SVID;
let clientSvid: SVID;
let server: MtlsHttpsServer;
let port: number;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-interop-'));
  ca = await TestCA.create({ trustDomain: 'example.org' });
  // a DNS SAN next to the SPIFFE ID, for curl's hostname check (X509-SVID allows both)
  serverSvid = await ca.issueSVID(SERVER_ID, { dnsNames: ['localhost'] });
  clientSvid = await ca.issueSVID(CLIENT_ID);
  await writeFile(join(dir, 'ca.pem'), ca.rootPem);
  await writeFile(join(dir, 'client.pem'), clientSvid.pem);
  await writeFile(join(dir, 'client.key'), clientSvid.keyPem);
  await writeFile(join(dir, 'server.pem'), serverSvid.pem);
  await writeFile(join(dir, 'server.key'), serverSvid.keyPem);
  const source = await StaticX509Source.create(material(serverSvid, ca.rootPem));
  server = createMtlsServer({ source, authorize: authorizeId(CLIENT_ID), onRefused: () => {} }, (req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${peerOf(req)?.id.toString()}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await rm(dir, { recursive: true, force: true });
});

const curl = (args: string[]) => run('curl', ['-sS', '--max-time', '10', '--resolve', `localhost:${port}:127.0.0.1`, ...args]).then(
  ({ stdout }) => ({ ok: true as const, stdout }),
  (err: { code?: number; stdout?: string; stderr?: string }) => ({ ok: false as const, exit: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
);

describe.skipIf(!tools.curl)('curl --cert --key --cacert as a client of createMtlsServer', () => {
  it('an allowed client certificate: 200 and the handler sees its SPIFFE ID', async () => {
    const r = await curl(['--cacert', join(dir, 'ca.pem'), '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.key'), `https://localhost:${port}/`]);
    expect(r).toEqual({ ok: true, stdout: `hello ${CLIENT_ID}\n` });
  });

  it('no client certificate: 401 ERR_PEER_CERTIFICATE_REQUIRED', async () => {
    const r = await curl(['--cacert', join(dir, 'ca.pem'), '-w', '\n%{http_code}', `https://localhost:${port}/`]);
    expect(r.ok).toBe(true);
    const [body, status] = r.stdout.split('\n');
    expect(status).toBe('401');
    expect(JSON.parse(body!).error.code).toBe('ERR_PEER_CERTIFICATE_REQUIRED');
  });

  it('a client certificate with another SPIFFE ID: 403 ERR_PEER_NOT_AUTHORIZED', async () => {
    const other = await ca.issueSVID('spiffe://example.org/intruder');
    await writeFile(join(dir, 'other.pem'), other.pem);
    await writeFile(join(dir, 'other.key'), other.keyPem);
    const r = await curl(['--cacert', join(dir, 'ca.pem'), '--cert', join(dir, 'other.pem'), '--key', join(dir, 'other.key'), '-w', '\n%{http_code}', `https://localhost:${port}/`]);
    const [body, status] = r.stdout.split('\n');
    expect(status).toBe('403');
    expect(JSON.parse(body!).error.code).toBe('ERR_PEER_NOT_AUTHORIZED');
  });

  it('TLS 1.2 is refused at the handshake', async () => {
    const r = await curl(['--cacert', join(dir, 'ca.pem'), '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.key'), '--tlsv1.2', '--tls-max', '1.2', `https://localhost:${port}/`]);
    expect(r.ok).toBe(false);
    expect((r as { exit?: number }).exit).toBe(35);
  });
});

describe.skipIf(!tools.openssl)('openssl s_client as a client of createMtlsServer', () => {
  const sClient = (args: string[]) =>
    new Promise<string>((resolve) => {
      const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', join(dir, 'ca.pem'), '-tls1_3', '-quiet', '-no_ign_eof', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.stdin.write('GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n');
      const t = setTimeout(() => p.kill(), 10_000);
      p.on('close', () => {
        clearTimeout(t);
        resolve(out);
      });
    });

  it('with the client SVID: verifies our server chain and gets 200', async () => {
    const out = await sClient(['-cert', join(dir, 'client.pem'), '-key', join(dir, 'client.key')]);
    expect(out).toContain('verify return:1');
    expect(out).toContain('HTTP/1.1 200');
    expect(out).toContain(`hello ${CLIENT_ID}`);
  });

  it('without a certificate: 401 ERR_PEER_CERTIFICATE_REQUIRED', async () => {
    const out = await sClient([]);
    expect(out).toContain('HTTP/1.1 401');
    expect(out).toContain('ERR_PEER_CERTIFICATE_REQUIRED');
  });
});

describe.skipIf(!tools.openssl)('openssl s_server -Verify as the server mtlsFetch talks to', () => {
  let proc: ChildProcess | undefined;
  let sPort: number;

  beforeAll(async () => {
    sPort = await freePort();
    proc = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${sPort}`, '-cert', join(dir, 'server.pem'), '-key', join(dir, 'server.key'), '-CAfile', join(dir, 'ca.pem'), '-Verify', '2', '-verify_return_error', '-tls1_3', '-www'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    await waitFor(() => out.includes('ACCEPT'), 10_000, 'openssl s_server');
  });
  afterAll(() => {
    proc?.kill();
  });

  it('mtlsFetch presents the client SVID, verifies the server SVID and authorizes its ID', async () => {
    const source = await StaticX509Source.create(material(clientSvid, ca.rootPem));
    const res = await mtlsFetch(`https://127.0.0.1:${sPort}/`, { source, authorize: authorizeId(SERVER_ID) });
    expect(res.status).toBe(200);
    expect(res.peer.id.toString()).toBe(SERVER_ID);
    const text = await res.text();
    // s_server -www reports the client certificate it verified
    expect(text).toContain('Client certificate');
    await source.close();
  });

  it('mtlsFetch refuses the same server under an authorizer for another ID', async () => {
    const source = await staticSource(ca, CLIENT_ID);
    const err = await mtlsFetch(`https://127.0.0.1:${sPort}/`, { source, authorize: authorizeId('spiffe://example.org/elsewhere') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('ERR_PEER_NOT_AUTHORIZED');
    await source.close();
  });

  it('mtlsFetch refuses a server whose CA is not in its bundle', async () => {
    const foreignCa = await TestCA.create({ trustDomain: 'example.org' });
    const svid = await foreignCa.issueSVID(CLIENT_ID);
    const source = await StaticX509Source.create(material(svid, foreignCa.rootPem));
    const err = await mtlsFetch(`https://127.0.0.1:${sPort}/`, { source, authorize: authorizeId(SERVER_ID) }).catch((e: unknown) => e);
    expect((err as TrustError).code).toBe('ERR_PEER_CERTIFICATE_INVALID');
    await source.close();
  });
});
