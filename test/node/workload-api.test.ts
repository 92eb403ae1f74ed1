/**
 * The SPIFFE Workload API client against a Workload API server on a temporary Unix socket:
 * the Workload Endpoint address rules, the first SVID, rotation every 100 ms, bundle rotation,
 * federated bundles, hints, agent restart, PermissionDenied, malformed responses (last good kept),
 * the required metadata, and an mTLS server fed by the source while SVIDs rotate.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { TestCA, type SVID } from '../support/ca.js';
import { FakeWorkloadApi, svidResponse } from '../support/workload-api.js';
import { waitFor } from '../support/mtls.js';
import { WorkloadX509Source, parseWorkloadEndpoint, workloadApiDefinition } from '../../node-adapter/spiffe/workload/index.js';
import { authorizeAny, createMtlsTlsServer, peerOf } from '../../node-adapter/mtls/index.js';
import { TrustError, type ErrorCode } from '../../shared/index.js';

const ID = 'spiffe://example.org/workload';
let dir: string;
let ca: TestCA;
const cleanups: Array<() => unknown> = [];
let n = 0;

async function agent(): Promise<FakeWorkloadApi> {
  const a = new FakeWorkloadApi(join(dir, `agent-${++n}.sock`));
  await a.start();
  cleanups.push(() => a.stop());
  return a;
}

async function source(a: FakeWorkloadApi, extra: Partial<ConstructorParameters<typeof WorkloadX509Source>[0]> = {}) {
  const errors: TrustError[] = [];
  const s = new WorkloadX509Source({ address: a.address, backoff: { initialMs: 50, maxMs: 400 }, ...extra });
  s.onError((e) => errors.push(e as TrustError));
  cleanups.push(() => s.close());
  return { s, errors };
}

const serial = (svid: SVID) => new X509Certificate(svid.der[0]!).serialNumber;
const servedSerial = (s: WorkloadX509Source) => new X509Certificate(s.getX509Svid().chain[0]!.der).serialNumber;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-wl-'));
  ca = await TestCA.create({ trustDomain: 'example.org' });
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('Workload Endpoint addresses (SPIFFE Workload Endpoint §4)', () => {
  const valid: Array<[string, string]> = [
    ['unix:///run/spire/agent.sock', 'unix:///run/spire/agent.sock'],
    ['unix:///tmp/a%20b.sock', 'unix:///tmp/a b.sock'],
    // no authority at all, an absolute path: conforms to §4 (go-spiffe accepts it too)
    ['unix:/run/agent.sock', 'unix:///run/agent.sock'],
    // RFC 3986 §3.1: the scheme is case-insensitive
    ['UNIX:///run/agent.sock', 'unix:///run/agent.sock'],
    ['Tcp://127.0.0.1:8081', '127.0.0.1:8081'],
    ['tcp://127.0.0.1:8081', '127.0.0.1:8081'],
    ['tcp://[::1]:8081', '[::1]:8081'],
  ];
  it.each(valid)('%s → %s', (address, target) => expect(parseWorkloadEndpoint(address).target).toBe(target));

  const invalid: Array<[string, RegExp]> = [
    ['', /empty/],
    ['/run/spire/agent.sock', /no scheme/],
    ['http://127.0.0.1:8081', /scheme must be unix or tcp/],
    ['unix:opaque', /opaque/],
    ['unix:/', /absolute path/],
    ['unix:', /opaque/],
    ['unix://host/run/agent.sock', /must not include an authority/],
    ['unix://foo', /must not include an authority/],
    ['unix://', /absolute path/],
    ['unix:///', /absolute path/],
    ['unix:///run/a.sock?x=1', /query/],
    ['unix:///run/a.sock#f', /fragment/],
    ['tcp:opaque', /opaque/],
    ['tcp://localhost:8081', /IP address/],
    ['tcp://127.0.0.1', /tcp:\/\/IP:port/],
    ['tcp://127.0.0.1:8081/path', /path/],
    ['tcp://u:p@127.0.0.1:8081', /user info/],
    ['tcp://127.0.0.1:0', /port/],
    ['tcp://127.0.0.1:70000', /port/],
    ['unix:///run/a b.sock', /whitespace/],
  ];
  it.each(invalid)('%j is refused (%s)', (address, why) => {
    expect(() => parseWorkloadEndpoint(address)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(why) }));
  });

  it('SPIFFE_ENDPOINT_SOCKET is the default address', async () => {
    const a = await agent();
    const svid = await ca.issueSVID(ID);
    a.push(svidResponse([{ svid, bundle: [ca] }]));
    const s = new WorkloadX509Source({ env: { SPIFFE_ENDPOINT_SOCKET: a.address } });
    cleanups.push(() => s.close());
    await s.ready(5000);
    expect(s.getX509Svid().id.toString()).toBe(ID);
    expect(() => new WorkloadX509Source({ env: {} })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });
});

describe('WorkloadX509Source', () => {
  it('the first SVID, then rotation every 100 ms: each update swapped in after validation', async () => {
    const a = await agent();
    const svids = await Promise.all(Array.from({ length: 6 }, () => ca.issueSVID(ID)));
    a.push(svidResponse([{ svid: svids[0]!, bundle: [ca] }]));
    const { s, errors } = await source(a);
    await s.ready(5000);
    expect(servedSerial(s)).toBe(serial(svids[0]!));
    for (const next of svids.slice(1)) {
      const updated = new Promise((r) => s.onUpdate(r));
      a.push(svidResponse([{ svid: next, bundle: [ca] }]));
      await updated;
      expect(servedSerial(s)).toBe(serial(next));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(s.updates).toBe(6);
    expect(errors).toEqual([]);
  });

  it('bundle rotation (a new root added, then the old removed) and federated bundles', async () => {
    const a = await agent();
    const newCa = await TestCA.create({ trustDomain: 'example.org' });
    const partner = await TestCA.create({ trustDomain: 'partner.test' });
    a.push(svidResponse([{ svid: await ca.issueSVID(ID), bundle: [ca] }], { 'partner.test': [partner] }));
    const { s } = await source(a);
    await s.ready(5000);
    expect(s.getBundle('partner.test').x509Authorities).toHaveLength(1);
    let updated = new Promise((r) => s.onUpdate(r));
    a.push(svidResponse([{ svid: await ca.issueSVID(ID), bundle: [ca, newCa] }]));
    await updated;
    expect(s.getBundle('example.org').x509Authorities).toHaveLength(2);
    expect(() => s.getBundle('partner.test')).toThrow(expect.objectContaining({ code: 'ERR_BUNDLE_NOT_FOUND' }));
    updated = new Promise((r) => s.onUpdate(r));
    a.push(svidResponse([{ svid: await newCa.issueSVID(ID), bundle: [newCa] }]));
    await updated;
    expect(s.getBundle('example.org').x509Authorities.map((c) => c.subject.text)).toEqual([newCa.certificate.subject.text]);
  });

  const malformed: Array<[string, (next: SVID, other: SVID) => ReturnType<typeof svidResponse>, ErrorCode]> = [
    ['a key that does not match the leaf', (next, other) => svidResponse([{ svid: next, bundle: [ca], keyPem: other.keyPem }]), 'ERR_SVID_KEY_MISMATCH'],
    ['a spiffe_id that is not the leaf\'s', (next) => ({ ...svidResponse([{ svid: next, bundle: [ca] }]), svids: svidResponse([{ svid: next, bundle: [ca] }]).svids.map((x) => ({ ...x, spiffe_id: 'spiffe://example.org/other' })) }), 'ERR_SVID_URI_SAN_INVALID'],
    ['a chain that is not DER', (next) => ({ ...svidResponse([{ svid: next, bundle: [ca] }]), svids: svidResponse([{ svid: next, bundle: [ca] }]).svids.map((x) => ({ ...x, x509_svid: Buffer.from('garbage') })) }), 'ERR_X509_MALFORMED'],
    ['an empty bundle', (next) => svidResponse([{ svid: next, bundle: [new Uint8Array(0)] }]), 'ERR_X509_MALFORMED'],
    ['no SVIDs at all', () => ({ svids: [], crl: [], federated_bundles: {} }), 'ERR_WORKLOAD_API_DENIED'],
  ];
  it.each(malformed)('%s: refused with %s, the last good SVID kept', async (_name, make, code) => {
    const a = await agent();
    const first = await ca.issueSVID(ID);
    a.push(svidResponse([{ svid: first, bundle: [ca] }]));
    const { s, errors } = await source(a);
    await s.ready(5000);
    a.push(make(await ca.issueSVID(ID), await ca.issueSVID(ID)));
    await waitFor(() => errors.length > 0, 3000, 'the refusal');
    expect(errors.map((e) => e.code)).toEqual([code]);
    expect(servedSerial(s)).toBe(serial(first));
  });

  it('an untrusted leaf (signed by a CA not in the delivered bundle) is refused', async () => {
    const a = await agent();
    const other = await TestCA.create({ trustDomain: 'example.org' });
    a.push(svidResponse([{ svid: await other.issueSVID(ID), bundle: [ca] }]));
    const { s, errors } = await source(a);
    await expect(s.ready(500)).rejects.toMatchObject({ code: 'ERR_SVID_SOURCE_UNAVAILABLE', message: expect.stringContaining('ERR_X509_CHAIN_UNTRUSTED') });
    expect(errors[0]!.code).toBe('ERR_X509_CHAIN_UNTRUSTED');
  });

  it('several SVIDs: the first by default, or by hint, or by picker', async () => {
    const a = await agent();
    const internal = await ca.issueSVID('spiffe://example.org/internal');
    const external = await ca.issueSVID('spiffe://example.org/external');
    a.push(svidResponse([{ svid: internal, bundle: [ca], hint: 'internal' }, { svid: external, bundle: [ca], hint: 'external' }]));
    const first = (await source(a)).s;
    const byHint = (await source(a, { hint: 'external' })).s;
    const byPicker = (await source(a, { picker: (list) => list.findIndex((x) => x.spiffeId.endsWith('/external')) })).s;
    await Promise.all([first.ready(5000), byHint.ready(5000), byPicker.ready(5000)]);
    expect(first.getX509Svid().id.toString()).toBe('spiffe://example.org/internal');
    expect(byHint.getX509Svid().id.toString()).toBe('spiffe://example.org/external');
    expect(byPicker.getX509Svid().id.toString()).toBe('spiffe://example.org/external');
    const { s: missing } = await source(a, { hint: 'nope' });
    await expect(missing.ready(500)).rejects.toMatchObject({ code: 'ERR_SVID_SOURCE_UNAVAILABLE', message: expect.stringContaining('ERR_WORKLOAD_API_FAILED') });
  });

  it('agent restart (socket removed and recreated): reconnects, keeps serving meanwhile, takes the new SVID', async () => {
    const a = await agent();
    const first = await ca.issueSVID(ID);
    a.push(svidResponse([{ svid: first, bundle: [ca] }]));
    const { s, errors } = await source(a);
    await s.ready(5000);
    await a.stop();
    await waitFor(() => errors.some((e) => e.code === 'ERR_WORKLOAD_API_UNAVAILABLE'), 5000, 'the unavailable error');
    expect(servedSerial(s)).toBe(serial(first));
    const second = await ca.issueSVID(ID);
    await a.start();
    a.push(svidResponse([{ svid: second, bundle: [ca] }]));
    await waitFor(() => servedSerial(s) === serial(second), 10_000, 'the SVID after the restart');
  });

  it('PermissionDenied: ERR_WORKLOAD_API_DENIED, retried with backoff until the agent allows', async () => {
    const a = await agent();
    a.denyAll();
    a.push(svidResponse([{ svid: await ca.issueSVID(ID), bundle: [ca] }]));
    const { s, errors } = await source(a);
    await expect(s.ready(400)).rejects.toMatchObject({ code: 'ERR_SVID_SOURCE_UNAVAILABLE', message: expect.stringContaining('ERR_WORKLOAD_API_DENIED') });
    expect(errors.every((e) => e.code === 'ERR_WORKLOAD_API_DENIED')).toBe(true);
    const callsBefore = a.calls;
    expect(callsBefore).toBeGreaterThan(1);
    expect(callsBefore).toBeLessThan(20); // backoff, not a busy loop
    a.allow();
    await s.ready(5000);
    expect(s.getX509Svid().id.toString()).toBe(ID);
    expect(errors.every((e) => !e.message.includes('no identity issued'))).toBe(true);
  });

  it('every call carries workload.spiffe.io: true; a call without it is refused InvalidArgument by the server', async () => {
    const a = await agent();
    a.push(svidResponse([{ svid: await ca.issueSVID(ID), bundle: [ca] }]));
    const { s } = await source(a);
    await s.ready(5000);
    expect(a.refusedWithoutMetadata).toBe(0);
    const Service = workloadApiDefinition()['SpiffeWorkloadAPI'] as grpc.ServiceClientConstructor;
    const raw = new Service(a.address, grpc.credentials.createInsecure()) as unknown as { FetchX509SVID(req: object): grpc.ClientReadableStream<unknown> };
    const code = await new Promise<number>((resolve) => raw.FetchX509SVID({}).on('error', (e: { code: number }) => resolve(e.code)).on('data', () => {}));
    expect(code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(a.refusedWithoutMetadata).toBe(1);
    (raw as unknown as grpc.Client).close();
  });

  it('close() is idempotent; nothing fires after it; no reconnect', async () => {
    const a = await agent();
    a.push(svidResponse([{ svid: await ca.issueSVID(ID), bundle: [ca] }]));
    const { s } = await source(a);
    await s.ready(5000);
    let updates = 0;
    s.onUpdate(() => updates++);
    await s.close();
    await s.close();
    const calls = a.calls;
    a.push(svidResponse([{ svid: await ca.issueSVID(ID), bundle: [ca] }]));
    await new Promise((r) => setTimeout(r, 300));
    expect(updates).toBe(0);
    expect(a.calls).toBe(calls);
    expect(() => s.getX509Svid()).toThrow(expect.objectContaining({ code: 'ERR_SVID_SOURCE_UNAVAILABLE' }));
  });
});

describe('an mTLS server fed by the Workload API', () => {
  it('SVIDs rotating every 100 ms while 4 clients connect continuously: 0 failed handshakes', async () => {
    const a = await agent();
    const svids = await Promise.all(Array.from({ length: 5 }, () => ca.issueSVID('spiffe://example.org/server')));
    a.push(svidResponse([{ svid: svids[0]!, bundle: [ca] }]));
    const s = await WorkloadX509Source.open({ address: a.address, readyTimeoutMs: 5000 });
    cleanups.push(() => s.close());
    const server = createMtlsTlsServer({ source: s, authorize: authorizeAny(), onRefused: () => {} }, (sock) => sock.end(`ok ${peerOf(sock)?.id.toString()}\n`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const client = await ca.issueSVID('spiffe://example.org/client');
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const loop = async () => {
      while (running) {
        await new Promise<void>((resolve) => {
          let data = '';
          const sock = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, cert: client.pem, key: client.keyPem });
          sock.on('secureConnect', () => seen.add(new X509Certificate(sock.getPeerX509Certificate()!.raw).serialNumber));
          sock.on('data', (d) => (data += d));
          sock.on('error', (e) => failures.push(e.message));
          sock.on('close', () => {
            if (data === 'ok spiffe://example.org/client\n') ok++;
            else failures.push(`reply ${JSON.stringify(data)}`);
            resolve();
          });
        });
      }
    };
    const loops = Array.from({ length: 4 }, loop);
    for (let i = 1; i <= 20; i++) {
      a.push(svidResponse([{ svid: svids[i % svids.length]!, bundle: [ca] }]));
      await new Promise((r) => setTimeout(r, 100));
    }
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    expect(seen.size).toBeGreaterThan(2);
    expect(s.updates).toBe(21);
  });
});
