/**
 * The https_spiffe federation profile on real TLS: a bundle endpoint served by a Node HTTPS
 * server with its X509-SVID, fetched by fetchSpiffeBundleSpiffe — accepted for the configured
 * endpoint ID, refused for another ID or a CA the held bundle does not have (nothing requested),
 * a slow endpoint timed out; redirects followed only to a server with the same endpoint SVID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TestCA } from '../support/ca.js';
import { fetchSpiffeBundleSpiffe } from '../../node-adapter/spiffe/index.js';
import { TrustBundle, serializeSpiffeBundle } from '../../shared/bundle/index.js';
import type { ErrorCode } from '../../shared/errors.js';

const ENDPOINT_ID = 'spiffe://partner.test/spire/server';
let partner: TestCA;
let server: Server;
let url: string;
let requests = 0;
let slow = false;
let other: Server;
let otherUrl: string;

beforeAll(async () => {
  partner = await TestCA.create({ trustDomain: 'partner.test' });
  const svid = await partner.issueSVID(ENDPOINT_ID);
  const doc = serializeSpiffeBundle(new TrustBundle('partner.test', { x509Authorities: [partner.der], sequence: 7, refreshHint: 60 }));
  server = createServer({ cert: svid.pem, key: svid.keyPem }, (req, res) => {
    requests++;
    if (slow) return; // never answers
    if (req.url === '/moved') return res.writeHead(302, { location: '/bundle' }).end();
    if (req.url === '/moved-away') return res.writeHead(307, { location: `${otherUrl}/bundle` }).end();
    res.setHeader('content-type', 'application/json');
    res.end(doc);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/bundle`;
  // the same trust domain and CA, another SPIFFE ID: a redirect there must be refused
  const otherSvid = await partner.issueSVID('spiffe://partner.test/cdn');
  other = createServer({ cert: otherSvid.pem, key: otherSvid.keyPem }, (_req, res) => res.end(doc));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  otherUrl = `https://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of [server, other]) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const held = () => new TrustBundle('partner.test', { x509Authorities: [partner.der] });

async function code(opts: Partial<Parameters<typeof fetchSpiffeBundleSpiffe>[1]>): Promise<ErrorCode | 'ok'> {
  try {
    await fetchSpiffeBundleSpiffe(url, { trustDomain: 'partner.test', endpointSpiffeId: ENDPOINT_ID, bundles: held(), ...opts });
    return 'ok';
  } catch (err) {
    return (err as { code: ErrorCode }).code;
  }
}

describe('fetchSpiffeBundleSpiffe', () => {
  it('the endpoint authenticated by its SVID: the bundle, its sequence and refresh interval', async () => {
    const r = await fetchSpiffeBundleSpiffe(url, { trustDomain: 'partner.test', endpointSpiffeId: ENDPOINT_ID, bundles: held() });
    expect(r.bundle.sequence).toBe(7);
    expect(r.refreshMs).toBe(60_000);
  });

  it('another endpoint ID: ERR_PEER_NOT_AUTHORIZED and no request sent', async () => {
    const before = requests;
    expect(await code({ endpointSpiffeId: 'spiffe://partner.test/other' })).toBe('ERR_PEER_NOT_AUTHORIZED');
    expect(requests).toBe(before);
  });

  it('a held bundle without the endpoint CA: ERR_PEER_CERTIFICATE_INVALID and no request sent', async () => {
    const other = await TestCA.create({ trustDomain: 'partner.test' });
    const before = requests;
    expect(await code({ bundles: new TrustBundle('partner.test', { x509Authorities: [other.der] }) })).toBe('ERR_PEER_CERTIFICATE_INVALID');
    expect(requests).toBe(before);
  });

  it('a redirect is followed when the target presents the same endpoint SVID (Federation §5.2.2.4)', async () => {
    const r = await fetchSpiffeBundleSpiffe(url.replace('/bundle', '/moved'), { trustDomain: 'partner.test', endpointSpiffeId: ENDPOINT_ID, bundles: held() });
    expect(r.bundle.sequence).toBe(7);
  });

  it('a redirect to a server with another SPIFFE ID: ERR_PEER_NOT_AUTHORIZED', async () => {
    const before = requests;
    await expect(fetchSpiffeBundleSpiffe(url.replace('/bundle', '/moved-away'), { trustDomain: 'partner.test', endpointSpiffeId: ENDPOINT_ID, bundles: held() })).rejects.toMatchObject({
      code: 'ERR_PEER_NOT_AUTHORIZED',
    });
    expect(requests).toBe(before + 1);
  });

  it('a sequence going backwards, a slow endpoint', async () => {
    expect(await code({ previous: new TrustBundle('partner.test', { x509Authorities: [partner.der], sequence: 8 }) })).toBe('ERR_BUNDLE_INVALID');
    slow = true;
    try {
      expect(await code({ timeoutMs: 200 })).toBe('ERR_FETCH_TIMEOUT');
    } finally {
      slow = false;
    }
  });
});

describe('FederatedBundleSource over https_spiffe (httpsSpiffeEndpoint)', () => {
  it('bootstraps, follows a root rotation authenticated by the bundle it holds, and keeps the last good bundle when the endpoint turns untrusted', async () => {
    const { FederatedBundleSource } = await import('../../shared/bundle/index.js');
    const { httpsSpiffeEndpoint } = await import('../../node-adapter/spiffe/index.js');
    const ca1 = await TestCA.create({ trustDomain: 'partner.test' });
    const ca2 = await TestCA.create({ trustDomain: 'partner.test' });
    const ca3 = await TestCA.create({ trustDomain: 'partner.test' });
    let document = serializeSpiffeBundle(new TrustBundle('partner.test', { x509Authorities: [ca1.der], sequence: 1 }));
    const s1 = await ca1.issueSVID(ENDPOINT_ID);
    const endpoint = createServer({ cert: s1.pem, key: s1.keyPem }, (_req, res) => res.end(document));
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(endpoint.address() as AddressInfo).port}/`;
      const federated = new FederatedBundleSource([
        httpsSpiffeEndpoint({ trustDomain: 'partner.test', url, endpointSpiffeId: ENDPOINT_ID, bootstrapBundle: new TrustBundle('partner.test', { x509Authorities: [ca1.der] }) }),
      ]);
      const subjects = async () => (await federated.getBundle('partner.test')).x509Authorities.map((c) => c.subject.text).sort();
      expect(await subjects()).toEqual([ca1.certificate.subject.text]);

      // the partner adds its new root, then moves its endpoint to it
      document = serializeSpiffeBundle(new TrustBundle('partner.test', { x509Authorities: [ca1.der, ca2.der], sequence: 2 }));
      await federated.refresh('partner.test');
      expect(await subjects()).toEqual([ca1.certificate.subject.text, ca2.certificate.subject.text].sort());
      const s2 = await ca2.issueSVID(ENDPOINT_ID);
      endpoint.setSecureContext({ cert: s2.pem, key: s2.keyPem });
      document = serializeSpiffeBundle(new TrustBundle('partner.test', { x509Authorities: [ca2.der], sequence: 3 }));
      await federated.refresh('partner.test');
      expect(await subjects()).toEqual([ca2.certificate.subject.text]);

      // an endpoint certificate the held bundle does not vouch for: refused, the bundle kept
      const s3 = await ca3.issueSVID(ENDPOINT_ID);
      endpoint.setSecureContext({ cert: s3.pem, key: s3.keyPem });
      document = serializeSpiffeBundle(new TrustBundle('partner.test', { x509Authorities: [ca3.der], sequence: 4 }));
      await federated.refresh('partner.test');
      expect(await subjects()).toEqual([ca2.certificate.subject.text]);
      expect(federated.status()[0]).toMatchObject({ stale: true, sequence: 3, lastError: { code: 'ERR_PEER_CERTIFICATE_INVALID' } });
    } finally {
      endpoint.closeAllConnections();
      await new Promise<void>((r) => endpoint.close(() => r()));
    }
  });
});
