/**
 * `cardtrust helper` as a real process against the fake Workload API agent: the files it writes
 * (modes, atomic, what `openssl verify` and FileX509Source read), the command it starts and
 * signals on renewal, and a FileX509Source-fed mTLS server rotating with 0 failed handshakes
 * while the agent rotates and clients connect continuously.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { TestCA, type SVID } from '../support/ca.js';
import { BIN, cli, expectError } from '../support/cli.js';
import { waitFor } from '../support/mtls.js';
import { FakeWorkloadApi, svidResponse } from '../support/workload-api.js';
import { FileX509Source } from '../../node-adapter/spiffe/index.js';
import { authorizeAny, createMtlsTlsServer } from '../../node-adapter/mtls/index.js';

const run = promisify(execFile);
const hasOpenssl = await run('sh', ['-c', 'command -v openssl']).then(() => true, () => false);
const ID = 'spiffe://example.org/web';

let dir: string;
let ca: TestCA;
let agent: FakeWorkloadApi;

const serial = (pem: string) => new X509Certificate(pem).serialNumber;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-helper-'));
  ca = await TestCA.create({ trustDomain: 'example.org' });
  agent = new FakeWorkloadApi(join(dir, 'agent.sock'));
  await agent.start();
});
afterAll(async () => {
  await agent.stop();
  await rm(dir, { recursive: true, force: true });
});

function startHelper(out: string, extra: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'helper', '--workload-api', agent.address, '--dir', out, ...extra], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  return { child, output: () => output, exited };
}

describe('cardtrust helper', () => {
  it('writes the files on every update, signals the command, and FileX509Source follows with 0 failed handshakes', async () => {
    const svids: SVID[] = await Promise.all(Array.from({ length: 6 }, () => ca.issueSVID(ID)));
    agent.push(svidResponse([{ svid: svids[0]!, bundle: [ca] }]));
    const out = join(dir, 'out');
    const script = "process.on('SIGHUP', () => console.log('got SIGHUP')); console.log('started'); setInterval(() => {}, 1000);";
    const h = startHelper(out, ['--signal', 'SIGHUP', '--', process.execPath, '-e', script]);
    try {
      await waitFor(() => h.output().includes('started'), 15_000, 'the command to start');
      expect(h.output()).toContain(`wrote ${ID}`);
      expect((await stat(join(out, 'svid_key.pem'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(out, 'svid.pem'))).mode & 0o777).toBe(0o644);
      expect(serial(await readFile(join(out, 'svid.pem'), 'utf8'))).toBe(serial(svids[0]!.pem));
      if (hasOpenssl) {
        const { stdout } = await run('openssl', ['verify', '-CAfile', join(out, 'svid_bundle.pem'), join(out, 'svid.pem')]);
        expect(stdout.trim()).toMatch(/: OK$/);
      }

      const source = await FileX509Source.open(out, { waitMs: 0 });
      const server = createMtlsTlsServer({ source, authorize: authorizeAny(), onRefused: () => {} }, (s) => s.end('ok\n'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      const client = await ca.issueSVID('spiffe://example.org/client');
      let running = true;
      const failures: string[] = [];
      let ok = 0;
      const loop = async () => {
        while (running) {
          await new Promise<void>((resolve) => {
            let data = '';
            const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, cert: client.pem, key: client.keyPem });
            s.on('data', (d) => (data += d));
            s.on('error', (e) => failures.push(e.message));
            s.on('close', () => {
              if (data === 'ok\n') ok++;
              else failures.push(`reply ${JSON.stringify(data)}`);
              resolve();
            });
          });
        }
      };
      const loops = Array.from({ length: 4 }, loop);
      for (const next of svids.slice(1)) {
        agent.push(svidResponse([{ svid: next, bundle: [ca] }]));
        await waitFor(async () => serial(await readFile(join(out, 'svid.pem'), 'utf8')) === serial(next.pem), 5000, 'the rotated file');
        await waitFor(() => serial(source.getX509Svid().certificatePem) === serial(next.pem), 5000, 'FileX509Source to follow');
      }
      running = false;
      await Promise.all(loops);
      server.close();
      await source.close();
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(10);
      await waitFor(() => (h.output().match(/got SIGHUP/g) ?? []).length === 5, 5000, 'five SIGHUPs');
    } finally {
      h.child.kill('SIGTERM');
      expect(await h.exited).toBe(0);
    }
  });

  it('--jwt-audience keeps a JWT-SVID file (0600) fresh: refetched when half its lifetime is gone', async () => {
    const jose = await import('jose');
    const { privateKey } = await jose.generateKeyPair('ES256');
    agent.jwtMinter = async (audience) => [
      {
        spiffe_id: ID,
        svid: await new jose.SignJWT({ sub: ID, aud: audience, n: Math.random() }).setProtectedHeader({ alg: 'ES256', kid: 'k', typ: 'JWT' }).setExpirationTime(Math.floor(Date.now() / 1000) + 3).sign(privateKey),
        hint: '',
      },
    ];
    agent.pushJwtBundles({ 'example.org': { keys: [] } });
    agent.push(svidResponse([{ svid: await ca.issueSVID(ID), bundle: [ca] }]));
    const out = join(dir, 'out-jwt');
    const h = startHelper(out, ['--jwt-audience', 'reports', '--jwt-file', 'reports.jwt']);
    try {
      const file = join(out, 'reports.jwt');
      const first = await waitFor(() => readFile(file, 'utf8').catch(() => ''), 15_000, 'the JWT file');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(jose.decodeJwt(first.trim())).toMatchObject({ sub: ID, aud: ['reports'] });
      await waitFor(async () => (await readFile(file, 'utf8')) !== first, 6000, 'a refreshed JWT-SVID');
    } finally {
      h.child.kill('SIGTERM');
      expect(await h.exited).toBe(0);
    }
  });

  it('usage errors: exit 2', async () => {
    expectError(await cli(['helper', '--workload-api', agent.address, '--dir', 'x', '--jwt-file', 'a.jwt'], dir), 2, 'ERR_USAGE');
    expectError(await cli(['helper', '--workload-api', agent.address, '--dir', 'x', '--jwt-audience', 'a', '--jwt-file', '../a.jwt'], dir), 2, 'ERR_USAGE');
    expectError(await cli(['helper', '--dir', 'x'], dir), 2, 'ERR_USAGE');
    expectError(await cli(['helper', '--workload-api', agent.address], dir), 2, 'ERR_USAGE');
    expectError(await cli(['helper', '--workload-api', agent.address, '--dir', 'x', '--signal', 'SIGNOPE', '--', 'true'], dir), 2, 'ERR_USAGE');
    expectError(await cli(['helper', '--workload-api', agent.address, '--dir', 'x', '--signal', 'SIGHUP'], dir), 2, 'ERR_USAGE');
    expectError(await cli(['helper', '--workload-api', 'unix:///nonexistent/a.sock', '--dir', 'x', '--svid-wait', '300ms'], dir), 2, 'ERR_SVID_SOURCE_UNAVAILABLE');
  });
});
