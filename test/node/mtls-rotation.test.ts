/**
 * Rotation on real files and real handshakes: FileX509Source over atomic renames, the Kubernetes
 * `..data` symlink swap, partial writes, invalid and mismatched material, CA bundle rotation,
 * the startup wait, close() during a pending reload; the server's setSecureContext under load and
 * TLS session resumption across a rotation. Every wait is bounded in seconds.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { TestCA, type SVID } from '../support/ca.js';
import { FILES, material, waitFor, writeAtomic, writeFileAtomic, writeKubernetes } from '../support/mtls.js';
import { FileX509Source, StaticX509Source } from '../../node-adapter/spiffe/index.js';
import { authorizeAny, createMtlsTlsServer, peerOf, type MtlsTlsServer } from '../../node-adapter/mtls/index.js';
import { TrustError } from '../../shared/index.js';

const SERVER_ID = 'spiffe://example.org/server';
const CLIENT_ID = 'spiffe://example.org/client';

let ca: TestCA;
let client: SVID;
const dirs: string[] = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'cardtrust-rotation-'));
  dirs.push(d);
  return d;
}

async function serve(source: FileX509Source | StaticX509Source): Promise<{ server: MtlsTlsServer; port: number }> {
  const server = createMtlsTlsServer({ source, authorize: authorizeAny(), onRefused: () => {} }, (socket) => socket.end(`ok ${peerOf(socket)?.id.toString()}\n`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { server, port: (server.address() as AddressInfo).port };
}

interface Handshake {
  serial: string;
  reply: string;
  reused: boolean;
  session: Buffer | undefined;
}

/** One new connection: the server certificate's serial, whether the session was resumed, the reply. */
function handshake(port: number, as: SVID = client, session?: Buffer): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    let reply = '';
    let serial = '';
    let reused = false;
    let ticket: Buffer | undefined;
    const s: TLSSocket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, cert: as.pem, key: as.keyPem, ...(session ? { session } : {}) });
    s.on('session', (t) => (ticket = t));
    s.on('secureConnect', () => {
      const peer = s.getPeerX509Certificate();
      serial = peer ? new X509Certificate(peer.raw).serialNumber : "";
      reused = s.isSessionReused();
    });
    s.on('data', (d) => (reply += d.toString()));
    s.on('error', reject);
    s.on('close', () => resolve({ serial, reply, reused, session: ticket }));
  });
}

const serialOf = (svid: SVID) => new X509Certificate(svid.der[0]!).serialNumber;

beforeAll(async () => {
  ca = await TestCA.create({ trustDomain: 'example.org' });
  client = await ca.issueSVID(CLIENT_ID);
});

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function openFiles(dir: string, opts: Parameters<typeof FileX509Source.open>[1] = {}) {
  const errors: TrustError[] = [];
  const source = await FileX509Source.open(dir, { debounceMs: 50, waitMs: 0, ...opts });
  source.onError((e) => errors.push(e as TrustError));
  cleanups.push(() => source.close());
  return { source, errors };
}

describe('FileX509Source rotation', () => {
  it('an atomic rename of new files: new handshakes get the new SVID, the open connection keeps the old', async () => {
    const dir = await tempDir();
    const first = await ca.issueSVID(SERVER_ID);
    await writeAtomic(dir, material(first, ca.rootPem));
    const { source, errors } = await openFiles(dir);
    const { port } = await serve(source);
    expect((await handshake(port)).serial).toBe(serialOf(first));
    // an open connection across the rotation
    const open = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, cert: client.pem, key: client.keyPem });
    await new Promise((r) => open.once('secureConnect', r));
    const openSerial = new X509Certificate(open.getPeerX509Certificate()!.raw).serialNumber;

    const second = await ca.issueSVID(SERVER_ID);
    const updated = new Promise((r) => source.onUpdate(r));
    await writeAtomic(dir, material(second, ca.rootPem));
    await updated;
    expect((await handshake(port)).serial).toBe(serialOf(second));
    expect(openSerial).toBe(serialOf(first));
    expect(open.destroyed).toBe(false);
    open.destroy();
    expect(errors).toEqual([]);
  });

  it('the Kubernetes ..data symlink swap', async () => {
    const dir = await tempDir();
    const first = await ca.issueSVID(SERVER_ID);
    await writeKubernetes(dir, material(first, ca.rootPem));
    const { source, errors } = await openFiles(dir);
    const { port } = await serve(source);
    expect((await handshake(port)).serial).toBe(serialOf(first));
    for (let i = 0; i < 3; i++) {
      const next = await ca.issueSVID(SERVER_ID);
      const updated = new Promise((r) => source.onUpdate(r));
      await writeKubernetes(dir, material(next, ca.rootPem));
      await updated;
      expect((await handshake(port)).serial).toBe(serialOf(next));
    }
    expect(errors).toEqual([]);
  });

  it('partial writes (certificate first, key a second later): the old SVID serves until the pair matches', async () => {
    const dir = await tempDir();
    const first = await ca.issueSVID(SERVER_ID);
    await writeAtomic(dir, material(first, ca.rootPem));
    const { source, errors } = await openFiles(dir);
    const { port } = await serve(source);
    const second = await ca.issueSVID(SERVER_ID);
    await writeFileAtomic(join(dir, FILES.cert), second.pem);
    await waitFor(() => errors.length > 0, 3000, 'the mismatch error');
    expect(errors[0]!.code).toBe('ERR_SVID_KEY_MISMATCH');
    expect((await handshake(port)).serial).toBe(serialOf(first));
    await new Promise((r) => setTimeout(r, 1000));
    expect((await handshake(port)).serial).toBe(serialOf(first));
    const updated = new Promise((r) => source.onUpdate(r));
    await writeFileAtomic(join(dir, FILES.key), second.keyPem);
    await updated;
    expect((await handshake(port)).serial).toBe(serialOf(second));
  });

  it('a burst of writes (key before certificate) is coalesced into one validation', async () => {
    const dir = await tempDir();
    await writeAtomic(dir, material(await ca.issueSVID(SERVER_ID), ca.rootPem));
    const { source, errors } = await openFiles(dir, { debounceMs: 200 });
    const before = source.reloads;
    const next = await ca.issueSVID(SERVER_ID);
    const updated = new Promise((r) => source.onUpdate(r));
    await writeFileAtomic(join(dir, FILES.key), next.keyPem);
    await writeFileAtomic(join(dir, FILES.cert), next.pem);
    await updated;
    expect(source.reloads - before).toBe(1);
    expect(errors).toEqual([]);
    expect(serialOf(next)).toBe(new X509Certificate(source.getX509Svid().chain[0]!.der).serialNumber);
  });

  const invalid: Array<[string, (next: SVID, other: SVID) => Promise<Record<string, string>>, TrustError['code']]> = [
    ['a certificate file that is not PEM', async () => ({ [FILES.cert]: 'not a certificate\n' }), 'ERR_PEM_MALFORMED'],
    ['an expired certificate with its key', async () => {
      const expired = await ca.issueSVID(SERVER_ID, { notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) });
      return { [FILES.cert]: expired.pem, [FILES.key]: expired.keyPem };
    }, 'ERR_X509_EXPIRED'],
    ['a key that does not match the certificate', async (next, other) => ({ [FILES.cert]: next.pem, [FILES.key]: other.keyPem }), 'ERR_SVID_KEY_MISMATCH'],
    ['a certificate from a CA not in the bundle', async () => {
      const foreign = await (await TestCA.create({ trustDomain: 'example.org' })).issueSVID(SERVER_ID);
      return { [FILES.cert]: foreign.pem, [FILES.key]: foreign.keyPem };
    }, 'ERR_X509_CHAIN_UNTRUSTED'],
    ['a bundle file that is empty', async () => ({ [FILES.bundle]: '' }), 'ERR_BUNDLE_INVALID'],
  ];
  it.each(invalid)('%s: the old SVID is kept and an error event says %s', async (_name, make, code) => {
    const dir = await tempDir();
    const first = await ca.issueSVID(SERVER_ID);
    await writeAtomic(dir, material(first, ca.rootPem));
    const { source, errors } = await openFiles(dir);
    const { port } = await serve(source);
    const files = await make(await ca.issueSVID(SERVER_ID), await ca.issueSVID(SERVER_ID));
    for (const [name, text] of Object.entries(files)) await writeFileAtomic(join(dir, name), text);
    await waitFor(() => errors.length > 0, 3000, 'the error event');
    expect(errors.map((e) => e.code)).toEqual([code]);
    expect((await handshake(port)).serial).toBe(serialOf(first));
    expect(source.getX509Svid().id.toString()).toBe(SERVER_ID);
  });

  it('content identical to what is served is skipped (no validation, no event)', async () => {
    const dir = await tempDir();
    const m = material(await ca.issueSVID(SERVER_ID), ca.rootPem);
    await writeAtomic(dir, m);
    const { source } = await openFiles(dir);
    let updates = 0;
    source.onUpdate(() => updates++);
    const before = source.reloads;
    await writeAtomic(dir, m);
    await source.reload();
    await new Promise((r) => setTimeout(r, 200));
    expect(source.reloads).toBe(before);
    expect(updates).toBe(0);
  });

  it('CA bundle rotation: a client of a CA removed from the bundle is refused on the next handshake', async () => {
    const dir = await tempDir();
    const partnerCa = await TestCA.create({ trustDomain: 'example.org' });
    const partnerClient = await partnerCa.issueSVID('spiffe://example.org/partner');
    const server = await ca.issueSVID(SERVER_ID);
    await writeAtomic(dir, material(server, ca.rootPem + partnerCa.rootPem));
    const { source } = await openFiles(dir);
    const { port } = await serve(source);
    expect((await handshake(port, partnerClient)).reply).toBe('ok spiffe://example.org/partner\n');
    const updated = new Promise((r) => source.onUpdate(r));
    await writeFileAtomic(join(dir, FILES.bundle), ca.rootPem);
    await updated;
    expect((await handshake(port, partnerClient)).reply).toBe('');
    expect((await handshake(port, client)).reply).toBe(`ok ${CLIENT_ID}\n`);
  });

  it('close() during a pending reload: no reload or event after it', async () => {
    const dir = await tempDir();
    await writeAtomic(dir, material(await ca.issueSVID(SERVER_ID), ca.rootPem));
    const source = await FileX509Source.open(dir, { debounceMs: 100, waitMs: 0 });
    let updates = 0;
    source.onUpdate(() => updates++);
    await writeAtomic(dir, material(await ca.issueSVID(SERVER_ID), ca.rootPem));
    const reloads = source.reloads;
    await source.close();
    await source.close(); // idempotent
    await new Promise((r) => setTimeout(r, 300));
    expect(updates).toBe(0);
    expect(source.reloads).toBe(reloads);
    expect(() => source.getX509Svid()).toThrow(expect.objectContaining({ code: 'ERR_SVID_SOURCE_UNAVAILABLE' }));
  });

  it('close() while a reload is in flight discards its result', async () => {
    const dir = await tempDir();
    await writeAtomic(dir, material(await ca.issueSVID(SERVER_ID), ca.rootPem));
    const source = await FileX509Source.open(dir, { waitMs: 0 });
    let updates = 0;
    source.onUpdate(() => updates++);
    await writeAtomic(dir, material(await ca.issueSVID(SERVER_ID), ca.rootPem));
    const pending = source.reload();
    await source.close();
    await pending;
    expect(updates).toBe(0);
  });
});

describe('FileX509Source startup', () => {
  it('waits for files a sidecar writes late and logs once when they appear', async () => {
    const dir = await tempDir();
    const lines: string[] = [];
    setTimeout(() => void ca.issueSVID(SERVER_ID).then((s) => writeAtomic(dir, material(s, ca.rootPem))), 300);
    const source = await FileX509Source.open(dir, { waitMs: 5000, log: (l) => lines.push(l) });
    cleanups.push(() => source.close());
    expect(source.getX509Svid().id.toString()).toBe(SERVER_ID);
    expect(lines.filter((l) => l.includes('appeared'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('waiting'))).toHaveLength(1);
  });

  it('refuses to start when the files never arrive', async () => {
    const dir = await tempDir();
    await expect(FileX509Source.open(dir, { waitMs: 300 })).rejects.toMatchObject({ code: 'ERR_SVID_SOURCE_UNAVAILABLE', message: expect.stringContaining('svid.pem') });
  });

  it('refuses to start when the files are invalid, naming the reason', async () => {
    const dir = await tempDir();
    const a = await ca.issueSVID(SERVER_ID);
    const b = await ca.issueSVID(SERVER_ID);
    await writeAtomic(dir, { ...material(a, ca.rootPem), privateKey: b.keyPem });
    await expect(FileX509Source.open(dir, { waitMs: 200 })).rejects.toMatchObject({ code: 'ERR_SVID_SOURCE_UNAVAILABLE', message: expect.stringContaining('ERR_SVID_KEY_MISMATCH') });
  });

  it('custom file names and a federated bundle', async () => {
    const dir = await tempDir();
    const partner = await TestCA.create({ trustDomain: 'partner.test' });
    const s = await ca.issueSVID(SERVER_ID);
    await writeFile(join(dir, 'cert.pem'), s.pem);
    await writeFile(join(dir, 'key.pem'), s.keyPem);
    await writeFile(join(dir, 'ca.pem'), ca.rootPem);
    await writeFile(join(dir, 'partner.pem'), partner.rootPem);
    const source = await FileX509Source.open(dir, { certFileName: 'cert.pem', keyFileName: 'key.pem', bundleFileName: 'ca.pem', federatedBundles: { 'partner.test': 'partner.pem' }, waitMs: 0 });
    cleanups.push(() => source.close());
    const { port } = await serve(source);
    expect((await handshake(port, await partner.issueSVID('spiffe://partner.test/w'))).reply).toBe('ok spiffe://partner.test/w\n');
  });
});

describe('server rotation under load (setSecureContext)', () => {
  it('200 rotations while 4 clients open new connections continuously: 0 failed handshakes', async () => {
    const svids = await Promise.all(Array.from({ length: 8 }, () => ca.issueSVID(SERVER_ID)));
    const source = await StaticX509Source.create(material(svids[0]!, ca.rootPem));
    cleanups.push(() => source.close());
    const { server, port } = await serve(source);
    let rotating = true;
    let ok = 0;
    const failures: string[] = [];
    const serials = new Set<string>();
    const clientLoop = async () => {
      while (rotating) {
        try {
          const h = await handshake(port);
          if (h.reply !== `ok ${CLIENT_ID}\n`) failures.push(`reply ${JSON.stringify(h.reply)}`);
          else ok++;
          serials.add(h.serial);
        } catch (err) {
          failures.push(String((err as Error).message));
        }
      }
    };
    const loops = Array.from({ length: 4 }, clientLoop);
    for (let i = 1; i <= 200; i++) {
      await source.update(material(svids[i % svids.length]!, ca.rootPem));
      await new Promise((r) => setTimeout(r, 5));
    }
    rotating = false;
    await Promise.all(loops);
    expect(server.rotations).toBe(200);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    expect(serials.size).toBeGreaterThan(1);
  });

  it('TLS session resumption survives a rotation', async () => {
    const first = await ca.issueSVID(SERVER_ID);
    const source = await StaticX509Source.create(material(first, ca.rootPem));
    cleanups.push(() => source.close());
    const { port } = await serve(source);
    const full = await handshake(port);
    expect(full.reused).toBe(false);
    expect(full.session).toBeDefined();
    const resumedBefore = await handshake(port, client, full.session);
    expect(resumedBefore.reused).toBe(true);
    await source.update(material(await ca.issueSVID(SERVER_ID), ca.rootPem));
    const resumedAfter = await handshake(port, client, resumedBefore.session ?? full.session);
    expect(resumedAfter.reused).toBe(true);
    expect(resumedAfter.reply).toBe(`ok ${CLIENT_ID}\n`);
  });
});
