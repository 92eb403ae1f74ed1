// The worker bundles offline with `wrangler deploy --dry-run` (what a deploy would upload), and its
// reported version matches package.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../workers/version.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), 'cardtrust-worker-build-'));

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('worker build', () => {
  it('wrangler deploy --dry-run bundles the worker', () => {
    const r = spawnSync(process.execPath, [join(root, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/--dry-run: exiting now/);
    const bundle = join(outdir, 'index.js');
    expect(readdirSync(outdir)).toContain('index.js');
    // the app, the core and its libraries: far more than an empty handler
    expect(statSync(bundle).size).toBeGreaterThan(50_000);
    const text = readFileSync(bundle, 'utf8');
    expect(text).toContain('/v1/agent-cards/verify');
  }, 120_000);

  it('the worker reports the package version', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
