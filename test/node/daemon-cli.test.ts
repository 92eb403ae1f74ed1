/**
 * `cardtrust daemon` as a real process: it starts on a free port, serves init and execute, keeps
 * its own environment (secrets, its bootstrap key variable) out of commands, refuses options it
 * cannot honour with exit 2, and on SIGTERM finishes the in-flight request and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, expectError } from '../support/cli.js';
import { bootstrapSigner, mintBootstrap, mintSession, postJson, sessionKeys, type BootstrapSigner } from '../support/daemon.js';

let dir: string;
let signer: BootstrapSigner;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-daemon-cli-'));
  signer = await bootstrapSigner();
  await writeFile(join(dir, 'bootstrap.pem'), signer.publicPem);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

interface Proc {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the daemon on port 0 and resolves with the URL it prints. */
function startDaemon(args: string[], env: NodeJS.ProcessEnv): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, 'daemon', '--host', '127.0.0.1', '--port', '0', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const onData = (d: string) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, output: () => out, exited });
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    void exited.then((code) => reject(new Error(`daemon exited ${code}: ${out}`)));
  });
}

describe('cardtrust daemon (process)', () => {
  it('serves, keeps its environment from commands, and stops gracefully on SIGTERM', async () => {
    const SECRET = 'daemon-cli-secret-4d2a91';
    const env = { ...process.env, CARDTRUST_BOOTSTRAP_PUBLIC_KEY: signer.publicPem, MY_API_KEY: SECRET };
    const d = await startDaemon(['--workspace', 'ws', '--session-id', 'sess-1'], env);
    const session = await sessionKeys();
    const init = await fetch(`${d.url}/init`, postJson({ token: await mintBootstrap(signer, session) }));
    expect(init.status).toBe(200);
    const auth = async () => ({ 'content-type': 'application/json', authorization: `Bearer ${await mintSession(session)}` });

    const envRun = (await (await fetch(`${d.url}/api/execute`, { method: 'POST', headers: await auth(), body: JSON.stringify({ command: ['env'] }) })).json()) as { stdout: string };
    expect(envRun.stdout).toContain('HOME=');
    expect(envRun.stdout).not.toContain(SECRET);
    expect(envRun.stdout).not.toContain('CARDTRUST_BOOTSTRAP_PUBLIC_KEY');
    expect(envRun.stdout).not.toContain('BEGIN PUBLIC KEY');

    // an in-flight command: it writes a marker once running, then takes a moment to finish
    const inflight = fetch(`${d.url}/api/execute`, {
      method: 'POST', headers: await auth(), body: JSON.stringify({ command: ['sh', '-c', 'touch started; sleep 1; echo done'], timeout: '20s' }),
    });
    const { access } = await import('node:fs/promises');
    for (let i = 0; i < 500; i++) {
      if (await access(join(dir, 'ws', 'started')).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    d.child.kill('SIGTERM');
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ exit_code: 0, stdout: 'done\n' });
    expect(await d.exited).toBe(0);
    expect(d.output()).toContain('cardtrust daemon: stopped');
    await expect(fetch(`${d.url}/health`)).rejects.toThrow();
  });

  it.each<[string, string[], Record<string, string>, string]>([
    ['no bootstrap key', [], {}, 'ERR_USAGE'],
    ['an unreadable key file', ['--bootstrap-public-key', 'missing.pem'], {}, 'ERR_FILE_UNREADABLE'],
    ['a key that is not a key', ['--bootstrap-public-key', 'bootstrap.pem'], { CORRUPT: '1' }, 'ERR_KEY_UNSUPPORTED'],
    ['a port that is not one', ['--port', '99999'], { KEY: '1' }, 'ERR_USAGE'],
    ['a timeout without a unit', ['--max-timeout', '10'], { KEY: '1' }, 'ERR_REQUEST_INVALID'],
    ['a redis URL that is not one', ['--redis', 'localhost:6379'], { KEY: '1' }, 'ERR_USAGE'],
  ])('refuses to start with %s (exit 2)', async (_name, args, flags, code) => {
    const work = await mkdtemp(join(dir, 'refuse-'));
    if (flags['CORRUPT']) await writeFile(join(work, 'bootstrap.pem'), '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    const withKey = flags['KEY'] ? ['--bootstrap-public-key', join(dir, 'bootstrap.pem')] : [];
    const env = { ...process.env };
    delete env.CARDTRUST_BOOTSTRAP_PUBLIC_KEY;
    const run = await cli(['daemon', '--port', '0', '--host', '127.0.0.1', '--workspace', 'ws', ...withKey, ...args], work);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^cardtrust: ${code}: `));
  });

  it('refuses to start when --redis cannot be reached (no silent fallback to memory)', async () => {
    const run = await cli(['daemon', '--port', '0', '--bootstrap-public-key', join(dir, 'bootstrap.pem'), '--workspace', 'ws', '--redis', 'redis://127.0.0.1:1'], dir);
    expectError(run, 2, 'ERR_STORE_UNAVAILABLE');
    expect(run.stderr).toContain('refusing to start');
  });

  it('prints its help', async () => {
    const run = await cli(['daemon', '--help'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--bootstrap-public-key');
  });
});
