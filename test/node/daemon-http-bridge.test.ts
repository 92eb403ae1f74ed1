/**
 * The Node ↔ Fetch bridge (node-adapter/http) on real sockets: streamed request bodies and the
 * body cap, HEAD, an aborted client, response backpressure, a failing handler, ConnInfo (remote
 * address, TLS peer chain), and the graceful close.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { serveFetch, type ConnInfo, type FetchHandler, type ServedFetch } from '../../node-adapter/http/index.js';
import { TestCA } from '../support/ca.js';
import { json } from '../../shared/http/respond.js';

const served: ServedFetch[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close(500)));
});
async function serve(handler: FetchHandler, opts: Parameters<typeof serveFetch>[1] = {}): Promise<ServedFetch> {
  const s = await serveFetch(handler, opts);
  served.push(s);
  return s;
}

/** A raw request (no client-side normalization), body written in chunks. */
function raw(url: string, opts: { method?: string; path?: string; headers?: Record<string, string>; chunks?: Buffer[] } = {}): Promise<{ res: IncomingMessage; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers ?? {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ res, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const c of opts.chunks ?? []) req.write(c);
    req.end();
  });
}

describe('requests', () => {
  it('streams the request body to the handler, with method, URL and headers as sent', async () => {
    const s = await serve(async (req) => {
      let size = 0;
      const reader = req.body!.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) size += r.value.byteLength;
      return Response.json({ size, method: req.method, url: req.url, x: req.headers.get('x-thing') });
    }, { maxBodyBytes: 8 * 1024 * 1024 });
    const chunk = Buffer.alloc(256 * 1024, 7);
    const { res, body } = await raw(s.url, { method: 'PUT', path: '/a/b?c=d', headers: { 'x-thing': 'yes', 'transfer-encoding': 'chunked' }, chunks: Array(12).fill(chunk) });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(body.toString())).toEqual({ size: 12 * 256 * 1024, method: 'PUT', url: `${s.url}/a/b?c=d`, x: 'yes' });
  });

  it('refuses a Content-Length over the cap with 413 before calling the handler', async () => {
    let called = false;
    const s = await serve(() => ((called = true), new Response('no')), { maxBodyBytes: 1000 });
    const res = await fetch(s.url, { method: 'POST', body: 'x'.repeat(1001) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: 'ERR_BODY_TOO_LARGE', message: expect.any(String) } });
    expect(called).toBe(false);
  });

  it('stops a chunked body at the cap (the handler sees ERR_BODY_TOO_LARGE)', async () => {
    const s = await serve(async (req) => new Response(String((await req.arrayBuffer()).byteLength)), { maxBodyBytes: 100_000 });
    const { res, body } = await raw(s.url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, chunks: Array(4).fill(Buffer.alloc(40_000)) }).catch((e) => {
      throw e;
    });
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(body.toString()).error.code).toBe('ERR_BODY_TOO_LARGE');
  });

  it('answers HEAD with the headers only', async () => {
    const s = await serve(() => new Response('hello body', { headers: { 'x-a': '1', 'content-length': '10' } }));
    const { res, body } = await raw(s.url, { method: 'HEAD' });
    expect([res.statusCode, res.headers['x-a'], body.byteLength]).toEqual([200, '1', 0]);
  });

  it('turns a failing handler into 500 ERR_INTERNAL', async () => {
    const s = await serve(() => {
      throw new Error('boom: secret engine detail');
    });
    const res = await fetch(s.url);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'ERR_INTERNAL', message: 'internal error' } });
  });

  it('writes a JSON answer with its headers as given, and cuts the connection when node:http refuses one', async () => {
    const ok = await serve(() => json({ a: 1 }, 201, { 'X-Given': 'yes' }));
    const { res, body } = await raw(ok.url);
    expect([res.statusCode, res.headers['x-given'], res.headers['content-type'], res.headers['content-length'], body.toString()]).toEqual([201, 'yes', 'application/json; charset=utf-8', '7', '{"a":1}']);
    const bad = await serve(() => json({ a: 1 }, 200, { 'x-bad': 'line\nbreak' }));
    await expect(raw(bad.url)).rejects.toThrow();
  });

  it('hands a small body with a Content-Length to the handler whole, exactly as sent', async () => {
    const s = await serve(async (req) => new Response(Buffer.from(await req.arrayBuffer()).toString('hex')));
    const sent = Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13]);
    const { res, body } = await raw(s.url, { method: 'POST', headers: { 'content-length': String(sent.length) }, chunks: [sent.subarray(0, 3), sent.subarray(3)] });
    expect([res.statusCode, body.toString()]).toEqual([200, sent.toString('hex')]);
  });

  it("writes the core's JSON answers with their byte length, for GET and HEAD alike", async () => {
    const { json } = await import('../../shared/http/respond.js');
    const s = await serve(() => json({ name: 'é✓' }, 201, { 'x-a': '1' }));
    const get = await raw(s.url);
    expect([get.res.statusCode, get.res.headers['content-length'], get.res.headers['x-a'], JSON.parse(get.body.toString())]).toEqual([201, String(Buffer.byteLength('{"name":"é✓"}')), '1', { name: 'é✓' }]);
    const head = await raw(s.url, { method: 'HEAD' });
    expect([head.res.statusCode, head.res.headers['content-length'], head.body.byteLength]).toEqual([201, get.res.headers['content-length'], 0]);
  });

  it('closes a connection whose request body the handler left unread (no request smuggled into the next one)', async () => {
    const s = await serve(() => new Response('refused', { status: 403 }), { maxBodyBytes: 8 * 1024 * 1024 });
    const { res, body } = await raw(s.url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, chunks: Array(8).fill(Buffer.alloc(64 * 1024, 1)) });
    expect([res.statusCode, body.toString(), res.headers.connection]).toEqual([403, 'refused', 'close']);
  });

  it('keeps several Set-Cookie headers apart', async () => {
    const h = new Headers();
    h.append('set-cookie', 'a=1');
    h.append('set-cookie', 'b=2');
    const s = await serve(() => new Response('ok', { headers: h }));
    const { res } = await raw(s.url);
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });
});

describe('aborts and backpressure', () => {
  it('aborts the request signal when the client goes away', async () => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((r) => (aborted = r));
    let started!: () => void;
    const sawStart = new Promise<void>((r) => (started = r));
    const s = await serve(
      (req) =>
        new Promise<Response>((resolve) => {
          req.signal.addEventListener('abort', () => {
            aborted();
            resolve(new Response('late'));
          });
          started();
        }),
    );
    const ac = new AbortController();
    const pending = fetch(s.url, { signal: ac.signal }).catch(() => 'aborted');
    await sawStart;
    ac.abort();
    await sawAbort;
    expect(await pending).toBe('aborted');
  });

  it('gives an already aborted signal to a handler that first reads it after the client left', async () => {
    let started!: () => void;
    const sawStart = new Promise<void>((r) => (started = r));
    let answer!: (reason: unknown) => void;
    const sawSignal = new Promise<unknown>((r) => (answer = r));
    const s = await serve(async (req) => {
      started();
      // the client's socket closes while this handler has not looked at the signal
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 50 && !req.signal.aborted; i++) await new Promise((r) => setTimeout(r, 20));
      answer(req.signal.aborted ? (req.signal.reason as { code?: string }).code : 'not aborted');
      return new Response('late');
    });
    const ac = new AbortController();
    const pending = fetch(s.url, { signal: ac.signal }).catch(() => 'aborted');
    await sawStart;
    ac.abort();
    expect(await pending).toBe('aborted');
    expect(await sawSignal).toBe('ERR_REQUEST_INVALID');
  });

  it('pulls the response body only as fast as the client reads', async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 400; // 25 MiB
    let pulled = 0;
    const s = await serve(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(c) {
              if (pulled++ >= TOTAL) c.close();
              else c.enqueue(new Uint8Array(CHUNK));
            },
          }, { highWaterMark: 1 }),
        ),
    );
    const u = new URL(s.url);
    const received = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: u.hostname, port: u.port, path: '/' }, (res) => {
        res.pause();
        // a bounded wait for absence of progress: the server must stop pulling while we do not read
        setTimeout(() => {
          try {
            expect(pulled).toBeLessThan(TOTAL / 2);
          } catch (e) {
            reject(e);
            return;
          }
          let n = 0;
          res.on('data', (c: Buffer) => (n += c.byteLength));
          res.on('end', () => resolve(n));
          res.resume();
        }, 300);
      });
      req.on('error', reject);
      req.end();
    });
    expect(received).toBe(CHUNK * TOTAL);
  });
});

describe('ConnInfo', () => {
  it('passes the remote address and port', async () => {
    let conn: ConnInfo | undefined;
    const s = await serve((_req, c) => ((conn = c), new Response('ok')));
    await (await fetch(s.url)).text();
    expect(conn).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: expect.any(Number) });
    expect(conn!.tls).toBeUndefined();
  });

  it("passes the TLS peer's chain (DER, leaf first) and whether Node authorized it", async () => {
    const ca = await TestCA.create({ trustDomain: 'example.org' });
    const server = await ca.issueSVID('spiffe://example.org/server');
    const client = await ca.issueSVID('spiffe://example.org/client');
    let conn: ConnInfo | undefined;
    const https = createHttpsServer({ key: server.keyPem, cert: server.pem, ca: ca.rootPem, requestCert: true, rejectUnauthorized: false });
    const s = await serve((_req, c) => ((conn = c), new Response('ok')), { server: https });
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const u = new URL(s.url);
    await new Promise<void>((resolve, reject) => {
      const req = httpsRequest({ host: u.hostname, port: u.port, path: '/', key: client.keyPem, cert: client.pem, ca: ca.rootPem, rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
    expect(conn?.tls?.authorized).toBe(true);
    expect(conn?.tls?.peerCertificateChainDer?.length).toBeGreaterThanOrEqual(1);
    expect(conn!.tls!.peerCertificateChainDer![0]![0]).toBe(0x30);
  });
});

describe('graceful close', () => {
  it('stops accepting, lets the in-flight request finish, then resolves', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const sawStart = new Promise<void>((r) => (started = r));
    const s = await serveFetch(async () => {
      started();
      await gate;
      return new Response('finished');
    });
    const inflight = fetch(s.url).then(async (r) => [r.status, await r.text()]);
    await sawStart;
    const closed = s.close(5000);
    await expect(fetch(s.url, { headers: { connection: 'close' } })).rejects.toThrow();
    release();
    expect(await inflight).toEqual([200, 'finished']);
    await closed;
  });

  it('destroys what is still running after the grace period', async () => {
    let started!: () => void;
    const sawStart = new Promise<void>((r) => (started = r));
    const s = await serveFetch(() => {
      started();
      return new Promise<Response>(() => {});
    });
    const inflight = fetch(s.url).then(() => 'answered', () => 'cut');
    await sawStart;
    await s.close(200);
    expect(await inflight).toBe('cut');
  });
});
