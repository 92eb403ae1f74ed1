/**
 * docs/cli.md's example session runs as written (lesson: a tutorial is tested). The block is taken
 * from the document itself and run with bash in an empty folder; only `npx cardtrust` becomes
 * `node <bin>`, since npx resolves the bin from this package's folder, not from a temp folder.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { verifyAgentCardSignature, type AgentCard } from '@a2a-js/sdk';
import { BIN, runProcess } from '../support/cli.js';
import { importPublicKey, parseCertificates } from '../../shared/x509/index.js';


const DOC = fileURLToPath(new URL('../../docs/cli.md', import.meta.url));

function exampleSession(markdown: string): string {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Example session'));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/cli.md has no ```sh block under "## Example session"');
  return block;
}

it('the example session in docs/cli.md runs as written, twice in the same folder', async () => {
  const script = exampleSession(await readFile(DOC, 'utf8'));
  expect(script).toContain('npx cardtrust ca init');
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-docs-'));
  try {
    const session = () =>
      runProcess('bash', ['-euo', 'pipefail', '-c', script.replaceAll('npx cardtrust', 'node "$CARDTRUST_BIN"')], {
        cwd: dir,
        env: { ...process.env, CARDTRUST_BIN: BIN },
      });
    // a reader who runs it again (or after a mistake) must not be stopped by what the first run left
    const once = await session();
    expect(once.code, once.stderr).toBe(0);
    const run = await session();
    expect(run.code, run.stderr).toBe(0);
    // step 5 (readable), 6 (JSON), 7 (tampered: exit 1), 8 (strict: exit 1, audit: verified), 9 below
    expect(run.stdout).toMatch(/^result +VERIFIED \(strict mode\)$/m);
    expect(run.stdout).toContain('"verified": true');
    expect(run.stdout).toMatch(/^result +NOT VERIFIED \(strict mode\): ERR_JWS_SIGNATURE_INVALID/m);
    expect(run.stdout).toMatch(/^result +NOT VERIFIED \(strict mode\): ERR_CARD_SIGNER_NOT_BOUND/m);
    expect(run.stdout).toMatch(/^result +VERIFIED \(audit mode\)$/m);
    // step 9 (kid only: the key set from --jwks, no bundle)
    expect(run.stdout).toMatch(/^ +trust root +keyset:\S+$/m);
    expect(run.stdout.match(/^exit 1$/gm)).toHaveLength(2);
    expect(run.stderr).toMatch(/^cardtrust: ERR_JWS_SIGNATURE_INVALID: /m);
    // the tutorial's card, signed for a2a-sdk and jcs-clean, verifies in @a2a-js/sdk too
    const signed = JSON.parse(await readFile(join(dir, '.cardtrust/tutorial/card.signed.json'), 'utf8'));
    expect(signed.signatures).toHaveLength(2);
    const leaf = parseCertificates(await readFile(join(dir, '.cardtrust/tutorial/svids/agent/a/svid.pem'), 'utf8'))[0]!;
    const key = await importPublicKey(leaf, 'ES256');
    await verifyAgentCardSignature(async () => key)(signed as AgentCard);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // a dozen CLI processes, twice: ~10 s on a quiet machine, several times that on a loaded one
}, 120_000);
