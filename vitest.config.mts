import { defineConfig } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { fileURLToPath } from 'node:url';
import { workerOutbound } from './test/support/worker-outbound.js';
import { workerTestWranglerConfig } from './test/support/worker-wrangler-config.js';

// wrangler.toml without the .dev.vars that `npm start` writes next to it (see the helper); made
// when a workerd project starts, once for both
let wranglerConfig: Promise<{ configPath: string }> | undefined;
const wrangler = () => (wranglerConfig ??= workerTestWranglerConfig(fileURLToPath(new URL('.', import.meta.url))).then((configPath) => ({ configPath })));

// One suite per layer; the runtime-neutral core runs three times: in Node, in Node with
// @peculiar/webcrypto injected as the crypto provider, and inside workerd.
export default defineConfig({
  test: {
    // the skip reasons again at the end of the run, where people look (test/support/skip-summary-reporter.ts)
    reporters: ['default', './test/support/skip-summary-reporter.ts'],
    projects: [
      {
        test: { name: 'core:node', include: ['test/core/**/*.test.ts'], setupFiles: ['test/support/setup-node.ts'] },
      },
      {
        test: {
          name: 'core:peculiar',
          include: ['test/core/**/*.test.ts'],
          setupFiles: ['test/support/setup-node.ts', 'test/support/setup-peculiar.ts'],
        },
      },
      {
        plugins: [cloudflareTest(async () => ({ wrangler: await wrangler() }))],
        test: { name: 'core:workerd', include: ['test/core/**/*.test.ts'], setupFiles: ['test/support/setup-workerd.ts'] },
      },
      {
        // the worker as main; its outbound fetches (fake agent origins, the local Upstash bridge) are
        // answered in Node by test/support/worker-outbound.ts; redis-server + bridge come from the globalSetup
        plugins: [
          cloudflareTest(async () => ({
            main: './workers/index.ts',
            wrangler: await wrangler(),
            miniflare: { outboundService: workerOutbound },
          })),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          setupFiles: ['test/support/setup-workerd.ts'],
          globalSetup: ['test/support/worker-global-setup.ts'],
        },
      },
      {
        test: { name: 'node', include: ['test/node/**/*.test.ts'], setupFiles: ['test/support/setup-node.ts'], testTimeout: 30_000 },
      },
    ],
  },
});
