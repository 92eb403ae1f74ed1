/**
 * The wrangler config the workerd test projects load: wrangler.toml as it is, and nothing that a
 * user's local run leaves next to it. Wrangler reads `.dev.vars` (or `.env`) from the directory
 * of the config it is given, and `npm start` writes `.dev.vars` at the project root; tests that
 * then saw the dev trust bundle passed or failed by what the user ran before. So the config is
 * copied (as JSON, with `main` made absolute) into a directory of its own, where no such file is.
 * Node only (used by vitest.config.mts and test/node/worker-config.test.ts). Async because it
 * imports wrangler (seconds), which a run of the Node-side projects alone should not pay.
 *
 * @example
 * cloudflareTest(async () => ({ wrangler: { configPath: await workerTestWranglerConfig(root) } }))
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Files wrangler would read variables from, next to the config. */
export const LOCAL_VARS_FILES = ['.dev.vars', '.env'];

export async function workerTestWranglerConfig(root: string, outDir = join(root, 'node_modules', '.cache', 'cardtrust-worker-tests')): Promise<string> {
  const { experimental_readRawConfig } = await import('wrangler');
  const { rawConfig } = experimental_readRawConfig({ config: join(root, 'wrangler.toml') });
  if (typeof rawConfig.main !== 'string') throw new Error('wrangler.toml has no main');
  mkdirSync(outDir, { recursive: true });
  // the directory is ours: nothing may have been put there, but make sure
  for (const f of LOCAL_VARS_FILES) rmSync(join(outDir, f), { force: true });
  const path = join(outDir, 'wrangler.json');
  writeFileSync(path, JSON.stringify({ ...rawConfig, main: resolve(root, rawConfig.main) }, null, 2) + '\n');
  return path;
}
