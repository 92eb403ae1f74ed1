/**
 * docs/mtls.md's example runs as written: the ```ts block under "A server and a client", in a
 * temp folder where the dev CA issued the two SVIDs; only the repo-relative imports become absolute.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'node-adapter/bin/cardtrust.mjs');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

it('the server-and-client example in docs/mtls.md prints the two identities', async () => {
  const doc = await readFile(join(ROOT, 'docs/mtls.md'), 'utf8');
  const example = /## A server and a client[\s\S]*?```ts\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(example, 'docs/mtls.md has a ```ts block under "## A server and a client"').toBeDefined();
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-mtls-doc-'));
  try {
    const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { cwd: dir });
    await cli('ca', 'init', '--trust-domain', 'example.org');
    await cli('ca', 'issue', 'spiffe://example.org/server');
    await cli('ca', 'issue', 'spiffe://example.org/client');
    const script = example!.replaceAll("'./node-adapter/", `'${join(ROOT, 'node-adapter')}/`);
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await writeFile(join(dir, 'example.ts'), script);
    const { stdout } = await run(process.execPath, [TSX, '--tsconfig', join(ROOT, 'tsconfig.json'), 'example.ts'], { cwd: dir });
    expect(stdout.trim()).toBe('200 spiffe://example.org/server hello spiffe://example.org/client');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
