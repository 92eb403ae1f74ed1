// The workerd test projects must not depend on files a user's local run leaves behind: `npm start`
// writes .dev.vars at the project root, and wrangler reads it (or .env) next to the config it is
// given. This loads the worker suite's wrangler config the way @cloudflare/vitest-pool-workers
// does (unstable_getMiniflareWorkerOptions), in a copy of the project that has both files.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { workerTestWranglerConfig } from '../support/worker-wrangler-config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

const LEFT_BEHIND = "TRUST_BUNDLES='{\"left.behind\":\"not a bundle\"}'\nDEFAULT_TRUST_DOMAIN='left.behind'\n";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cardtrust-worker-config-'));
  copyFileSync(join(root, 'wrangler.toml'), join(dir, 'wrangler.toml'));
  writeFileSync(join(dir, '.dev.vars'), LEFT_BEHIND); // what `npm start` leaves
  writeFileSync(join(dir, '.env'), 'DEFAULT_MODE=audit\n');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bindings = (configPath: string) => unstable_getMiniflareWorkerOptions(configPath).workerOptions.bindings;

describe('the worker test config', () => {
  it('(the hazard) wrangler.toml itself picks up the .dev.vars next to it', () => {
    expect(bindings(join(dir, 'wrangler.toml'))).toMatchObject({ DEFAULT_TRUST_DOMAIN: 'left.behind' });
  });

  it('has exactly the vars of wrangler.toml, whatever .dev.vars or .env hold', async () => {
    const path = await workerTestWranglerConfig(dir, join(dir, 'out'));
    expect(bindings(path)).toEqual({ DEFAULT_MODE: 'strict' });
    const { main } = unstable_getMiniflareWorkerOptions(path);
    expect(main).toBe(join(dir, 'workers/index.ts'));
  });

  it('is what every workerd project of vitest.config.mts loads', () => {
    const text = readFileSync(join(root, 'vitest.config.mts'), 'utf8');
    const plugins = [...text.matchAll(/cloudflareTest\(/g)].length;
    expect(plugins).toBe(2); // core:workerd and worker
    expect([...text.matchAll(/wrangler: await wrangler\(\)/g)]).toHaveLength(plugins);
    expect(text).not.toMatch(/configPath:\s*'/); // no project reads wrangler.toml (and .dev.vars) directly
    expect(text).toMatch(/workerTestWranglerConfig\(fileURLToPath\(new URL\('\.', import\.meta\.url\)\)\)/);
  });
});
