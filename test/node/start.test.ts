// Smoke test of `npm start` on a fresh copy of the project: it creates the dev trust domain, signs
// the sample card, writes .dev.vars, starts `wrangler dev`, and prints curl commands — which this
// test then performs with fetch (valid card verified, tampered copy not), before stopping the whole
// process group.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/upstash-bridge.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let child: ChildProcess | undefined;
let output = '';
let port: number;

/** A fresh clone stand-in: the project's tracked and new (not ignored) files, node_modules linked. */
function freshCopy(): string {
  const target = mkdtempSync(join(tmpdir(), 'cardtrust-start-'));
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

/** Live (non-zombie) processes of a process group, from /proc. */
function liveMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid pgrp ...; comm may contain spaces, so split after the last ')'
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Stops the whole group (npm, tsx, start.ts, wrangler, workerd) and waits until none is left. */
async function stop(): Promise<void> {
  const pgid = child?.pid;
  if (pgid === undefined) return;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // group already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 15_000;
  while (liveMembers(pgid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (liveMembers(pgid).length > 0) {
    signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Starts `npm start` in `dir` (its own process group) and waits for the curl commands. */
async function launch(): Promise<void> {
  output = '';
  child = spawn('npm', ['start'], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print the curl commands in time:\n${output}`)), 120_000);
    const check = (): void => {
      if (/Verify the tampered copy[^\n]*\n\s*curl [^\n]+\n/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child!.stdout?.on('data', check);
    child!.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
}

beforeAll(async () => {
  dir = freshCopy();
  port = await freePort();
  await launch();
}, 150_000);

afterAll(async () => {
  const pgid = child?.pid;
  await stop(); // a safety net: the last test already stopped it with one SIGTERM to npm
  if (pgid !== undefined) expect(liveMembers(pgid)).toEqual([]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

/** The printed `curl -sS -X POST <url> -H '<name>: <value>' --data-binary @<file>` lines, parsed. */
function printedCurls(): { url: string; header: [string, string]; file: string }[] {
  const re = /curl -sS -X POST (\S+) -H '([^:']+): ([^']+)' --data-binary @(\S+)/g;
  return [...output.matchAll(re)].map((m) => ({ url: m[1]!, header: [m[2]!, m[3]!], file: m[4]! }));
}

describe('npm start', () => {
  it('set up the dev trust domain, the sample cards and .dev.vars', () => {
    for (const f of ['.cardtrust/bundle.spiffe.json', '.cardtrust/sample/agent-card.signed.json', '.cardtrust/sample/agent-card.tampered.json', '.dev.vars']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const vars = readFileSync(join(dir, '.dev.vars'), 'utf8');
    expect(vars).toMatch(/^TRUST_BUNDLES='\{"example\.org":/m);
    expect(vars).toMatch(/^DEFAULT_TRUST_DOMAIN='example\.org'$/m);
  });

  it('prints curl commands for the valid and the tampered card, on 127.0.0.1 and the given port', () => {
    const curls = printedCurls();
    expect(curls).toHaveLength(2);
    for (const c of curls) expect(c.url).toBe(`http://127.0.0.1:${port}/v1/agent-cards/verify`);
    expect(curls.map((c) => c.file)).toEqual(['.cardtrust/sample/agent-card.signed.json', '.cardtrust/sample/agent-card.tampered.json']);
  });

  it('the printed curl steps give verified true, then false', async () => {
    const results = [];
    for (const c of printedCurls()) {
      const res = await fetch(c.url, { method: 'POST', headers: { [c.header[0]]: c.header[1] }, body: readFileSync(join(dir, c.file)) });
      expect(res.status).toBe(200);
      results.push(((await res.json()) as { verified: boolean }).verified);
    }
    expect(results).toEqual([true, false]);
  });

  it('serves the dev bundle and health', async () => {
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { bundles: string[] };
    expect(health.bundles).toEqual(['example.org']);
    const bundle = await fetch(`http://127.0.0.1:${port}/v1/bundles/example.org`);
    expect(bundle.status).toBe(200);
    expect(JSON.parse(readFileSync(join(dir, '.cardtrust/bundle.spiffe.json'), 'utf8'))).toEqual(await bundle.json());
  });

  it('keeps an existing dev CA when run again', async () => {
    const rootPem = readFileSync(join(dir, '.cardtrust/root.pem'), 'utf8');
    const { prepareDevEnvironment } = await import('../../node-adapter/start.js');
    await prepareDevEnvironment(dir, () => {});
    expect(readFileSync(join(dir, '.cardtrust/root.pem'), 'utf8')).toBe(rootPem);
  }, 60_000);

  // last: it stops the service. What a process manager or `docker stop` does: one SIGTERM to the
  // process it started (npm), not to the group. Every process of the tree must go: npm, tsx,
  // start.ts, wrangler and workerd.
  // and SIGINT (Ctrl-C where no terminal delivers it to the whole group) likewise, on a second start
  it.each(['SIGTERM', 'SIGINT'] as const)('stops the whole tree (wrangler and workerd too) on one %s to the npm process', async (signal) => {
    if (child!.exitCode !== null || child!.signalCode !== null) {
      port = await freePort();
      await launch();
    }
    const pgid = child!.pid!;
    const before = liveMembers(pgid);
    expect(before.length).toBeGreaterThan(3); // npm, tsx, start.ts, wrangler, workerd…
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    process.kill(pgid, signal); // the npm process alone
    await exited;
    // the children exit on their own once the signal went down the tree; wait for them (bounded)
    for (let i = 0; i < 150 && liveMembers(pgid).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(liveMembers(pgid)).toEqual([]);
  }, 150_000);
});
