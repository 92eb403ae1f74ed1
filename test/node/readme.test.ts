/**
 * The README's library example runs as written (lesson 8: a tutorial is tested). The ```ts block is
 * taken from README.md, given the files `npm start` would have made (made here with the CLI in a
 * temp folder), and run with tsx from that folder; only the import of the core becomes absolute.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { curlCommands, SAMPLE_AGENT_ID, SAMPLE_CARD } from '../../node-adapter/start.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'node-adapter/bin/cardtrust.mjs');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

it('the library example in README.md prints the verified sample signer', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const example = /## Using the library[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example, 'README.md has a ```ts block under "## Using the library"').toBeDefined();
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-readme-'));
  try {
    const cli = (...args: string[]) => run(process.execPath, [BIN, ...args], { cwd: dir });
    await cli('ca', 'init', '--trust-domain', 'example.org');
    await cli('ca', 'issue', SAMPLE_AGENT_ID);
    await writeFile(join(dir, 'card.json'), JSON.stringify(SAMPLE_CARD));
    await cli('card', 'sign', 'card.json', '--cert', '.cardtrust/svids/agent/sample/svid.pem',
      '--key', '.cardtrust/svids/agent/sample/svid_key.pem', '-o', '.cardtrust/sample/agent-card.signed.json');
    const script = example!.replace("'./shared/index.js'", JSON.stringify(join(ROOT, 'shared/index.ts')));
    // the project folder is an ES module package; so is the temp folder standing in for it
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await writeFile(join(dir, 'verify.ts'), script);
    const { stdout } = await run(process.execPath, [TSX, '--tsconfig', join(ROOT, 'tsconfig.json'), 'verify.ts'], { cwd: dir });
    expect(stdout.trim()).toBe(`true ${SAMPLE_AGENT_ID}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it("the README's quick-start curl commands are the ones `npm start` prints (and its smoke test runs)", async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const { valid, tampered } = curlCommands('http://127.0.0.1:8787');
  expect(readme).toContain(`\n${valid}\n`);
  expect(readme).toContain(`\n${tampered}\n`);
});
