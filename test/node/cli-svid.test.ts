/**
 * `cardtrust svid verify` and `cardtrust jwt-svid validate`: the core's rejection tables run
 * through the CLI's own entry (`main`, in-process, so the tables stay fast), then a few runs of
 * the real bin for exit codes, stdin and --json.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustBundle, serializeSpiffeBundle } from '../../shared/bundle/index.js';
import { encodePem } from '../../shared/x509/index.js';
import { main } from '../../node-adapter/cli/main.js';
import { cli } from '../support/cli.js';
import { ALGS, JwtFixture, createX509Fixture, jwtRejectCases, x509RejectCases, type ChainInput, type X509Fixture } from '../support/svid-cases.js';

let dir: string;
let x: X509Fixture;
let j: JwtFixture;
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const AT = NOW.toISOString();

async function run(argv: string[]): Promise<{ exit: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exit = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd: dir, env: {} });
  return { exit, stdout, stderr };
}

function pemOf(chain: ChainInput): string {
  return typeof chain === 'string' ? chain : chain.map((d) => encodePem('CERTIFICATE', d)).join('');
}

let n = 0;
async function chainFile(chain: ChainInput): Promise<string> {
  const name = `chain-${n++}.pem`;
  await writeFile(join(dir, name), pemOf(chain));
  return name;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-cli-svid-'));
  x = await createX509Fixture('example.org', { rootSan: true });
  j = await JwtFixture.create(NOW.getTime() / 1000);
  await writeFile(join(dir, 'bundle.spiffe.json'), serializeSpiffeBundle(x.bundle));
  // a JWT-only bundle has no root to name its trust domain: --trust-domain does
  await writeFile(join(dir, 'jwt.spiffe.json'), serializeSpiffeBundle(new TrustBundle('example.org', { jwtAuthorities: j.bundle.jwtAuthorities as ReadonlyMap<string, JsonWebKey> })));
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cardtrust svid verify', () => {
  it('verifies a SPIRE-style svid.pem, printing the ID and the path', async () => {
    const s = await x.svid();
    const r = await run(['svid', 'verify', await chainFile(s.pem), '--bundle', 'bundle.spiffe.json']);
    expect(r.stderr).toBe('');
    expect(r.exit).toBe(0);
    expect(r.stdout).toContain(`SPIFFE ID     ${x.id}`);
    expect(r.stdout.match(/^ {4}\d {2}/gm)).toHaveLength(3);
  });

  it('--json answers what POST /v1/svids/x509/verify answers', async () => {
    const s = await x.svid();
    const r = await run(['svid', 'verify', await chainFile(s.pem), '--bundle', 'bundle.spiffe.json', '--json', '--expect-id', x.id, '--trust-domain', 'example.org', '--usage', 'client']);
    expect(r.exit).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ verified: true, id: x.id, trustDomain: 'example.org', expiresAt: s.certificates[0]!.notAfter.toISOString() });
    expect(out.chain.map((c: { sha256: string }) => c.sha256)).toEqual(await Promise.all([s.certificates[0]!, x.inter.certificate, x.root.certificate].map((c) => c.fingerprint())));
  });

  it.each(x509RejectCases(() => x))('exit 1 with the core code: %s', async (_name, make, code) => {
    const r = await run(['svid', 'verify', await chainFile(await make()), '--bundle', 'bundle.spiffe.json', '--at', AT, '--json']);
    expect(r.exit).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ verified: false, error: { code } });
    expect(r.stderr).toMatch(new RegExp(`^cardtrust: ${code}: chain-\\d+\\.pem: not verified: `));
  });

  it.each<[string, string[], string]>([
    ['another expected ID', ['--expect-id', 'spiffe://example.org/other'], 'ERR_SPIFFE_ID_NOT_AUTHORIZED'],
    ['another trust domain', ['--trust-domain', 'other.test'], 'ERR_SPIFFE_ID_NOT_AUTHORIZED'],
    ['a usage the leaf does not allow', ['--usage', 'server'], 'ERR_X509_EKU_MISMATCH'],
    ['a time after it expired', ['--at', '2099-01-01T00:00:00Z'], 'ERR_X509_EXPIRED'],
  ])('exit 1 for %s', async (_name, flags, code) => {
    const s = await x.svid({ extKeyUsage: ['1.3.6.1.5.5.7.3.2'] });
    const r = await run(['svid', 'verify', await chainFile(s.pem), '--bundle', 'bundle.spiffe.json', ...flags]);
    expect([r.exit, r.stderr.split(':')[1]?.trim()]).toEqual([1, code]);
  });

  it.each<[string, string[], string]>([
    ['no --bundle', ['svid', 'verify', 'x.pem'], 'ERR_USAGE'],
    ['a missing file', ['svid', 'verify', 'missing.pem', '--bundle', 'bundle.spiffe.json'], 'ERR_FILE_UNREADABLE'],
    ['an unknown --usage', ['svid', 'verify', 'x.pem', '--bundle', 'bundle.spiffe.json', '--usage', 'email'], 'ERR_USAGE'],
    ['an --at without a zone', ['svid', 'verify', 'x.pem', '--bundle', 'bundle.spiffe.json', '--at', '2030-01-01T00:00'], 'ERR_USAGE'],
    ['an --expect-id that is not one', ['svid', 'verify', 'x.pem', '--bundle', 'bundle.spiffe.json', '--expect-id', 'https://x'], 'ERR_SPIFFE_ID_INVALID'],
  ])('exit 2 for %s', async (_name, argv, code) => {
    await writeFile(join(dir, 'x.pem'), (await x.svid()).pem);
    const r = await run(argv);
    expect(r.exit).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^cardtrust: ${code}: `));
  });
});

describe('cardtrust jwt-svid validate', () => {
  const base = () => ['--audience', j.aud, '--bundle', 'jwt.spiffe.json', '--trust-domain', 'example.org', '--at', AT];

  it.each(ALGS)('accepts %s, printing the subject', async (alg) => {
    const r = await run(['jwt-svid', 'validate', await j.token(alg), ...base()]);
    expect(r.exit).toBe(0);
    expect(r.stdout).toContain(`SPIFFE ID     ${j.sub}`);
  });

  it('--json answers what POST /v1/svids/jwt/validate answers', async () => {
    const r = await run(['jwt-svid', 'validate', await j.token(), ...base(), '--json']);
    expect(JSON.parse(r.stdout)).toEqual({
      verified: true,
      id: j.sub,
      trustDomain: 'example.org',
      claims: { sub: j.sub, aud: [j.aud], exp: j.T + 300, iat: j.T - 10 },
      expiresAt: new Date((j.T + 300) * 1000).toISOString(),
    });
  });

  it.each(jwtRejectCases(() => j))('exit 1 with the core code: %s', async (_name, make, code) => {
    const r = await run(['jwt-svid', 'validate', await make(), ...base(), '--json']);
    expect(r.exit).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ verified: false, error: { code } });
  });

  it('exit 2 without --audience or --bundle', async () => {
    expect((await run(['jwt-svid', 'validate', 'a.b.c', '--bundle', 'jwt.spiffe.json'])).exit).toBe(2);
    expect((await run(['jwt-svid', 'validate', 'a.b.c', '--audience', 'x'])).exit).toBe(2);
  });
});

describe('the installed bin', () => {
  it('reads a JWT-SVID from stdin (-) and exits 0, then 1 for a wrong audience', async () => {
    const token = await j.token();
    const ok = await cli(['jwt-svid', 'validate', '-', ...base()], dir, { input: `${token}\n` });
    expect([ok.code, ok.stdout]).toEqual([0, expect.stringContaining('stdin: valid JWT-SVID')]);
    const wrong = await cli(['jwt-svid', 'validate', '-', '--audience', 'spiffe://example.org/other', '--bundle', 'jwt.spiffe.json', '--trust-domain', 'example.org', '--at', AT], dir, { input: token });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^cardtrust: ERR_JWT_AUDIENCE_MISMATCH: stdin: not verified/);
  });

  it('svid verify: exit 0, and 1 for a chain from an unknown root', async () => {
    const ok = await cli(['svid', 'verify', await chainFile((await x.svid()).pem), '--bundle', 'bundle.spiffe.json'], dir);
    expect(ok.code).toBe(0);
    const other = await (await createX509Fixture('example.org', { rootSan: true })).svid();
    const bad = await cli(['svid', 'verify', await chainFile(other.pem), '--bundle', 'bundle.spiffe.json'], dir);
    expect([bad.code, bad.stderr.split(':')[1]?.trim()]).toEqual([1, 'ERR_X509_CHAIN_UNTRUSTED']);
  });

  function base(): string[] {
    return ['--audience', j.aud, '--bundle', 'jwt.spiffe.json', '--trust-domain', 'example.org', '--at', AT];
  }
});
