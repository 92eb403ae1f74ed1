/**
 * What PicoD gets wrong about running commands, and the daemon must not: a timeout kills the whole
 * process group (grandchildren too), output is capped, the daemon's environment never leaks.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startDaemon, type TestDaemon } from '../support/daemon.js';

let d: TestDaemon;
const SECRET = 'cardtrust-test-secret-value-8c1f';
beforeAll(async () => {
  process.env.CARDTRUST_TEST_SECRET = SECRET;
  d = await startDaemon({ maxOutputBytes: 64 * 1024 });
  await d.init();
});
afterAll(async () => {
  delete process.env.CARDTRUST_TEST_SECRET;
  await d?.close();
});

const exec = async (body: unknown) => (await (await d.api('/api/execute', postJson(body))).json()) as Record<string, any>;

/** Running (a zombie waiting for its reaper counts as dead: it runs nothing). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  // the kernel reaps a SIGKILLed orphan promptly, but not synchronously with our response
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

describe('timeout', () => {
  it('kills the whole process group: a grandchild sleep is gone', async () => {
    const script = 'sleep 60 & echo $! > grandchild.pid; wait';
    const r = await exec({ command: ['sh', '-c', script], timeout: '500ms' });
    expect(r).toMatchObject({ exit_code: 124, timed_out: true });
    const pid = Number((await readFile(join(d.workspace, 'grandchild.pid'), 'utf8')).trim());
    expect(pid).toBeGreaterThan(1);
    expect(await gone(pid)).toBe(true);
  });

  it('does not wait past the deadline for a grandchild holding the pipes', async () => {
    const r = await exec({ command: ['sh', '-c', 'sleep 60 & exit 0'], timeout: '400ms' });
    // the direct child exited at once, but `sleep` kept stdout open: the deadline ends it
    expect(r.exit_code).toBe(124);
  });

  it('reports a signal death like Go (exit_code -1) with the signal named', async () => {
    const r = await exec({ command: ['sh', '-c', 'kill -TERM $$'] });
    expect(r).toMatchObject({ exit_code: -1, signal: 'SIGTERM', timed_out: false });
  });
});

describe('output cap', () => {
  it('keeps the first bytes of each stream and says it truncated', async () => {
    const r = await exec({ command: ['sh', '-c', 'head -c 200000 /dev/zero | tr "\\0" a; head -c 100 /dev/zero | tr "\\0" b >&2'] });
    expect(r.exit_code).toBe(0);
    expect(r.stdout.length).toBe(64 * 1024);
    expect(r.stdout).toMatch(/^a+$/);
    expect(r.stderr).toBe('b'.repeat(100));
    expect(r.truncated).toBe(true);
  });

  it('is not truncated under the cap', async () => {
    expect(await exec({ command: ['echo', 'hi'] })).toMatchObject({ stdout: 'hi\n', truncated: false });
  });
});

describe('environment', () => {
  it("does not pass the daemon's environment to the child", async () => {
    expect(process.env.CARDTRUST_TEST_SECRET).toBe(SECRET);
    const r = await exec({ command: ['env'] });
    expect(r.exit_code).toBe(0);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).not.toContain('CARDTRUST_TEST_SECRET');
    const names = (r.stdout as string).trim().split('\n').map((l) => l.split('=')[0]).sort();
    expect(names).toEqual(['HOME', 'LANG', 'PATH', 'PWD']);
    expect(r.stdout).toContain(`HOME=${d.workspace}\n`);
  });

  it('adds the request env, which may override the base', async () => {
    const r = await exec({ command: ['env'], env: { FOO: 'bar', PATH: '/bin:/usr/bin' } });
    expect(r.stdout).toContain('FOO=bar\n');
    expect(r.stdout).toContain('PATH=/bin:/usr/bin\n');
  });
});

describe('client abort', () => {
  it('kills the command when the client goes away', async () => {
    const ac = new AbortController();
    const pending = d.api('/api/execute', { ...postJson({ command: ['sh', '-c', 'echo $$ > aborted.pid; exec sleep 60'] }), signal: ac.signal });
    let pid = 0;
    for (let i = 0; i < 200 && !pid; i++) {
      pid = Number((await readFile(join(d.workspace, 'aborted.pid'), 'utf8').catch(() => '')).trim());
      if (!pid) await new Promise((r) => setTimeout(r, 10));
    }
    expect(pid).toBeGreaterThan(1);
    ac.abort();
    await pending.catch(() => {});
    expect(await gone(pid)).toBe(true);
  });
});
