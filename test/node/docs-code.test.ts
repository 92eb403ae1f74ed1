/**
 * Every ```ts and ```sh block in README.md and docs/ is accounted for: each ts block runs as written (with
 * tsx, from a temp folder, `./shared/…` imports pointed at this repository) after a prelude that
 * makes the inputs it assumes (a test CA, keys, a card), and each sh block is run here, by the test
 * named for it, or says why it cannot run here. A new block without an entry fails this test.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Block {
  readonly key: string; // page#n, n counting the page's blocks of that language from 1
  readonly lang: string;
  readonly code: string;
}

function blocks(page: string): Block[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const out: Block[] = [];
  const count = new Map<string, number>();
  for (const m of text.matchAll(/^( *)```(\w*)\n([\s\S]*?)^\1```$/gm)) {
    const lang = m[2] || 'text';
    const n = (count.get(lang) ?? 0) + 1;
    count.set(lang, n);
    const indent = m[1]!.length;
    out.push({ key: `${page}#${n}`, lang, code: m[3]!.split('\n').map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n') });
  }
  return out;
}

const all = PAGES.flatMap(blocks);

// --- ```ts blocks ---------------------------------------------------------------------------

type TsEntry =
  | { readonly prelude: string; readonly epilogue?: string; readonly throws?: string }
  | { readonly sketch: string }
  | { readonly testedBy: string };

// preludes: `@root/` is this repository; dynamic imports only, so no name meets the block's imports
const CA = `const { TestCA } = await import('@root/test/support/ca.ts');
const ca = await TestCA.create({ trustDomain: 'example.org' });
const inter = await ca.childCA();
const svid = await inter.issueSVID('spiffe://example.org/agent/a');`;
const SPIFFE = `${CA}
const core = await import('@root/shared/index.ts');
const jose = await import('jose');
const partnerCa = await TestCA.create({ trustDomain: 'partner.test' });
const rootPem = ca.pem, pemText = ca.pem, partnerPem = partnerCa.pem, svidPem = svid.pem, leaf = svid.certificates[0];
const kp = await jose.generateKeyPair('ES256');
const { kty, crv, x, y } = await jose.exportJWK(kp.publicKey);
const publicJwk = { kty, crv, x, y };
const jwksText = core.serializeSpiffeBundle(new core.TrustBundle('example.org', { x509Authorities: [rootPem], jwtAuthorities: { k1: publicJwk } }));
const configValue = jwksText;
const ours = core.parseSpiffeBundle(jwksText, 'example.org');
const federation = new core.BundleSet([ours, core.TrustBundle.fromPem('partner.test', partnerPem)]);
const bearerToken = await new jose.SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'JWT' })
  .setSubject('spiffe://example.org/web').setAudience('spiffe://example.org/reports').setExpirationTime('5m').sign(kp.privateKey);`;
const CARD = `const card = { name: 'Agent A', description: 'Answers questions', version: '1.0.0', supportedInterfaces: [{ url: 'https://a.example.org/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }] };`;

const TS: Record<string, TsEntry> = {
  'README.md#1': { testedBy: 'test/node/readme.test.ts' },
  'docs/x509.md#1': {
    prelude: `${CA}\nconst peerCertDer = svid.der[0], peerChainPem = inter.pem, bundlePem = ca.pem;`,
    epilogue: `if (chain.length !== 3 || chain[0].subjectAltName.uri[0] !== 'spiffe://example.org/agent/a') throw new Error('unexpected chain');`,
  },
  'docs/x509.md#2': { prelude: `${CA}\nconst pem = svid.keyPem;`, epilogue: `if (pkcs8KeyType(block.der).kty !== 'EC') throw new Error('not EC');` },
  'docs/agentcard.md#1': {
    prelude: `${CA}\n${CARD}\nconst { BundleSet, TrustBundle } = await import('@root/shared/index.ts');
const svidPem = svid.pem;
const bundles = new BundleSet([new TrustBundle('example.org', { x509Authorities: [ca.pem] })]);`,
    epilogue: `if (!report.verified) throw new Error('the card did not verify: ' + JSON.stringify(report.error));`,
  },
  'docs/agentcard.md#2': {
    prelude: `const { verifyAgentCard, signAgentCard } = await import('@root/shared/index.ts');
const { generateKeyPair } = await import('@root/shared/ca/index.ts');
const kp = await generateKeyPair('P-256');
const keys = { keys: [{ ...(await crypto.subtle.exportKey('jwk', kp.publicKey)), kid: 'py-1' }] };
const pyCard = { name: 'Agent \\u00c4', version: '1.0.0', capabilities: { extensions: [{ uri: 'urn:x', params: { level: 2 } }] } };
const card = await signAgentCard(pyCard, { privateKey: kp.privateKey, kid: 'py-1', profile: 'python-json' });`,
    epilogue: `if (!report.verified || report.profile !== 'python-json') throw new Error('expected a python-json verification: ' + JSON.stringify(report));`,
  },
  'docs/agentcard.md#3': {
    prelude: `${CARD}\nconst { signAgentCard } = await import('@root/shared/index.ts');
const { generateKeyPair } = await import('@root/shared/ca/index.ts');
const { privateKey } = await generateKeyPair('P-256');`,
    epilogue: `if (both.signatures.length !== 1) throw new Error('a card inside the v1.0 schema: one payload, one signature');`,
  },
  'docs/agentcard.md#4': {
    prelude: `${CARD}\nconst { verifyAgentCard } = await import('@root/shared/index.ts');
const { generateKeyPair } = await import('@root/shared/ca/index.ts');
const jwk = async (kid) => ({ ...(await crypto.subtle.exportKey('jwk', (await generateKeyPair('P-256')).publicKey)), kid });
const invoiceAgentJwk = await jwk('invoices-1');
const partnerJwks = { keys: [await jwk('partner-1')] };`,
  },
  'docs/agentcard.md#5': {
    prelude: `${CARD}\nconst { verifyAgentCard, parseAgentCardKeySets } = await import('@root/shared/index.ts');
const { generateKeyPair } = await import('@root/shared/ca/index.ts');
const { readFile, writeFile } = await import('node:fs/promises');
const pub = { ...(await crypto.subtle.exportKey('jwk', (await generateKeyPair('P-256')).publicKey)), kid: 'k1' };
await writeFile('trusted-keys.json', JSON.stringify({ keys: [pub], spiffeId: 'spiffe://example.org/agent/a' }));`,
    epilogue: `if (keys.length !== 1) throw new Error('one set expected');`,
  },
  'docs/errors.md#1': { sketch: 'the shape of TrustError (shared/errors.ts), not a program' },
  'docs/sessions.md#1': {
    prelude: `const { generateKeyPairSync } = await import('node:crypto');
const kp = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const pkcs8Pem = kp.privateKey, bootstrapPublicPem = kp.publicKey;
const secret = crypto.getRandomValues(new Uint8Array(32)), sessionId = 'session-1';`,
    epilogue: `if (claims.sub !== sessionId || !thumbprint) throw new Error('unexpected claims');`,
  },
  'docs/spiffe.md#1': { prelude: '', epilogue: `if (td.name !== 'example.org') throw new Error('td');` },
  'docs/spiffe.md#2': { prelude: '', throws: 'ERR_SPIFFE_ID_NOT_AUTHORIZED' }, // its last line throws, as its comment says
  'docs/spiffe.md#3': { prelude: SPIFFE },
  'docs/spiffe.md#4': { sketch: 'the BundleSource interface, a type' },
  'docs/mtls.md#1': { testedBy: 'test/node/mtls-docs.test.ts' },
  'docs/serve.md#1': { prelude: '' },
  'docs/mtls.md#2': { sketch: 'a fragment that needs a running Workload API agent; test/node/workload-api.test.ts makes the same calls against one' },
  'docs/spiffe.md#5': { prelude: SPIFFE.replace(/\nconst federation = [^\n]+/, ''), throws: 'ERR_BUNDLE_NOT_FOUND' }, // as its comment says
  'docs/spiffe.md#6': { prelude: SPIFFE, epilogue: `if (chain.length !== 3) throw new Error('chain');` },
  'docs/spiffe.md#7': { prelude: SPIFFE, epilogue: `if (claims.aud[0] !== 'spiffe://example.org/reports') throw new Error('aud');` },
};

async function runTs(block: Block, entry: { prelude: string; epilogue?: string }): Promise<{ code: number; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-docs-code-'));
  try {
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const code = block.code.replace(/from '\.\/(shared|node-adapter)\//g, `from '${ROOT}$1/`);
    const prelude = entry.prelude.replaceAll('@root/', ROOT);
    await writeFile(join(dir, 'block.ts'), `${prelude}\n// --- ${block.key}, as written\n${code}\n${entry.epilogue ?? ''}\n`);
    try {
      await exec(process.execPath, [TSX, '--tsconfig', join(ROOT, 'tsconfig.json'), 'block.ts'], { cwd: dir });
      return { code: 0, stderr: '' };
    } catch (err) {
      const e = err as { code?: number; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : 1, stderr: e.stderr ?? String(err) };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('```ts blocks', () => {
  const ts = all.filter((b) => b.lang === 'ts');

  it('every one has an entry (a prelude, or why it is not a program), and every entry a block', () => {
    expect(ts.map((b) => b.key).sort()).toEqual(Object.keys(TS).sort());
  });

  it('import the core by a path that exists in this repository, never by a package name', () => {
    for (const b of ts) {
      for (const m of b.code.matchAll(/from '([^']+)'/g)) {
        if (m[1]!.startsWith('node:')) continue; // Node's own modules
        expect(m[1], b.key).toMatch(/^\.\/(shared|node-adapter)\//);
        expect(existsSync(join(ROOT, m[1]!.replace(/\.js$/, '.ts'))), b.key).toBe(true);
      }
    }
  });

  it.concurrent.each(ts.filter((b) => 'prelude' in (TS[b.key] ?? {})).map((b) => [b.key, b] as const))('%s runs as written', async (_key, block) => {
    const entry = TS[block.key] as { prelude: string; epilogue?: string; throws?: string };
    const r = await runTs(block, entry);
    if (entry.throws) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(entry.throws);
    } else {
      expect(r.code, r.stderr).toBe(0);
    }
  }, 60_000);

  it.each(Object.entries(TS).filter(([, e]) => 'testedBy' in e))('%s is run by its own test', (_key, entry) => {
    expect(existsSync(join(ROOT, (entry as { testedBy: string }).testedBy))).toBe(true);
  });
});

// --- ```sh blocks ---------------------------------------------------------------------------

type ShEntry = { readonly run: true } | { readonly testedBy: string } | { readonly notRun: string };

const START = 'test/node/start.test.ts'; // runs `npm start` on a fresh copy and the curl commands it prints
const SH: Record<string, ShEntry> = {
  'README.md#1': { testedBy: START },
  'README.md#2': { testedBy: START },
  'README.md#3': { notRun: 'the whole test suite: this test is part of it' },
  'README.md#4': { notRun: 'a subset of the test suite: this test is part of it' },
  'docs/agentcard.md#1': { notRun: 'test commands: this test is part of the suite they run' },
  'docs/benchmarks.md#1': { notRun: 'benchmarks: a minute of full CPU, run by hand (never in a loop on a shared machine)' },
  'docs/cli.md#1': { run: true },
  'docs/cli.md#2': { testedBy: 'test/node/cli-docs.test.ts' },
  'docs/cli.md#3': { notRun: 'a synopsis with placeholder files; the same two commands are step 9 of the example session (docs/cli.md#2)' },
  'docs/daemon.md#1': { notRun: 'starts a server that runs until stopped; the same flags are run by test/node/daemon-cli.test.ts' },
  'docs/sessions.md#1': { testedBy: 'test/node/sessions-docs.test.ts' },
  'docs/serve.md#1': { testedBy: 'test/node/serve-docs.test.ts' },
  'docs/worker.md#1': { testedBy: START },
  'docs/worker.md#2': { testedBy: START },
  'docs/worker.md#3': { notRun: 'needs the service of `npm start` running; the {card, policy} form is tested in test/worker/app-verify.test.ts' },
  'docs/worker.md#4': { notRun: 'fetches a card from a real https origin; the route is tested with scripted origins in test/worker/fetch-agent-card.test.ts' },
  'docs/worker.md#5': { notRun: 'needs the service of `npm start` running; start.test.ts requests the same bundle URL' },
  'docs/worker.md#6': { notRun: 'deploys to Cloudflare: needs an account and the network' },
};

describe('```sh blocks', () => {
  const sh = all.filter((b) => b.lang === 'sh');

  it('every one is run here, run by a named test, or says why it cannot run', () => {
    expect(sh.map((b) => b.key).sort()).toEqual(Object.keys(SH).sort());
    for (const [key, e] of Object.entries(SH)) if ('testedBy' in e) expect(existsSync(join(ROOT, e.testedBy)), key).toBe(true);
  });

  it.each(sh.filter((b) => 'run' in (SH[b.key] ?? {})).map((b) => [b.key, b] as const))('%s runs as written', async (_key, block) => {
    const script = block.code.replaceAll('npx cardtrust', `node ${JSON.stringify(join(ROOT, 'node-adapter/bin/cardtrust.mjs'))}`);
    const { stdout } = await exec('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT });
    expect(stdout).toContain('Usage: cardtrust');
  });
});
