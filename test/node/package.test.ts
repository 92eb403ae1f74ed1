/**
 * cardtrust installed the way a user installs it: `npm pack` (which runs `prepack`: a clean build),
 * the tarball installed into a fresh temporary project (`npm install --prefer-offline <tgz>`, from
 * the cache `npm ci` filled), then used from outside the repository:
 *   1. an ESM script run by plain node issues an SVID chain (`cardtrust/ca`), verifies it and signs
 *      and verifies a card (`cardtrust`);
 *   2. a TypeScript consumer type-checks against the published .d.ts with `moduleResolution`
 *      `nodenext` and `bundler`;
 *   3. a consumer Worker importing `cardtrust/worker` is built by wrangler and answers in workerd;
 *   4. an esbuild browser bundle of `cardtrust/agentcard` verifies the card in headless Chromium;
 *   5. the installed `cardtrust` bin prints its version and verifies the card;
 * and the verify-only entries load neither @peculiar/x509 nor reflect-metadata. One file, in order:
 * every step uses what the steps before it made.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteSkip } from '../support/skip-reasons.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; exports: Record<string, unknown> };
const TD = 'example.org';
const AGENT = `spiffe://${TD}/agent/a`;

/** The entries that only verify: none of them may load the issuing stack. */
const VERIFY_ONLY = ['cardtrust', 'cardtrust/agentcard', 'cardtrust/x509', 'cardtrust/spiffe', 'cardtrust/svid', 'cardtrust/bundle', 'cardtrust/session', 'cardtrust/worker'];
const ISSUING = /node_modules\/(@peculiar\/x509|reflect-metadata)\//;

let work: string; // holds the tarball and the consumer project
let app: string; // the consumer project
let packed: { filename: string; files: { path: string }[] };

const run = (cmd: string, args: string[], cwd: string, timeout = 120_000) =>
  exec(cmd, args, { cwd, timeout, maxBuffer: 16 << 20, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', npm_config_update_notifier: 'false' } });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cardtrust-package-'));
  app = join(work, 'app');
  await mkdir(app);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const pack = await run(npm, ['pack', '--json', '--pack-destination', work], ROOT);
  // prepack's build output comes first on stdout; the JSON report is the last thing printed
  const json = pack.stdout.slice(pack.stdout.lastIndexOf('\n[\n') + 1);
  packed = (JSON.parse(json) as (typeof packed)[])[0]!;
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, packed.filename)], app);
  // the consumer's own dev tools, taken from this repository rather than downloaded again (a
  // dependency of a dependency may already have brought @types/node)
  if (!existsSync(join(app, 'node_modules/@types/node'))) {
    await mkdir(join(app, 'node_modules/@types'), { recursive: true });
    await symlink(join(ROOT, 'node_modules/@types/node'), join(app, 'node_modules/@types/node'), 'dir');
  }
}, 240_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the compiled package and nothing of the repository besides', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toContain('package.json');
    expect(paths).toContain('README.md');
    expect(paths).toContain('dist/node-adapter/bin/cardtrust.js');
    expect(paths).toContain('dist/node-adapter/spiffe/workload/workload.proto');
    for (const [subpath, target] of Object.entries(PKG.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      const { types, default: js } = target as { types: string; default: string };
      expect(paths, subpath).toContain(js.slice(2));
      expect(paths, subpath).toContain(types.slice(2));
    }
    // besides dist/: the TypeScript sources the source maps and declaration maps point at
    const outside = paths.filter((p) => !p.startsWith('dist/') && p !== 'package.json' && p !== 'README.md' && !/^(shared|workers|node-adapter)\/.+\.ts$/.test(p));
    expect(outside).toEqual([]);
    for (const p of paths.filter((p) => p.startsWith('dist/') && p.endsWith('.js'))) expect(paths, p).toContain(p.slice(5).replace(/\.js$/, '.ts'));
    expect(paths.filter((p) => /tsbuildinfo|\.test\.|^test\/|^bench\/|start\.ts$/.test(p))).toEqual([]);
  });
});

describe('installed into a fresh project', () => {
  it('1. plain node: cardtrust/ca issues an SVID chain; cardtrust verifies it, signs and verifies a card', async () => {
    await writeFile(
      join(app, 'make.mjs'),
      `import { exportPrivateKeyPem, generateKeyPair, issueCertificate } from 'cardtrust/ca';
import { ExtKeyUsage, KeyUsage, TrustBundle, serializeSpiffeBundle, signAgentCard, verifyAgentCard, verifyX509Svid } from 'cardtrust';
import { writeFileSync } from 'node:fs';

const now = Date.now(), day = 86_400_000;
const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + day) };
const caUsage = KeyUsage.keyCertSign | KeyUsage.cRLSign;
const rootKeys = await generateKeyPair('P-256');
const root = await issueCertificate({ subject: 'CN=root', publicKey: rootKeys.publicKey, privateKey: rootKeys.privateKey, ca: true, keyUsage: caUsage, ...validity });
const interKeys = await generateKeyPair('P-256');
const inter = await issueCertificate({ subject: 'CN=intermediate', publicKey: interKeys.publicKey, issuer: { certificate: root.der, privateKey: rootKeys.privateKey }, ca: true, keyUsage: caUsage, ...validity });
const leafKeys = await generateKeyPair('P-256');
const leaf = await issueCertificate({
  subject: 'CN=agent', publicKey: leafKeys.publicKey, issuer: { certificate: inter.der, privateKey: interKeys.privateKey },
  keyUsage: KeyUsage.digitalSignature, extKeyUsage: [ExtKeyUsage.serverAuth, ExtKeyUsage.clientAuth], uris: [${JSON.stringify(AGENT)}], ...validity,
});
const bundle = TrustBundle.fromPem(${JSON.stringify(TD)}, root.pem);
const svid = await verifyX509Svid(leaf.pem + inter.pem, bundle);
const card = { name: 'Agent A', description: 'Answers questions', version: '1.0.0', supportedInterfaces: [{ url: 'https://a.example.org/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }] };
const signed = await signAgentCard(card, { privateKey: leafKeys.privateKey, certificateChain: leaf.pem + inter.pem });
const report = await verifyAgentCard(signed, { bundles: bundle, trustDomain: ${JSON.stringify(TD)} });
writeFileSync('bundle.pem', root.pem);
writeFileSync('bundle.spiffe.json', serializeSpiffeBundle(bundle));
writeFileSync('card.signed.json', JSON.stringify(signed));
writeFileSync('svid.pem', leaf.pem + inter.pem);
writeFileSync('svid_key.pem', await exportPrivateKeyPem(leafKeys.privateKey));
console.log(JSON.stringify({ svid: svid.id.toString(), verified: report.verified, signer: report.signatures[0]?.signer?.spiffeId }));
`,
    );
    const { stdout } = await run(process.execPath, ['make.mjs'], app);
    expect(JSON.parse(stdout)).toEqual({ svid: AGENT, verified: true, signer: AGENT });
  }, 60_000);

  it('the verify-only entries load neither @peculiar/x509 nor reflect-metadata; cardtrust/ca loads both', async () => {
    for (const entry of [...VERIFY_ONLY, 'cardtrust/ca']) {
      const result = await build({
        stdin: { contents: `export * from '${entry}';`, resolveDir: app, loader: 'js' },
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'neutral',
        conditions: ['workerd', 'worker', 'browser'],
        mainFields: ['module', 'main'],
        metafile: true,
        logLevel: 'silent',
      });
      const issuing = Object.keys(result.metafile.inputs).filter((p) => ISSUING.test(p));
      if (entry === 'cardtrust/ca') expect(issuing.length, entry).toBeGreaterThan(0);
      else expect(issuing, entry).toEqual([]);
    }
    // and at run time in plain node (reflect-metadata would define Reflect.getMetadata), cardtrust/node included
    const probe = [...VERIFY_ONLY, 'cardtrust/node'].map((e) => `await import('${e}');`).join('\n');
    await writeFile(join(app, 'probe.mjs'), `${probe}\nconsole.log(typeof Reflect.getMetadata);\n`);
    expect((await run(process.execPath, ['probe.mjs'], app)).stdout.trim()).toBe('undefined');
  }, 60_000);

  it.each(['nodenext', 'bundler'] as const)('2. a TypeScript consumer type-checks with moduleResolution %s', async (resolution) => {
    const dir = join(app, `ts-${resolution}`);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: resolution === 'nodenext' ? 'NodeNext' : 'ESNext',
          moduleResolution: resolution === 'nodenext' ? 'NodeNext' : 'Bundler',
          lib: ['ES2022', 'DOM'],
          types: ['node'],
          strict: true,
          noEmit: true,
          // the published .d.ts are checked too (once: checking every library's is the slow part)
          skipLibCheck: resolution === 'bundler',
        },
        include: ['consumer.ts', 'deep.ts'],
      }),
    );
    await writeFile(
      join(dir, 'consumer.ts'),
      `import { TrustError, verifyAgentCard, type AgentCardReport, type ErrorCode } from 'cardtrust';
import { signAgentCard } from 'cardtrust/agentcard';
import { parseCertificates, verifyChain } from 'cardtrust/x509';
import { parseSpiffeId, matchMemberOf } from 'cardtrust/spiffe';
import { verifyX509Svid, validateJwtSvid } from 'cardtrust/svid';
import { BundleSet, TrustBundle, parseBundle } from 'cardtrust/bundle';
import { mintSessionToken, verifySessionToken } from 'cardtrust/session';
import { generateKeyPair, issueCertificate } from 'cardtrust/ca';
import { createApp, parseWorkerConfig, type WorkerEnv } from 'cardtrust/worker';
import { createMtlsServer, createRedisStores, serveFetch, FileX509Source, WorkloadX509Source, SandboxClient } from 'cardtrust/node';

const bundles = new BundleSet([parseBundle('{"keys":[]}', 'example.org'), TrustBundle.fromPem('partner.test', '')]);
const report: AgentCardReport = await verifyAgentCard({}, { bundles, trustDomain: 'example.org' });
const verified: boolean = report.verified;
// @ts-expect-error the report is typed, not any
report.noSuchMember;
const code: ErrorCode | undefined = report.error?.code;
const env: WorkerEnv = { DEFAULT_MODE: 'strict' };
const fetchApp: (request: Request) => Promise<Response> = createApp({ config: parseWorkerConfig(env) }).fetch;
const id: string = parseSpiffeId('spiffe://example.org/a').toString();
export const used = [TrustError, signAgentCard, parseCertificates, verifyChain, matchMemberOf, verifyX509Svid, validateJwtSvid, mintSessionToken,
  verifySessionToken, generateKeyPair, issueCertificate, createMtlsServer, createRedisStores, serveFetch, FileX509Source, WorkloadX509Source,
  SandboxClient, verified, code, fetchApp, id];
`,
    );
    await writeFile(join(dir, 'deep.ts'), `// @ts-expect-error only the exported subpaths resolve\nimport { parseCertificate } from 'cardtrust/dist/shared/x509/parse.js';\nexport const deep = parseCertificate;\n`);
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
    expect(r.stdout).toBe('');
  }, 90_000);

  it('3. a consumer Worker importing cardtrust/worker, built by wrangler, answers in workerd', async () => {
    const dir = join(app, 'worker');
    await mkdir(dir, { recursive: true });
    const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'))![1]!;
    await writeFile(join(dir, 'wrangler.toml'), `name = "consumer"\nmain = "worker.mjs"\ncompatibility_date = "${date}"\n`);
    await writeFile(
      join(dir, 'worker.mjs'),
      `import { createApp, parseWorkerConfig } from 'cardtrust/worker';

let app;
export default {
  async fetch(request, env) {
    app ??= createApp({ config: parseWorkerConfig(env) });
    return app.fetch(request);
  },
};
`,
    );
    const wrangler = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');
    await run(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', 'out'], dir);
    const mf = new Miniflare({
      modules: true,
      script: await readFile(join(dir, 'out/worker.js'), 'utf8'),
      compatibilityDate: date,
      bindings: {
        TRUST_BUNDLES: JSON.stringify({ [TD]: JSON.parse(await readFile(join(app, 'bundle.spiffe.json'), 'utf8')) }),
        DEFAULT_TRUST_DOMAIN: TD,
        DEFAULT_MODE: 'strict',
      },
    });
    try {
      const health = await mf.dispatchFetch('http://worker/healthz');
      expect(health.status).toBe(200);
      await health.arrayBuffer();
      const res = await mf.dispatchFetch('http://worker/v1/agent-cards/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: await readFile(join(app, 'card.signed.json'), 'utf8'),
      });
      const report = (await res.json()) as { verified: boolean; signatures: { signer?: { spiffeId: string } }[] };
      expect({ status: res.status, verified: report.verified, signer: report.signatures[0]?.signer?.spiffeId }).toEqual({ status: 200, verified: true, signer: AGENT });
    } finally {
      await mf.dispose();
    }
  }, 90_000);

  it('4. an esbuild browser bundle of cardtrust/agentcard verifies the card in headless Chromium', async (ctx) => {
    const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
    if (!chromium) {
      if (process.env.CARDTRUST_REQUIRE_CHROMIUM === '1') throw new Error('chromium not found and CARDTRUST_REQUIRE_CHROMIUM=1');
      noteSkip('the package test in a browser', 'chromium not found', 'apt-get install -y chromium');
      ctx.skip();
    }
    const dir = join(app, 'browser');
    await mkdir(dir, { recursive: true });
    await build({
      stdin: {
        contents: `import { verifyAgentCard } from 'cardtrust/agentcard';
import { parseBundle } from 'cardtrust/bundle';
globalThis.verifyCard = async (cardText, bundleText) => {
  const report = await verifyAgentCard(JSON.parse(cardText), { bundles: parseBundle(bundleText, ${JSON.stringify(TD)}), trustDomain: ${JSON.stringify(TD)} });
  return { verified: report.verified, signer: report.signatures[0]?.signer?.spiffeId };
};`,
        resolveDir: app,
        loader: 'js',
      },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(dir, 'bundle.js'),
      logLevel: 'silent',
    });
    await writeFile(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="/bundle.js"></script>');
    const files: Record<string, [string, string]> = { '/': ['index.html', 'text/html'], '/bundle.js': ['bundle.js', 'text/javascript'] };
    const server: Server = createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file[1] }).end(readFileSync(join(dir, file[0])));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { chromium: pw } = await import('playwright-core');
    const browser = await pw.launch({ executablePath: chromium, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      // crypto.subtle exists only in a secure context: http://127.0.0.1 is one, about:blank is not
      await page.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      await page.waitForFunction(() => typeof (globalThis as { verifyCard?: unknown }).verifyCard === 'function');
      const card = await readFile(join(app, 'card.signed.json'), 'utf8');
      const bundle = await readFile(join(app, 'bundle.spiffe.json'), 'utf8');
      const result = await page.evaluate(
        ([c, b]) => (globalThis as unknown as { verifyCard: (c: string, b: string) => Promise<unknown> }).verifyCard(c!, b!),
        [card, bundle],
      );
      expect(result).toEqual({ verified: true, signer: AGENT });
      // a changed signed field: the same page says no
      const tampered = JSON.stringify({ ...JSON.parse(card), name: 'Agent B' });
      const refused = await page.evaluate(
        ([c, b]) => (globalThis as unknown as { verifyCard: (c: string, b: string) => Promise<unknown> }).verifyCard(c!, b!),
        [tampered, bundle],
      );
      expect(refused).toMatchObject({ verified: false });
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 90_000);

  it('5. the installed cardtrust bin prints its version and verifies the card', async () => {
    const bin = join(app, 'node_modules/.bin/cardtrust');
    expect((await run(bin, ['--version'], app)).stdout).toBe(`cardtrust ${PKG.version}\n`);
    const verify = await run(bin, ['card', 'verify', 'card.signed.json', '--bundle', 'bundle.spiffe.json', '--trust-domain', TD, '--json'], app);
    const report = JSON.parse(verify.stdout) as { verified: boolean };
    expect(report.verified).toBe(true);
    // the bin is the compiled JavaScript: no tsx in the consumer's tree
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
  }, 60_000);
});
