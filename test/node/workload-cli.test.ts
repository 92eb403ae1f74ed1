/**
 * `--workload-api` on the command line: `cardtrust daemon --auth mtls` and `cardtrust card fetch`
 * taking their SVID from a Workload API agent (the fake agent of the tests, on a Unix socket), and
 * the refusals: both sources at once, a bad address, an agent that never answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCA } from '../support/ca.js';
import { BIN, CARD, cli, expectError } from '../support/cli.js';
import { material } from '../support/mtls.js';
import { FakeWorkloadApi, svidResponse } from '../support/workload-api.js';
import { StaticX509Source } from '../../node-adapter/spiffe/index.js';
import { authorizeAny, authorizeId, createMtlsServer, mtlsFetch } from '../../node-adapter/mtls/index.js';
import { signAgentCard } from '../../shared/agentcard/index.js';
import type { AddressInfo } from 'node:net';

let dir: string;
let ca: TestCA;
let agent: FakeWorkloadApi;
const DAEMON_ID = 'spiffe://example.org/daemon';
const CLIENT_ID = 'spiffe://example.org/client';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-wl-cli-'));
  ca = await TestCA.create({ trustDomain: 'example.org' });
  agent = new FakeWorkloadApi(join(dir, 'agent.sock'));
  await agent.start();
  agent.push(svidResponse([{ svid: await ca.issueSVID(DAEMON_ID), bundle: [ca] }]));
});
afterAll(async () => {
  await agent.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('cardtrust daemon --auth mtls --workload-api', () => {
  it('serves with the SVID from the agent; the allowed client runs a command', async () => {
    const child = spawn(process.execPath, [BIN, 'daemon', '--host', '127.0.0.1', '--port', '0', '--workspace', join(dir, 'ws'), '--auth', 'mtls', '--workload-api', agent.address, '--allowed-client-id', CLIENT_ID], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      const deadline = Date.now() + 15_000;
      let url: string | undefined;
      while (!(url = /listening on (https:\/\/\S+) /.exec(out)?.[1])) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`daemon did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(out).toContain(`svid ${DAEMON_ID}`);
      const source = await StaticX509Source.create(material(await ca.issueSVID(CLIENT_ID), ca.rootPem));
      const res = await mtlsFetch(`${url}/api/execute`, { source, authorize: authorizeId(DAEMON_ID), method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"command":["echo","hi"]}' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { stdout: string }).stdout).toBe('hi\n');
      await source.close();
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  const refusals: Array<[string, string[], string]> = [
    ['both sources', ['--svid-dir', 'x', '--workload-api', 'unix:///nope.sock'], 'ERR_USAGE'],
    ['an address that is not a Workload Endpoint', ['--workload-api', 'tcp://localhost:8081'], 'ERR_CONFIG_INVALID'],
    ['an agent that never answers', ['--workload-api', 'unix:///nonexistent/agent.sock', '--svid-wait', '300ms'], 'ERR_SVID_SOURCE_UNAVAILABLE'],
  ];
  it.each(refusals)('%s → exit 2 %s', async (_name, args, code) => {
    expectError(await cli(['daemon', '--port', '0', '--auth', 'mtls', '--allowed-trust-domain', 'example.org', ...args], dir), 2, code);
  });
});

describe('cardtrust card fetch --workload-api', () => {
  it('presents the SVID from the agent and proves the same identity', async () => {
    const agentSvid = await ca.issueSVID('spiffe://example.org/agent/a');
    const signed = await signAgentCard({ ...CARD }, { privateKey: agentSvid.privateKey, certificateChain: agentSvid.pem });
    const source = await StaticX509Source.create(material(agentSvid, ca.rootPem));
    const server = createMtlsServer({ source, authorize: authorizeAny(), onRefused: () => {} }, (_req, res) => res.end(JSON.stringify(signed)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await cli(['card', 'fetch', url, '--workload-api', 'default', '--expect-id', 'spiffe://example.org/agent/a'], dir, { env: { SPIFFE_ENDPOINT_SOCKET: agent.address } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^verdict +same-identity$/m);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await source.close();
    }
  });
});
