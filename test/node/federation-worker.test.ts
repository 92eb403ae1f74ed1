/**
 * The project's own worker as a SPIFFE bundle endpoint (https_web) for a Node FederatedBundleSource:
 * the worker runs in workerd (Miniflare) with a static bundle, a TLS front (web PKI: a test CA and
 * a DNS name, as a real deployment sits behind HTTPS) serves it on 127.0.0.1, and the Node source
 * fetches /v1/bundles/{td}, verifies an SVID of that trust domain with it, and keeps it when the
 * endpoint goes away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { TestCA } from '../support/ca.js';
import { startWorker, type WorkerServer } from '../support/worker-miniflare.js';
import { FederatedBundleSource } from '../../shared/bundle/index.js';
import { verifyX509Svid } from '../../shared/svid/index.js';

let partner: TestCA;
let worker: WorkerServer;
let front: Server;
let frontCa: TestCA;
let base: string;

/** fetch over Node https trusting the front's web CA (the platform fetch trusts the system store). */
function fetchTrusting(caPem: string): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    return new Promise<Response>((resolve, reject) => {
      const req = request(url, { method: init.method ?? 'GET', ca: caPem, servername: 'bundles.partner.test', ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const headers = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        resolve(new Response(Readable.toWeb(res) as unknown as ReadableStream, { status: res.statusCode ?? 0, headers }));
      });
      req.on('error', reject);
      req.end();
    });
  }) as typeof fetch;
}

beforeAll(async () => {
  partner = await TestCA.create({ trustDomain: 'partner.test' });
  worker = await startWorker({ TRUST_BUNDLES: JSON.stringify({ 'partner.test': partner.pem }) });
  frontCa = await TestCA.create({ trustDomain: 'web.test' });
  const web = await frontCa.issue({ dnsNames: ['bundles.partner.test'], extKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
  const { exportPrivateKeyPem } = await import('../../shared/ca/index.js');
  front = createServer({ cert: web.pem, key: await exportPrivateKeyPem(web.keys.privateKey) }, async (req, res) => {
    try {
      const upstream = await fetch(`${worker.url}${req.url}`);
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  front?.closeAllConnections();
  await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
  await worker?.close();
});

describe("the worker's /v1/bundles/{td} as a federation endpoint", () => {
  it('a Node FederatedBundleSource fetches it and verifies an SVID of the trust domain with it', async () => {
    const federated = new FederatedBundleSource([{ trustDomain: 'partner.test', url: `${base}/v1/bundles/partner.test` }], { fetch: fetchTrusting(frontCa.rootPem) });
    const svid = await partner.issueSVID('spiffe://partner.test/agent');
    const { id } = await verifyX509Svid(svid.der, federated);
    expect(id.toString()).toBe('spiffe://partner.test/agent');
    expect(federated.status()[0]).toMatchObject({ trustDomain: 'partner.test', stale: false });

    // a trust domain the worker does not serve: its 404 is the reason given
    const missing = new FederatedBundleSource([{ trustDomain: 'nope.test', url: `${base}/v1/bundles/nope.test` }], { fetch: fetchTrusting(frontCa.rootPem) });
    await expect(missing.getBundle('nope.test')).rejects.toMatchObject({ code: 'ERR_BUNDLE_NOT_FOUND', message: expect.stringContaining('ERR_FETCH_NOT_FOUND') });

    // without trusting the front's web CA, the https_web fetch fails (web PKI is the profile's trust)
    const untrusted = new FederatedBundleSource([{ trustDomain: 'partner.test', url: `${base}/v1/bundles/partner.test` }], { fetch: fetchTrusting((await TestCA.create()).rootPem) });
    await expect(untrusted.getBundle('partner.test')).rejects.toMatchObject({ code: 'ERR_BUNDLE_NOT_FOUND', message: expect.stringContaining('ERR_FETCH_FAILED') });
  });
});
