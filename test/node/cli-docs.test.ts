/**
 * docs/cli.md's example session runs as written (lesson: a tutorial is tested). The block is taken
 * from the document itself and run with bash in an empty folder; only `npx cardtrust` becomes
 * `node <bin>`, since npx resolves the bin from this package's folder, not from a temp folder.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const DOC = fileURLToPath(new URL('../../docs/cli.md', import.meta.url));
const BIN = fileURLToPath(new URL('../../node-adapter/bin/cardtrust.mjs', import.meta.url));

function exampleSession(markdown: string): string {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Example session'));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/cli.md has no ```sh block under "## Example session"');
  return block;
}

it('the example session in docs/cli.md runs as written', async () => {
  const script = exampleSession(await readFile(DOC, 'utf8'));
  expect(script).toContain('npx cardtrust ca init');
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-docs-'));
  try {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-euo', 'pipefail', '-c', script.replaceAll('npx cardtrust', 'node "$CARDTRUST_BIN"')], {
        cwd: dir,
        env: { ...process.env, CARDTRUST_BIN: BIN },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(run.code, run.stderr).toBe(0);
    // step 5 (readable), 6 (JSON), 7 (tampered: exit 1), 8 (strict: exit 1, audit: verified)
    expect(run.stdout).toMatch(/^result +VERIFIED \(strict mode\)$/m);
    expect(run.stdout).toContain('"verified": true');
    expect(run.stdout).toMatch(/^result +NOT VERIFIED \(strict mode\): ERR_JWS_SIGNATURE_INVALID/m);
    expect(run.stdout).toMatch(/^result +NOT VERIFIED \(strict mode\): ERR_CARD_SIGNER_NOT_BOUND/m);
    expect(run.stdout).toMatch(/^result +VERIFIED \(audit mode\)$/m);
    expect(run.stdout.match(/^exit 1$/gm)).toHaveLength(2);
    expect(run.stderr).toMatch(/^cardtrust: ERR_JWS_SIGNATURE_INVALID: /m);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
