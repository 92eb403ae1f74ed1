/**
 * docs/serve.md's session runs as written (lesson: a tutorial is tested): a dev CA, an env file,
 * `cardtrust serve` in the background, an SVID verified over HTTP, /metrics, SIGTERM, the access
 * log. Only `npx cardtrust` becomes `node <bin>` (npx resolves the bin from this package's folder).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { BIN, runProcess } from '../support/cli.js';

const DOC = fileURLToPath(new URL('../../docs/serve.md', import.meta.url));

it('the session in docs/serve.md runs as written', async () => {
  const block = /```sh\n([\s\S]*?)```/.exec(await readFile(DOC, 'utf8'))?.[1];
  if (!block) throw new Error('docs/serve.md has no ```sh block');
  expect(block).toContain('npx cardtrust serve');
  const run = await runProcess('bash', ['-euo', 'pipefail', '-c', block.replaceAll('npx cardtrust', 'node "$CARDTRUST_BIN"')], {
    cwd: process.cwd(),
    env: { ...process.env, CARDTRUST_BIN: BIN },
  });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toContain('"verified":true');
  // at least the one request before it, counted by route and status
  expect(Number(run.stdout.split('\n').find((l) => /^\d+$/.test(l)))).toBeGreaterThanOrEqual(2);
  expect(run.stdout).toContain('"route":"/v1/svids/x509/verify","status":200');
}, 60_000);
