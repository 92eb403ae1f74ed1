/**
 * mTLS server and client round trips on 127.0.0.1 with real TLS handshakes: authorizers allowing
 * and refusing, wrong trust domain, expired client certificate, no client certificate, chains
 * Node's TLS layer would accept but the X509-SVID rules refuse, and the client-side checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { request } from 'node:https';
import { TestCA, KeyUsage, ExtKeyUsage, type SVID } from '../support/ca.js';
import { material, staticSource } from '../support/mtls.js';
import { StaticX509Source } from '../../node-adapter/spiffe/index.js';
import {
  MtlsAgent,
  authorizeAny,
  authorizeId,
  authorizeMatcher,
  authorizeMemberOf,
  authorizeOneOf,
  createMtlsServer,
  createMtlsTlsServer,
  mtlsFetch,
  peerOf,
  type Authorizer,
  type MtlsHttpsServer,
  type RefusedPeer,
} from '../../node-adapter/mtls/index.js';
import { TrustError, matchMemberOf, type ErrorCode } from '../../shared/index.js';

const SERVER_ID = 'spiffe://example.org/server';
const CLIENT_ID = 'spiffe://example.org/client';

let ca: TestCA;
let otherCa: TestCA;
let serverSource: StaticX509Source;
let clientSource: StaticX509Source;

async function listen(server: MtlsHttpsServer | ReturnType<typeof createMtlsTlsServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: { close(cb?: () => void): unknown; closeAllConnections?: () => void }): Promise<void> {
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A raw TLS client presenting `svid` (or nothing), sending one HTTP request; the status line and body. */
async function rawRequest(port: number, svid: SVID | undefined): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      ...(svid ? { cert: svid.pem, key: svid.keyPem } : {}),
    });
    let data = '';
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'));
    socket.on('data', (d) => (data += d.toString()));
    socket.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (!m) return resolve({ error: `no response (${data.length} bytes)` });
      resolve({ status: Number(m[1]), body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
  });
}

function errorCode(body: string): { code?: ErrorCode; reason?: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: ErrorCode; reason?: string } };
    return { ...(parsed.error?.code ? { code: parsed.error.code } : {}), ...(parsed.error?.reason ? { reason: parsed.error.reason } : {}) };
  } catch {
    return {};
  }
}

beforeAll(async () => {
  ca = await TestCA.create({ trustDomain: 'example.org' });
  otherCa = await TestCA.create({ trustDomain: 'other.test' });
  serverSource = await staticSource(ca, SERVER_ID);
  clientSource = await staticSource(ca, CLIENT_ID);
});

afterAll(async () => {
  await serverSource.close();
  await clientSource.close();
});

describe('createMtlsServer: who gets in', () => {
  let refused: RefusedPeer[] = [];
  let server: MtlsHttpsServer;
  let port: number;
  let authorize: Authorizer = authorizeAny();

  beforeAll(async () => {
    server = createMtlsServer({ source: serverSource, authorize: (id, chain) => authorize(id, chain), onRefused: (r) => refused.push(r) }, (req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello ${peerOf(req)?.id.toString()}`);
    });
    port = await listen(server);
  });
  afterAll(() => close(server));

  it('a verified client reaches the handler, which sees the ID from the verified chain', async () => {
    refused = [];
    authorize = authorizeAny();
    const svid = await ca.issueSVID(CLIENT_ID);
    const r = await rawRequest(port, svid);
    expect(r).toEqual({ status: 200, body: `hello ${CLIENT_ID}` });
    expect(refused).toEqual([]);
  });

  const authorizers: Array<[string, () => Authorizer, string, 200 | 403]> = [
    ['authorizeId match', () => authorizeId(CLIENT_ID), CLIENT_ID, 200],
    ['authorizeId other', () => authorizeId('spiffe://example.org/someone-else'), CLIENT_ID, 403],
    ['authorizeOneOf match', () => authorizeOneOf('spiffe://example.org/x', CLIENT_ID), CLIENT_ID, 200],
    ['authorizeOneOf none', () => authorizeOneOf('spiffe://example.org/x', 'spiffe://example.org/y'), CLIENT_ID, 403],
    ['authorizeMemberOf match', () => authorizeMemberOf('example.org'), CLIENT_ID, 200],
    ['authorizeMemberOf other', () => authorizeMemberOf('other.test'), CLIENT_ID, 403],
    ['authorizeMatcher (core matcher)', () => authorizeMatcher(matchMemberOf('example.org')), CLIENT_ID, 200],
    ['authorizeMatcher refusing', () => authorizeMatcher(matchMemberOf('nope.test')), CLIENT_ID, 403],
    ['an authorizer that returns false', () => () => false, CLIENT_ID, 403],
    ['an authorizer that throws a plain Error', () => () => {
      throw new Error('boom');
    }, CLIENT_ID, 403],
    ['an async authorizer that rejects', () => async () => Promise.reject(new Error('later')), CLIENT_ID, 403],
  ];
  it.each(authorizers)('%s → %s', async (_name, make, id, status) => {
    refused = [];
    authorize = make();
    const r = await rawRequest(port, await ca.issueSVID(id));
    expect('status' in r && r.status).toBe(status);
    if (status === 403 && 'body' in r) {
      expect(errorCode(r.body).code).toBe('ERR_PEER_NOT_AUTHORIZED');
      expect(refused).toEqual([expect.objectContaining({ code: 'ERR_PEER_NOT_AUTHORIZED', id })]);
    }
  });

  const refusedChains: Array<[string, () => Promise<SVID | undefined>, number, ErrorCode, string | undefined]> = [
    ['no client certificate', async () => undefined, 401, 'ERR_PEER_CERTIFICATE_REQUIRED', undefined],
    ['another trust domain (no bundle for it)', () => otherCa.issueSVID('spiffe://other.test/client'), 403, 'ERR_PEER_CERTIFICATE_INVALID', 'ERR_BUNDLE_NOT_FOUND'],
    ['a SPIFFE ID of our trust domain from a foreign CA', () => otherCa.issueSVID('spiffe://example.org/client'), 403, 'ERR_PEER_CERTIFICATE_INVALID', 'ERR_X509_CHAIN_UNTRUSTED'],
    ['an expired client certificate', () => ca.issueSVID(CLIENT_ID, { notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) }), 403, 'ERR_PEER_CERTIFICATE_INVALID', 'ERR_X509_EXPIRED'],
    ['a leaf that is a CA', () => ca.issueSVID(CLIENT_ID, { ca: true, keyUsage: KeyUsage.digitalSignature | KeyUsage.keyCertSign }), 403, 'ERR_PEER_CERTIFICATE_INVALID', 'ERR_SVID_LEAF_IS_CA'],
    ['two URI SANs', () => ca.issueSVID(CLIENT_ID, { uris: [CLIENT_ID, 'spiffe://example.org/second'] }), 403, 'ERR_PEER_CERTIFICATE_INVALID', 'ERR_SVID_URI_SAN_INVALID'],
    ['a leaf without a SPIFFE ID', () => ca.issueSVID(CLIENT_ID, { uris: [] }), 403, 'ERR_PEER_CERTIFICATE_INVALID', 'ERR_SVID_URI_SAN_INVALID'],
    ['a server-only EKU used as a client', () => ca.issueSVID(CLIENT_ID, { extKeyUsage: [ExtKeyUsage.serverAuth] }), 403, 'ERR_PEER_CERTIFICATE_INVALID', 'ERR_X509_EKU_MISMATCH'],
  ];
  it.each(refusedChains)('%s → %s %s (%s)', async (_name, make, status, code, reason) => {
    refused = [];
    authorize = authorizeAny();
    const r = await rawRequest(port, await make());
    expect('status' in r && r.status).toBe(status);
    const body = errorCode((r as { body: string }).body);
    expect(body.code).toBe(code);
    expect(body.reason).toBe(reason);
    expect(refused).toEqual([expect.objectContaining({ code, ...(reason ? { reason } : {}) })]);
  });

  it('a peer chain Node itself accepts with ca is still refused when the SVID rules say no (leaf is CA)', async () => {
    // Node's verification with the CA list accepts this chain; the X509-SVID rules do not
    const svid = await ca.issueSVID(CLIENT_ID, { ca: true, keyUsage: KeyUsage.digitalSignature | KeyUsage.keyCertSign });
    const { X509Certificate } = await import('node:crypto');
    const leaf = new X509Certificate(svid.der[0]!);
    expect(leaf.verify(new X509Certificate(ca.der).publicKey)).toBe(true);
    const r = await rawRequest(port, svid);
    expect(errorCode((r as { body: string }).body).reason).toBe('ERR_SVID_LEAF_IS_CA');
  });

  it('TLS 1.2 clients are refused at the handshake', async () => {
    const svid = await ca.issueSVID(CLIENT_ID);
    const err = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2', cert: svid.pem, key: svid.keyPem });
      s.on('secureConnect', () => resolve('connected'));
      s.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
    });
    expect(err).toMatch(/ERR_SSL|EPROTO|ECONNRESET/);
  });
});

describe('createMtlsTlsServer: refused clients are disconnected, accepted ones see peerOf', () => {
  it('accepts a verified client and drops a foreign one', async () => {
    const refused: RefusedPeer[] = [];
    const server = createMtlsTlsServer({ source: serverSource, authorize: authorizeMemberOf('example.org'), onRefused: (r) => refused.push(r) }, (socket) => {
      socket.end(`id=${peerOf(socket)?.id.toString()}\n`);
    });
    const port = await listen(server);
    const read = (svid: SVID) =>
      new Promise<string>((resolve) => {
        let data = '';
        const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, cert: svid.pem, key: svid.keyPem });
        s.on('data', (d) => (data += d.toString()));
        s.on('error', () => resolve(`error:${data}`));
        s.on('close', () => resolve(data));
      });
    expect(await read(await ca.issueSVID(CLIENT_ID))).toBe(`id=${CLIENT_ID}\n`);
    expect(await read(await otherCa.issueSVID('spiffe://other.test/x'))).not.toContain('id=');
    expect(refused.map((r) => r.code)).toEqual(['ERR_PEER_CERTIFICATE_INVALID']);
    await close(server);
  });
});

describe('mtlsFetch and MtlsAgent', () => {
  let server: MtlsHttpsServer;
  let base: string;

  beforeAll(async () => {
    server = createMtlsServer({ source: serverSource, authorize: authorizeAny(), onRefused: () => {} }, (req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/elsewhere' });
        return res.end();
      }
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, body, client: peerOf(req)?.id.toString() }));
      });
    });
    base = `https://127.0.0.1:${await listen(server)}`;
  });
  afterAll(() => close(server));

  it('round trip: the server sees the client ID, the response carries the server ID', async () => {
    const res = await mtlsFetch(`${base}/echo`, { source: clientSource, authorize: authorizeId(SERVER_ID), method: 'POST', body: 'hi' });
    expect(res.status).toBe(200);
    expect(res.peer.id.toString()).toBe(SERVER_ID);
    expect(await res.json()).toEqual({ method: 'POST', body: 'hi', client: CLIENT_ID });
  });

  async function fetchCode(url: string, init: Parameters<typeof mtlsFetch>[1]): Promise<ErrorCode | 'ok'> {
    try {
      const res = await mtlsFetch(url, init);
      await res.text();
      return 'ok';
    } catch (err) {
      if (err instanceof TrustError) return err.code;
      throw err;
    }
  }

  it('refuses a server whose ID the authorizer does not accept', async () => {
    expect(await fetchCode(base, { source: clientSource, authorize: authorizeId('spiffe://example.org/not-the-server') })).toBe('ERR_PEER_NOT_AUTHORIZED');
  });

  it('refuses a server from a trust domain it has no bundle for', async () => {
    const foreign = await staticSource(otherCa, 'spiffe://other.test/client');
    expect(await fetchCode(base, { source: foreign, authorize: authorizeAny() })).toBe('ERR_PEER_CERTIFICATE_INVALID');
    await foreign.close();
  });

  it('nothing is sent to a server that fails verification', async () => {
    let requests = 0;
    const counting = createMtlsServer({ source: serverSource, authorize: authorizeAny(), onRefused: () => {} }, (_req, res) => {
      requests++;
      res.end('x');
    });
    const url = `https://127.0.0.1:${await listen(counting)}`;
    expect(await fetchCode(url, { source: clientSource, authorize: authorizeId('spiffe://example.org/nope'), method: 'POST', body: 'secret' })).toBe('ERR_PEER_NOT_AUTHORIZED');
    expect(requests).toBe(0);
    await close(counting);
  });

  const refusals: Array<[string, string, Record<string, unknown>, ErrorCode]> = [
    ['http: URL', 'http://127.0.0.1:1/', {}, 'ERR_INPUT_INVALID'],
    ['not a URL', 'not a url', {}, 'ERR_INPUT_INVALID'],
    ['credentials in the URL', 'https://u:p@127.0.0.1:1/', {}, 'ERR_INPUT_INVALID'],
    ['rejectUnauthorized given', 'https://127.0.0.1:1/', { rejectUnauthorized: false }, 'ERR_INPUT_INVALID'],
    ['a ca given', 'https://127.0.0.1:1/', { ca: 'x' }, 'ERR_INPUT_INVALID'],
    ['a dispatcher given', 'https://127.0.0.1:1/', { dispatcher: {} }, 'ERR_INPUT_INVALID'],
    ['redirect: follow', 'https://127.0.0.1:1/', { redirect: 'follow' }, 'ERR_INPUT_INVALID'],
    ['a plain https.Agent', 'https://127.0.0.1:1/', { agent: {} }, 'ERR_INPUT_INVALID'],
  ];
  it.each(refusals)('a security option that cannot be honoured fails the call: %s', async (_name, url, extra, code) => {
    expect(await fetchCode(url, { source: clientSource, authorize: authorizeAny(), ...extra } as Parameters<typeof mtlsFetch>[1])).toBe(code);
  });

  it('MtlsAgent refuses trust options at construction', () => {
    expect(() => new MtlsAgent({ source: clientSource, authorize: authorizeAny(), rejectUnauthorized: false } as never)).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });

  it('redirects are an error by default and returned as-is with redirect: manual', async () => {
    expect(await fetchCode(`${base}/redirect`, { source: clientSource, authorize: authorizeAny() })).toBe('ERR_FETCH_REDIRECT_NOT_ALLOWED');
    const res = await mtlsFetch(`${base}/redirect`, { source: clientSource, authorize: authorizeAny(), redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/elsewhere');
  });

  it('a closed port is ERR_FETCH_FAILED', async () => {
    const s = createMtlsServer({ source: serverSource, authorize: authorizeAny() });
    const port = await listen(s);
    await close(s);
    expect(await fetchCode(`https://127.0.0.1:${port}/`, { source: clientSource, authorize: authorizeAny() })).toBe('ERR_FETCH_FAILED');
  });

  it('a server that never answers is ERR_FETCH_TIMEOUT', async () => {
    const hang = createMtlsServer({ source: serverSource, authorize: authorizeAny(), onRefused: () => {} }, () => {});
    const url = `https://127.0.0.1:${await listen(hang)}/`;
    expect(await fetchCode(url, { source: clientSource, authorize: authorizeAny(), timeoutMs: 300 })).toBe('ERR_FETCH_TIMEOUT');
    await close(hang);
  });

  it('a server refusing our identity answers 403 ERR_PEER_NOT_AUTHORIZED, which mtlsFetch returns as a response', async () => {
    const strict = createMtlsServer({ source: serverSource, authorize: authorizeId('spiffe://example.org/only-this'), onRefused: () => {} }, (_q, s) => s.end('x'));
    const url = `https://127.0.0.1:${await listen(strict)}/`;
    const res = await mtlsFetch(url, { source: clientSource, authorize: authorizeAny() });
    // the server verified the client after the handshake and answers with the HTTP error
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_PEER_NOT_AUTHORIZED');
    await close(strict);
  });

  it('MtlsAgent works with https.request and keeps verified connections alive', async () => {
    const agent = new MtlsAgent({ source: clientSource, authorize: authorizeId(SERVER_ID), keepAlive: true });
    const get = () =>
      new Promise<string>((resolve, reject) => {
        request(`${base}/a`, { agent }, (res) => {
          let d = '';
          res.on('data', (c) => (d += c));
          res.on('end', () => resolve(d));
        })
          .on('error', reject)
          .end();
      });
    expect(JSON.parse(await get()).client).toBe(CLIENT_ID);
    expect(JSON.parse(await get()).client).toBe(CLIENT_ID);
    agent.destroy();
  });

  it('StaticX509Source refuses material whose key is not the leaf key', async () => {
    const a = await ca.issueSVID(CLIENT_ID);
    const b = await ca.issueSVID(CLIENT_ID);
    await expect(StaticX509Source.create({ ...material(a, ca.rootPem), privateKey: b.keyPem })).rejects.toMatchObject({ code: 'ERR_SVID_KEY_MISMATCH' });
  });
});
