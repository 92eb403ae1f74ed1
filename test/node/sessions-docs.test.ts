/**
 * docs/sessions.md's tutorial runs as written (lesson 8: a tutorial is tested). The ```sh block under
 * "## Tutorial" is run with bash in a fresh copy of the project (tracked and new files, node_modules
 * linked), as a user would from a clone. Only the fixed ports become free ones, and `npx cardtrust`
 * becomes `node node-adapter/bin/cardtrust.mjs` (what npx runs). The whole process group, and the
 * daemonized redis-server, are stopped afterwards whatever happens.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { redisAvailable } from '../support/redis-available.js';
import { freePort } from '../support/upstash-bridge.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const redisOk = redisAvailable('the docs/sessions.md tutorial test');

function tutorial(markdown: string): string {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Tutorial'));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/sessions.md has no ```sh block under "## Tutorial"');
  return block;
}

function freshCopy(): string {
  const target = mkdtempSync(join(tmpdir(), 'cardtrust-sessions-docs-'));
  const files = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
    .stdout.split('\0')
    .filter((f) => f && existsSync(join(root, f)));
  for (const f of files) {
    mkdirSync(dirname(join(target, f)), { recursive: true });
    cpSync(join(root, f), join(target, f));
  }
  symlinkSync(join(root, 'node_modules'), join(target, 'node_modules'));
  return target;
}

it.skipIf(!redisOk)('the tutorial in docs/sessions.md runs as written', async () => {
  let script = tutorial(readFileSync(join(root, 'docs/sessions.md'), 'utf8'));
  expect(script).toContain('npx cardtrust session init');
  const ports: Record<string, number> = { 8787: await freePort(), 8080: await freePort(), 8081: await freePort(), 6379: await freePort() };
  script = script.replace(/\b(8787|8080|8081|6379)\b/g, (fixed) => String(ports[fixed]));
  script = script.replaceAll('npx cardtrust', 'node node-adapter/bin/cardtrust.mjs');
  const dir = freshCopy();
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', NO_COLOR: '1', CARDTRUST_CONTROL_PLANE_TOKEN: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  try {
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const logs = ['worker.log', 'daemon1.log', 'daemon2.log']
      .map((f) => join(dir, '.cardtrust/sessions', f))
      .filter(existsSync)
      .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').slice(-2000)}`)
      .join('\n');
    expect(code, `${stderr}\n${logs}`).toBe(0);
    // 5: the created session; 6: initialized with its key; 7: the command's output; 8: the replay
    const created = JSON.parse(/^\{[\s\S]*?^\}$/m.exec(stdout)![0]) as { sessionId: string; sessionKeyThumbprint: string };
    expect(created.sessionId).toBe('demo');
    expect(stdout).toContain(`\ninitialized ${created.sessionKeyThumbprint}\n`);
    expect(stdout).toMatch(/^hello from the sandbox$/m);
    expect(stderr).toMatch(/^cardtrust: ERR_TOKEN_REPLAYED: /m);
    expect(stdout).toMatch(/^exit 1$/m);
    expect(stdout).toContain(`\nalready_initialized ${created.sessionKeyThumbprint}\n`);
  } finally {
    clearTimeout(timer);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    spawnSync('redis-cli', ['-p', String(ports['6379']), 'shutdown', 'nosave'], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
