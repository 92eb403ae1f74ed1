/**
 * The `cardtrust` CLI, run as a real child process (`node node-adapter/bin/cardtrust.mjs …`) in a
 * temporary folder: exit codes, one-line errors, help texts, the dev CA's files, and the AgentCard
 * sign/verify round trip. Each spawn costs ~0.3 s (tsx), so independent cases run concurrently and
 * assertions are grouped.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD, cli, expectError } from '../support/cli.js';
import {
  ExtKeyUsage,
  KeyUsage,
  TrustBundle,
  decodePemBlocks,
  parseCertificate,
  parseCertificates,
  parseSpiffeBundle,
  signAgentCard,
  verifyX509Svid,
} from '../../shared/index.js';
import { exportPrivateKeyPem, generateKeyPair, issueCertificate } from '../../shared/ca/index.js';

const mode = async (path: string) => (await stat(path)).mode & 0o777;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cardtrust-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('help', () => {
  it.concurrent.each([
    [['--help'], 'Usage: cardtrust <command>'],
    [['--help'], '--version'],
    [['-h'], '-V, --version'],
    [['ca', '--help'], 'Usage: cardtrust ca <subcommand>'],
    [['ca', 'init', '--help'], 'Usage: cardtrust ca init --trust-domain'],
    [['ca', 'issue', '-h'], 'Usage: cardtrust ca issue <spiffe-id>'],
    [['card', 'sign', '--help'], 'Usage: cardtrust card sign <card.json>'],
    [['card', 'verify', '--help'], 'Usage: cardtrust card verify <signed.json>'],
    [['card', 'sign', '--help'], '[--alg <alg>]'],
    [['card', 'verify', '--help'], '[--keys <jwks.json>…]'],
    [['help', 'card', 'verify'], 'Usage: cardtrust card verify <signed.json>'],
    // help wins over other mistakes on the same line
    [['ca', 'init', '--bogus', '--help'], 'Usage: cardtrust ca init --trust-domain'],
  ])('%j prints help, exit 0', async (args, usage) => {
    const run = await cli(args, work);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(usage);
  });

  it.concurrent.each([[[]], [['ca']]])('%j without a subcommand prints help on stderr, exit 2', async (args) => {
    const run = await cli(args, work);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('Usage: cardtrust');
  });
});

describe('bad usage: exit 2, one line with ERR_USAGE', () => {
  it.concurrent.each([
    ['unknown command', ['nope']],
    ['unknown subcommand', ['ca', 'nope']],
    ['unknown flag', ['ca', 'init', '--trust-domain', 'example.org', '--bogus']],
    ['missing required flag', ['ca', 'init']],
    ['flag without value', ['ca', 'init', '--trust-domain']],
    ['flag given twice', ['ca', 'init', '--trust-domain', 'a.org', '--trust-domain', 'b.org']],
    ['value for a boolean flag', ['ca', 'init', '--trust-domain', 'a.org', '--force=yes']],
    ['stray argument', ['ca', 'init', '--trust-domain', 'a.org', 'extra']],
    ['missing SPIFFE ID', ['ca', 'issue']],
    ['bad TTL unit', ['ca', 'issue', 'spiffe://a.org/x', '--ttl', '5y']],
    ['sign without --key', ['card', 'sign', 'card.json', '--cert', 'svid.pem']],
    ['verify without --bundle or --keys', ['card', 'verify', 'card.json']],
    ['sign with an unknown --alg', ['card', 'sign', 'card.json', '--cert', 'svid.pem', '--key', 'svid_key.pem', '--alg', 'nope']],
    // JWS algorithm names are case-sensitive
    ['sign with a lowercase --alg', ['card', 'sign', 'card.json', '--cert', 'svid.pem', '--key', 'svid_key.pem', '--alg', 'es256']],
    ['sign with an HMAC --alg', ['card', 'sign', 'card.json', '--cert', 'svid.pem', '--key', 'svid_key.pem', '--alg', 'HS256']],
    ['verify with a bad --at', ['card', 'verify', 'card.json', '--bundle', 'b.pem', '--at', 'yesterday']],
  ])('%s', async (_name, args) => {
    expectError(await cli(args, work), 2, 'ERR_USAGE');
  });

  it.concurrent.each([
    ['invalid trust domain', ['ca', 'init', '--trust-domain', 'Example.org'], 'ERR_TRUST_DOMAIN_INVALID'],
    ['invalid SPIFFE ID', ['ca', 'issue', 'spiffe://example.org/a/../b'], 'ERR_SPIFFE_ID_INVALID'],
    ['SVID for the trust domain ID itself', ['ca', 'issue', 'spiffe://example.org'], 'ERR_SPIFFE_ID_INVALID'],
    ['issue without a CA', ['ca', 'issue', 'spiffe://example.org/a', '--dir', 'no-such-ca'], 'ERR_FILE_UNREADABLE'],
  ])('%s: exit 2 with %s', async (_name, args, code) => {
    expectError(await cli(args, work), 2, code as string);
  });
});

describe('ca init', () => {
  it('creates the root, intermediate and bundles with private keys 0600, and refuses to overwrite', async () => {
    const dir = join(work, 'ca-init');
    const run = await cli(['ca', 'init', '--trust-domain', 'example.org', '--dir', dir], work);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('created dev CA for trust domain example.org');
    expect(await mode(join(dir, 'root_key.pem'))).toBe(0o600);
    expect(await mode(join(dir, 'intermediate_key.pem'))).toBe(0o600);
    expect(await mode(dir)).toBe(0o700);

    const root = parseCertificate(await readFile(join(dir, 'root.pem'), 'utf8'));
    const inter = parseCertificate(await readFile(join(dir, 'intermediate.pem'), 'utf8'));
    for (const ca of [root, inter]) {
      expect(ca.basicConstraints?.ca).toBe(true);
      expect(ca.publicKey.algorithm).toEqual({ name: 'ECDSA', namedCurve: 'P-256' });
      expect(ca.subjectAltName.uri).toEqual(['spiffe://example.org']);
      expect(ca.nameConstraints?.permitted?.uri).toEqual(['example.org']);
    }
    expect(inter.issuer.key).toBe(root.subject.key);
    expect(root.issuer.key).toBe(root.subject.key);
    expect(parseCertificates(await readFile(join(dir, 'bundle.pem'), 'utf8')).map((c) => c.der)).toEqual([root.der]);

    const doc = JSON.parse(await readFile(join(dir, 'bundle.spiffe.json'), 'utf8'));
    expect(doc).toMatchObject({ spiffe_sequence: 1, spiffe_refresh_hint: 300 });
    const bundle = parseSpiffeBundle(doc, 'example.org');
    expect(bundle.x509Authorities.map((c) => c.der)).toEqual([root.der]);

    // a second init must not destroy the CA (exit 1, files untouched) unless --force
    const again = await cli(['ca', 'init', '--trust-domain', 'example.org', '--dir', dir], work);
    expectError(again, 1, 'ERR_FILE_EXISTS');
    expect(parseCertificate(await readFile(join(dir, 'root.pem'), 'utf8')).der).toEqual(root.der);
    const forced = await cli(['ca', 'init', '--trust-domain', 'example.org', '--dir', dir, '--force'], work);
    expect(forced).toMatchObject({ code: 0, stderr: '' });
    expect(forced.stdout).toContain('replaced dev CA');
    expect(parseCertificate(await readFile(join(dir, 'root.pem'), 'utf8')).der).not.toEqual(root.der);
    // consumers that cache by spiffe_sequence must see the new bundle
    expect(JSON.parse(await readFile(join(dir, 'bundle.spiffe.json'), 'utf8')).spiffe_sequence).toBe(2);
  });
});


const b64urlJson = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));

describe('dev CA, SVIDs and the AgentCard round trip', () => {
  // One CA (example.org) with two SVIDs and a signed card, shared by the concurrent cases below.
  let rt: string;
  let svidA: string;
  let svidB: string;
  let issuedAt: number;
  const TTL_MS = 2 * 3600_000;
  const at = (...p: string[]) => join(rt, ...p);
  const run = (...args: string[]) => cli(args, rt);

  beforeAll(async () => {
    rt = join(work, 'rt');
    expect(await cli(['ca', 'init', '--trust-domain', 'example.org', '--dir', rt], work)).toMatchObject({ code: 0 });
    // the round trip below runs from inside the folder, with the default --dir .cardtrust
    expect(await run('ca', 'init', '--trust-domain', 'example.org')).toMatchObject({ code: 0 });
    issuedAt = Date.now();
    const a = await run('ca', 'issue', 'spiffe://example.org/agent/a', '--ttl', '2h');
    expect(a).toMatchObject({ code: 0, stderr: '' });
    const b = await run('ca', 'issue', 'spiffe://example.org/agent/b');
    expect(b).toMatchObject({ code: 0, stderr: '' });
    svidA = at('.cardtrust', 'svids', 'agent', 'a');
    svidB = at('.cardtrust', 'svids', 'agent', 'b');
    await writeFile(at('card.json'), JSON.stringify(CARD, null, 2));
    const signed = await run('card', 'sign', 'card.json', '--cert', join(svidA, 'svid.pem'), '--key', join(svidA, 'svid_key.pem'), '-o', 'signed.json');
    expect(signed).toMatchObject({ code: 0, stderr: '' });
    const card = JSON.parse(await readFile(at('signed.json'), 'utf8'));
    card.name = 'Agent Mallory';
    await writeFile(at('tampered.json'), JSON.stringify(card));
  });

  it('ca issue writes SPIRE\'s layout: leaf + intermediate, PKCS#8 key 0600, the root bundle; the SVID verifies', async () => {
    const chainPem = await readFile(join(svidA, 'svid.pem'), 'utf8');
    const chain = parseCertificates(chainPem);
    const inter = parseCertificate(await readFile(at('.cardtrust', 'intermediate.pem'), 'utf8'));
    expect(chain).toHaveLength(2);
    expect(chain[1]!.der).toEqual(inter.der);
    expect(chain[0]!.subjectAltName.uri).toEqual(['spiffe://example.org/agent/a']);
    expect(chain[0]!.basicConstraints?.ca).toBe(false);
    expect(chain[0]!.keyUsage).toBe(KeyUsage.digitalSignature);
    // --ttl 2h: notAfter is two hours after issuing (whole seconds, so allow the spawn's duration)
    expect(chain[0]!.notAfter.getTime()).toBeGreaterThanOrEqual(issuedAt + TTL_MS - 1000);
    expect(chain[0]!.notAfter.getTime()).toBeLessThanOrEqual(Date.now() + TTL_MS);
    expect(await mode(join(svidA, 'svid_key.pem'))).toBe(0o600);
    expect(await readFile(join(svidA, 'svid_key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const bundlePem = await readFile(join(svidA, 'svid_bundle.pem'), 'utf8');
    expect(bundlePem).toBe(await readFile(at('.cardtrust', 'bundle.pem'), 'utf8'));
    const { id } = await verifyX509Svid(chainPem, TrustBundle.fromPem('example.org', bundlePem));
    expect(id.toString()).toBe('spiffe://example.org/agent/a');
  });

  it.concurrent('ca issue --out writes elsewhere; a TTL beyond the intermediate is capped with a note', async () => {
    const r = await run('ca', 'issue', 'spiffe://example.org/long', '--ttl', '3650d', '--out', 'long');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^cardtrust: note: --ttl capped to the intermediate CA's lifetime/);
    const leaf = parseCertificates(await readFile(at('long', 'svid.pem'), 'utf8'))[0]!;
    const inter = parseCertificate(await readFile(at('.cardtrust', 'intermediate.pem'), 'utf8'));
    expect(leaf.notAfter).toEqual(inter.notAfter);
  });

  it.concurrent('an output that cannot be written: exit 1, ERR_FILE_UNWRITABLE', async () => {
    const r = await run('card', 'sign', 'card.json', '--cert', join(svidA, 'svid.pem'), '--key', join(svidA, 'svid_key.pem'), '-o', 'card.json/signed.json');
    expectError(r, 1, 'ERR_FILE_UNWRITABLE');
  });

  it.concurrent('ca issue refuses an ID outside the CA\'s trust domain (exit 2)', async () => {
    expectError(await run('ca', 'issue', 'spiffe://other.org/agent/a'), 2, 'ERR_SPIFFE_ID_NOT_AUTHORIZED');
  });

  it('card sign puts alg, typ, kid and the x5c chain (leaf first, no root) in the protected header', async () => {
    const card = JSON.parse(await readFile(at('signed.json'), 'utf8'));
    expect(card).toMatchObject(CARD);
    expect(card.signatures).toHaveLength(1);
    const header = b64urlJson(card.signatures[0].protected);
    const chain = parseCertificates(await readFile(join(svidA, 'svid.pem'), 'utf8'));
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JOSE', kid: expect.any(String) });
    expect(header.x5c).toEqual(chain.map((c) => Buffer.from(c.der).toString('base64')));
  });

  it.concurrent('card sign to stdout with --kid and --jku; signing again appends a second signature', async () => {
    const r = await run('card', 'sign', 'signed.json', '--cert', join(svidB, 'svid.pem'), '--key', join(svidB, 'svid_key.pem'), '--kid', 'agent-b-1', '--jku', 'https://keys.example.org/jwks.json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const card = JSON.parse(r.stdout);
    expect(card.signatures).toHaveLength(2);
    expect(b64urlJson(card.signatures[1].protected)).toMatchObject({ kid: 'agent-b-1', jku: 'https://keys.example.org/jwks.json' });
  });

  it.concurrent.each([
    ['SPIFFE bundle', ['--bundle', '.cardtrust/bundle.spiffe.json']],
    ['PEM bundle and exact ID', ['--bundle', '.cardtrust/bundle.pem', '--expect-id', 'spiffe://example.org/agent/a']],
    ['PEM bundle and trust domain', ['--bundle', '.cardtrust/bundle.pem', '--trust-domain', 'example.org']],
  ])('card verify with a %s: readable report, exit 0', async (_name, flags) => {
    const r = await run('card', 'verify', 'signed.json', ...flags);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^signature 0 +valid$/m);
    expect(r.stdout).toMatch(/^ +signer +spiffe:\/\/example\.org\/agent\/a$/m);
    expect(r.stdout).toMatch(/^ +trust domain +example\.org$/m);
    expect(r.stdout).toMatch(/^ +trust root +spiffe-bundle:example\.org$/m);
    expect(r.stdout).toMatch(/^ +alg +ES256$/m);
    expect(r.stdout).toMatch(/^ +not after +\d{4}-/m);
    expect(r.stdout).toMatch(/^payload +sha256:[0-9a-f]{64}/m);
    expect(r.stdout).toMatch(/^binding +bound/m);
    expect(r.stdout).toMatch(/^result +VERIFIED \(strict mode\)$/m);
  });

  it.concurrent('card verify --json prints the report as JSON', async () => {
    const r = await run('card', 'verify', 'signed.json', '--bundle', '.cardtrust/bundle.spiffe.json', '--json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(r.stdout);
    const leaf = parseCertificates(await readFile(join(svidA, 'svid.pem'), 'utf8'))[0]!;
    expect(report).toMatchObject({
      verified: true,
      mode: 'strict',
      payloadSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      binding: { status: 'bound', trustDomain: 'example.org' },
      signatures: [{ index: 0, status: 'valid', alg: 'ES256', keySource: 'x5c', signer: { spiffeId: 'spiffe://example.org/agent/a', trustDomain: 'example.org' } }],
    });
    expect(new Date(report.signatures[0].signer.notAfter)).toEqual(leaf.notAfter);
    expect(report.signatures[0].signer.chainFingerprints).toHaveLength(3);
  });

  it.concurrent.each([
    ['a tampered card', ['tampered.json', '--bundle', '.cardtrust/bundle.pem'], 'ERR_JWS_SIGNATURE_INVALID'],
    ['an unsigned card', ['card.json', '--bundle', '.cardtrust/bundle.pem'], 'ERR_CARD_UNSIGNED'],
    ['another trust domain (strict)', ['signed.json', '--bundle', '.cardtrust/bundle.pem', '--trust-domain', 'other.org'], 'ERR_CARD_SIGNER_NOT_BOUND'],
    ['another SPIFFE ID', ['signed.json', '--bundle', '.cardtrust/bundle.pem', '--expect-id', 'spiffe://example.org/agent/b'], 'ERR_CARD_SIGNER_NOT_BOUND'],
    // the SVID lives 2h: verifying as of 3h from now finds it expired (no sleeping, no fake clock)
    ['an expired SVID', ['signed.json', '--bundle', '.cardtrust/bundle.pem', '--at', new Date(Date.now() + 3 * 3600_000).toISOString()], 'ERR_X509_EXPIRED'],
    ['a bundle of another CA', ['signed.json', '--bundle', 'bundle.pem'], 'ERR_X509_CHAIN_UNTRUSTED'],
  ])('card verify with %s: exit 1, the code on stderr and in the report', async (_name, args, code) => {
    const r = await run('card', 'verify', ...args);
    expectError(r, 1, code);
    expect(r.stdout).toMatch(new RegExp(`^result +NOT VERIFIED \\(strict mode\\): ${code}($|: )`, 'm'));
  });

  it.concurrent.each([
    ['a binding failure', ['--trust-domain', 'other.org'], 'ERR_CARD_SIGNER_NOT_BOUND', 'does not satisfy trust domain other.org'],
    ['an expired SVID', ['--at', new Date(Date.now() + 3 * 3600_000).toISOString()], 'ERR_X509_EXPIRED', 'expired at'],
  ])('card verify prints %s once (readable report and stderr together)', async (_name, extra, code, message) => {
    const r = await run('card', 'verify', 'signed.json', '--bundle', '.cardtrust/bundle.pem', ...extra);
    expectError(r, 1, code);
    expect((r.stdout + r.stderr).split(message).length - 1).toBe(1);
    // the code still stands on every line it concerns
    expect(r.stdout).toMatch(new RegExp(`^signature 0 +INVALID: ${code}`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^result +NOT VERIFIED \\(strict mode\\): ${code}$`, 'm'));
    // with --json the report is for programs: the stderr line carries the message for people
    const j = await run('card', 'verify', 'signed.json', '--bundle', '.cardtrust/bundle.pem', ...extra, '--json');
    expect(j.stderr).toContain(message);
  });

  it.concurrent('a certificate failure names the leaf by its SPIFFE ID, not only by its subject DN', async () => {
    const r = await run('card', 'verify', 'signed.json', '--bundle', '.cardtrust/bundle.pem', '--at', new Date(Date.now() + 3 * 3600_000).toISOString());
    expect(r.stdout).toMatch(/^signature 0 +INVALID: ERR_X509_EXPIRED: x509svid: could not verify leaf certificate spiffe:\/\/example\.org\/agent\/a: /m);
  });

  it.concurrent('another trust domain in audit mode: verified (exit 0), the binding reported unbound', async () => {
    const r = await run('card', 'verify', 'signed.json', '--bundle', '.cardtrust/bundle.pem', '--trust-domain', 'other.org', '--audit', '--json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ verified: true, mode: 'audit', binding: { status: 'unbound', trustDomain: 'other.org', code: 'ERR_CARD_SIGNER_NOT_BOUND' } });
  });

  it.concurrent('several bundles: each scoped by its own roots; the binding must then be named', async () => {
    const both = ['--bundle', '.cardtrust/bundle.pem', '--bundle', join(work, 'ca-other', 'bundle.spiffe.json')];
    expect(await cli(['ca', 'init', '--trust-domain', 'other.org', '--dir', join(work, 'ca-other')], work)).toMatchObject({ code: 0 });
    expectError(await run('card', 'verify', 'signed.json', ...both), 2, 'ERR_USAGE');
    expect(await run('card', 'verify', 'signed.json', ...both, '--trust-domain', 'example.org')).toMatchObject({ code: 0 });
    expectError(await run('card', 'verify', 'signed.json', ...both, '--trust-domain', 'other.org'), 1, 'ERR_CARD_SIGNER_NOT_BOUND');
  });

  it.concurrent('a bundle whose root names no trust domain needs --trust-domain', async () => {
    const keys = await generateKeyPair('P-256');
    const root = await issueCertificate({
      subject: 'CN=plain root',
      publicKey: keys.publicKey,
      privateKey: keys.privateKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
      ca: true,
      keyUsage: KeyUsage.keyCertSign,
    });
    await writeFile(at('plain.pem'), root.pem);
    expectError(await run('card', 'verify', 'signed.json', '--bundle', 'plain.pem'), 2, 'ERR_BUNDLE_INVALID');
    // scoped to example.org by the flag, the bundle is used, and its root did not sign this card
    expectError(await run('card', 'verify', 'signed.json', '--bundle', 'plain.pem', '--trust-domain', 'example.org'), 1, 'ERR_X509_CHAIN_UNTRUSTED');
  });

  it.concurrent.each([
    ['a missing card', ['card', 'verify', 'nothere.json', '--bundle', '.cardtrust/bundle.pem'], 'ERR_FILE_UNREADABLE'],
    ['a card that is not JSON', ['card', 'verify', 'bad.json', '--bundle', '.cardtrust/bundle.pem'], 'ERR_JSON_MALFORMED'],
    ['a card that is a JSON array', ['card', 'verify', 'array.json', '--bundle', '.cardtrust/bundle.pem'], 'ERR_CARD_MALFORMED'],
    ['a missing bundle', ['card', 'verify', 'signed.json', '--bundle', 'nothere.pem'], 'ERR_FILE_UNREADABLE'],
    ['a directory as bundle', ['card', 'verify', 'signed.json', '--bundle', '.cardtrust'], 'ERR_FILE_UNREADABLE'],
    ['a card as bundle', ['card', 'verify', 'signed.json', '--bundle', 'card.json'], 'ERR_BUNDLE_INVALID'],
    ['an invalid --expect-id', ['card', 'verify', 'signed.json', '--bundle', '.cardtrust/bundle.pem', '--expect-id', 'spiffe://example.org/'], 'ERR_SPIFFE_ID_INVALID'],
    ['a key that is not the certificate\'s', ['card', 'sign', 'card.json', '--cert', '.cardtrust/svids/agent/a/svid.pem', '--key', '.cardtrust/svids/agent/b/svid_key.pem'], 'ERR_INPUT_INVALID'],
    ['a certificate as key', ['card', 'sign', 'card.json', '--cert', '.cardtrust/svids/agent/a/svid.pem', '--key', '.cardtrust/svids/agent/a/svid.pem'], 'ERR_PEM_MALFORMED'],
    ['a card that is not JSON (sign)', ['card', 'sign', 'bad.json', '--cert', '.cardtrust/svids/agent/a/svid.pem', '--key', '.cardtrust/svids/agent/a/svid_key.pem'], 'ERR_JSON_MALFORMED'],
    ['a non-https --jku', ['card', 'sign', 'card.json', '--cert', '.cardtrust/svids/agent/a/svid.pem', '--key', '.cardtrust/svids/agent/a/svid_key.pem', '--jku', 'http://keys.example.org/'], 'ERR_USAGE'],
  ])('%s: exit 2, one line with the code', async (_name, args, code) => {
    await writeFile(at('bad.json'), '{"name": ');
    await writeFile(at('array.json'), '[]');
    const r = await run(...args);
    expectError(r, 2, code);
    expect(r.stdout).toBe('');
  });

  it.concurrent.each([
    ['ES384 for a P-256 key', 'ES384'],
    ['PS256 for a P-256 key', 'PS256'],
    ['EdDSA for a P-256 key', 'EdDSA'],
  ])('card sign --alg %s: exit 1, ERR_JWS_KEY_ALGORITHM_MISMATCH, nothing written', async (_name, alg) => {
    const r = await run('card', 'sign', 'card.json', '--cert', join(svidA, 'svid.pem'), '--key', join(svidA, 'svid_key.pem'), '--alg', alg);
    expectError(r, 1, 'ERR_JWS_KEY_ALGORITHM_MISMATCH');
    expect(r.stderr).toContain(`--alg ${alg}: `);
    expect(r.stdout).toBe('');
  });

  it.concurrent('card sign --alg ES256 for a P-256 key: the algorithm the key makes anyway', async () => {
    const r = await run('card', 'sign', 'card.json', '--cert', join(svidA, 'svid.pem'), '--key', join(svidA, 'svid_key.pem'), '--alg', 'ES256');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(b64urlJson(JSON.parse(r.stdout).signatures[0].protected)).toMatchObject({ alg: 'ES256' });
  });

  describe('card sign --alg with an RSA SVID', () => {
    // `ca issue` makes P-256 SVIDs only: this one is issued by the same dev CA's intermediate here
    const rsa = (...p: string[]) => at('rsa', ...p);

    beforeAll(async () => {
      const interPem = await readFile(at('.cardtrust', 'intermediate.pem'), 'utf8');
      const interDer = decodePemBlocks(await readFile(at('.cardtrust', 'intermediate_key.pem'), 'utf8'))[0]!.der;
      const interKey = await crypto.subtle.importKey('pkcs8', interDer.slice(), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      await mkdir(rsa(), { recursive: true });
      // an RSA-2048 SVID, and an RSA-1024 one that signAgentCard and every verifier refuse
      for (const [prefix, modulusLength] of [['', 2048], ['small_', 1024]] as const) {
        const keys = await generateKeyPair('RSA', { modulusLength });
        const leaf = await issueCertificate({
          subject: 'O=cardtrust',
          publicKey: keys.publicKey,
          issuer: { certificate: interPem, privateKey: interKey },
          notBefore: new Date(Date.now() - 60_000),
          notAfter: new Date(Date.now() + 3600_000),
          ca: false,
          keyUsage: KeyUsage.digitalSignature,
          extKeyUsage: [ExtKeyUsage.serverAuth, ExtKeyUsage.clientAuth],
          uris: ['spiffe://example.org/agent/rsa'],
        });
        await writeFile(rsa(`${prefix}svid.pem`), leaf.pem + interPem);
        await writeFile(rsa(`${prefix}svid_key.pem`), await exportPrivateKeyPem(keys.privateKey));
      }
    });

    // the size is checked where the key is read, whichever algorithm is asked for
    it.concurrent.each([['(default)', []], ['PS256', ['--alg', 'PS256']]])('an RSA-1024 SVID with --alg %s: exit 2, ERR_KEY_UNSUPPORTED naming --key', async (_name, flags) => {
      const r = await run('card', 'sign', 'card.json', '--cert', rsa('small_svid.pem'), '--key', rsa('small_svid_key.pem'), ...flags, '-o', 'rsa-small.json');
      expectError(r, 2, 'ERR_KEY_UNSUPPORTED');
      expect(r.stderr).toContain('small_svid_key.pem: RSA key of 1024 bits (accepted: 2048..8192)');
      expect(r.stdout).toBe('');
    });

    it.concurrent.each([
      ['(default)', [], 'RS256'],
      ['PS256', ['--alg', 'PS256'], 'PS256'],
      ['RS384', ['--alg', 'RS384'], 'RS384'],
      ['PS512', ['--alg', 'PS512'], 'PS512'],
    ])('--alg %s: the header says so and the card verifies against the bundle', async (_name, flags, alg) => {
      const out = `rsa-${alg}.json`;
      const signed = await run('card', 'sign', 'card.json', '--cert', rsa('svid.pem'), '--key', rsa('svid_key.pem'), ...flags, '-o', out);
      expect(signed).toMatchObject({ code: 0, stderr: '' });
      const card = JSON.parse(await readFile(at(out), 'utf8'));
      expect(b64urlJson(card.signatures[0].protected)).toMatchObject({ alg, typ: 'JOSE', x5c: expect.any(Array) });
      const r = await run('card', 'verify', out, '--bundle', '.cardtrust/bundle.pem', '--json');
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(r.stdout)).toMatchObject({
        verified: true,
        signatures: [{ status: 'valid', alg, keySource: 'x5c', signer: { spiffeId: 'spiffe://example.org/agent/rsa' } }],
      });
    });

    it.concurrent.each([['ES256'], ['EdDSA']])('--alg %s for an RSA key: exit 1, ERR_JWS_KEY_ALGORITHM_MISMATCH', async (alg) => {
      const r = await run('card', 'sign', 'card.json', '--cert', rsa('svid.pem'), '--key', rsa('svid_key.pem'), '--alg', alg);
      expectError(r, 1, 'ERR_JWS_KEY_ALGORITHM_MISMATCH');
      expect(r.stdout).toBe('');
    });
  });

  describe('card verify --keys: pinned public keys for kid signatures', () => {
    // A card signed by kid only (no x5c), with a key generated here, and JWK Sets holding its
    // public key: unscoped, scoped to the agent's SPIFFE ID, scoped to the trust domain.
    const KID = 'agent-a-1';
    const keyFile = (...p: string[]) => at('keys', ...p);
    const writeJson = (path: string, value: unknown) => writeFile(path, JSON.stringify(value, null, 2));

    beforeAll(async () => {
      const publicJwk = async (keys: CryptoKeyPair, kid: string) => {
        const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', keys.publicKey);
        return { kty, crv, x, y, kid };
      };
      const agent = await generateKeyPair('P-256');
      const other = await generateKeyPair('P-256');
      const jwk = await publicJwk(agent, KID);
      const signed = await signAgentCard(CARD, { privateKey: agent.privateKey, kid: KID });
      await mkdir(keyFile(), { recursive: true });
      await writeJson(at('kid.signed.json'), signed);
      await writeJson(keyFile('unscoped.json'), { keys: [jwk] });
      await writeJson(keyFile('scoped.json'), { keys: [jwk], spiffeId: 'spiffe://example.org/agent/a' });
      await writeJson(keyFile('td.json'), { keys: [jwk], spiffeId: 'spiffe://example.org' });
      await writeJson(keyFile('other-kid.json'), { keys: [{ ...jwk, kid: 'agent-b-1' }], spiffeId: 'spiffe://example.org/agent/b' });
      // the same kid, another key: the signature does not verify with it
      await writeJson(keyFile('wrong-key.json'), { keys: [await publicJwk(other, KID)], spiffeId: 'spiffe://example.org/agent/a' });
      // the worker's TRUSTED_KEYS form: an array of sets in one document
      await writeJson(keyFile('array.json'), [{ keys: [{ ...jwk, kid: 'agent-b-1' }], spiffeId: 'spiffe://example.org/agent/b' }, { keys: [jwk], spiffeId: 'spiffe://example.org/agent/a' }]);
    });

    it('the card carries a kid and no x5c', async () => {
      const card = JSON.parse(await readFile(at('kid.signed.json'), 'utf8'));
      const header = b64urlJson(card.signatures[0].protected);
      expect(header).toEqual({ alg: 'ES256', typ: 'JOSE', kid: KID });
    });

    it.concurrent.each([
      ['an unscoped set, no policy', ['--keys', 'keys/unscoped.json'], undefined, /^binding +not-checked$/m],
      ['a scoped set, no policy', ['--keys', 'keys/scoped.json'], 'spiffe://example.org/agent/a', /^binding +not-checked/m],
      ['a scoped set and --trust-domain', ['--keys', 'keys/scoped.json', '--trust-domain', 'example.org'], 'spiffe://example.org/agent/a', /^binding +bound \(trust domain example\.org\)$/m],
      ['a scoped set and --expect-id', ['--keys', 'keys/scoped.json', '--expect-id', 'spiffe://example.org/agent/a'], 'spiffe://example.org/agent/a', /^binding +bound \(id spiffe:\/\/example\.org\/agent\/a\)$/m],
      ['a trust-domain set and --trust-domain', ['--keys', 'keys/td.json', '--trust-domain', 'example.org'], 'spiffe://example.org', /^binding +bound \(trust domain example\.org\)$/m],
      ['several sets, the second holding the kid', ['--keys', 'keys/other-kid.json', '--keys', 'keys/scoped.json', '--trust-domain', 'example.org'], 'spiffe://example.org/agent/a', /^binding +bound/m],
      ['an array of sets in one file', ['--keys', 'keys/array.json', '--expect-id', 'spiffe://example.org/agent/a'], 'spiffe://example.org/agent/a', /^binding +bound \(id spiffe:\/\/example\.org\/agent\/a\)$/m],
      // one bundle and no policy flag: bound to the bundle's trust domain, as without --keys
      ['a scoped set beside one bundle', ['--bundle', '.cardtrust/bundle.pem', '--keys', 'keys/scoped.json'], 'spiffe://example.org/agent/a', /^binding +bound \(trust domain example\.org\)$/m],
    ])('card verify with %s: readable report, exit 0', async (_name, flags, signer, binding) => {
      const r = await run('card', 'verify', 'kid.signed.json', ...flags);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/^signature 0 +valid$/m);
      expect(r.stdout).toMatch(/^ +alg +ES256$/m);
      expect(r.stdout).toMatch(new RegExp(`^ +kid +${KID}$`, 'm'));
      expect(r.stdout).toMatch(/^ +key from +kid$/m);
      expect(r.stdout).toMatch(new RegExp(`^ +trust root +keyset:${KID}$`, 'm'));
      if (signer === undefined) {
        expect(r.stdout).not.toMatch(/^ +signer /m);
      } else {
        expect(r.stdout).toMatch(new RegExp(`^ +signer +${signer.replaceAll('.', '\\.')}$`, 'm'));
        expect(r.stdout).toMatch(/^ +trust domain +example\.org$/m);
      }
      // a key set's signer has no certificate chain to show
      expect(r.stdout).not.toMatch(/^ +(chain|not after) /m);
      expect(r.stdout).toMatch(binding);
      expect(r.stdout).toMatch(/^result +VERIFIED \(strict mode\)$/m);
    });

    it.concurrent('card verify --keys --json: the scope is the signer, without chain or notAfter', async () => {
      const r = await run('card', 'verify', 'kid.signed.json', '--keys', 'keys/scoped.json', '--trust-domain', 'example.org', '--json');
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const report = JSON.parse(r.stdout);
      expect(report).toMatchObject({
        verified: true,
        mode: 'strict',
        binding: { status: 'bound', trustDomain: 'example.org' },
        signatures: [{ index: 0, status: 'valid', alg: 'ES256', kid: KID, keySource: 'kid', trustRoot: `keyset:${KID}` }],
      });
      expect(report.signatures[0].signer).toEqual({ spiffeId: 'spiffe://example.org/agent/a', trustDomain: 'example.org' });
    });

    it.concurrent('an unscoped set and --trust-domain in audit mode: verified (exit 0), reported unbound', async () => {
      const r = await run('card', 'verify', 'kid.signed.json', '--keys', 'keys/unscoped.json', '--trust-domain', 'example.org', '--audit', '--json');
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(r.stdout)).toMatchObject({ verified: true, mode: 'audit', binding: { status: 'unbound', code: 'ERR_CARD_SIGNER_NOT_BOUND' } });
    });

    it.concurrent.each([
      // the message says why: the keys carry no identity
      ['an unscoped set and --trust-domain', ['kid.signed.json', '--keys', 'keys/unscoped.json', '--trust-domain', 'example.org'], 'ERR_CARD_SIGNER_NOT_BOUND', 'no SPIFFE identity to bind to trust domain example.org'],
      ['an unscoped set beside one bundle (bound to its trust domain)', ['kid.signed.json', '--bundle', '.cardtrust/bundle.pem', '--keys', 'keys/unscoped.json'], 'ERR_CARD_SIGNER_NOT_BOUND'],
      ['a scoped set and another trust domain', ['kid.signed.json', '--keys', 'keys/scoped.json', '--trust-domain', 'other.org'], 'ERR_CARD_SIGNER_NOT_BOUND'],
      ['a trust-domain set and --expect-id', ['kid.signed.json', '--keys', 'keys/td.json', '--expect-id', 'spiffe://example.org/agent/a'], 'ERR_CARD_SIGNER_NOT_BOUND'],
      ['another key under the same kid', ['kid.signed.json', '--keys', 'keys/wrong-key.json'], 'ERR_JWS_SIGNATURE_INVALID'],
      ['a set without the card\'s kid', ['kid.signed.json', '--keys', 'keys/other-kid.json'], 'ERR_JWS_KEY_NOT_FOUND'],
      ['a bundle only', ['kid.signed.json', '--bundle', '.cardtrust/bundle.pem'], 'ERR_JWS_KEY_NOT_FOUND'],
      // an x5c signature is checked against bundles, never against pinned keys
      ['an x5c card and --keys only', ['signed.json', '--keys', 'keys/scoped.json'], 'ERR_BUNDLE_NOT_FOUND'],
    ] as Array<[string, string[], string, string?]>)('card verify with %s: exit 1, the code on stderr and in the report', async (_name, args, code, message) => {
      const r = await run('card', 'verify', ...args);
      expectError(r, 1, code);
      expect(r.stdout).toMatch(new RegExp(`^result +NOT VERIFIED \\(strict mode\\): ${code}($|: )`, 'm'));
      if (message !== undefined) expect(r.stdout).toContain(message);
    });

    // a well-formed public key (RFC 7517 A.1) for the files that must fail before any crypto
    const PUB = { kty: 'EC', crv: 'P-256', x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM', kid: 'k1' };
    const { kid: _kid, ...PUB_NO_KID } = PUB;

    it.concurrent('a kid in two --keys files: exit 2, naming both (which scope it speaks for would be ambiguous)', async () => {
      const r = await run('card', 'verify', 'kid.signed.json', '--keys', 'keys/scoped.json', '--keys', 'keys/wrong-key.json');
      expectError(r, 2, 'ERR_INPUT_INVALID');
      expect(r.stderr).toContain(`--keys keys/wrong-key.json: kid "${KID}" is also in --keys keys/scoped.json: a kid must be unique`);
      expect(r.stdout).toBe('');
    });

    it.concurrent.each([
      ['a missing file', 'keys/nothere.json', undefined, 'ERR_FILE_UNREADABLE'],
      ['a directory', 'keys', undefined, 'ERR_FILE_UNREADABLE'],
      ['a file that is not JSON', 'keys/bad-json.json', '{"keys": [', 'ERR_JSON_MALFORMED'],
      ['a JSON array of keys, not of key sets', 'keys/bad-array.json', [PUB], 'ERR_INPUT_INVALID'],
      ['a kid twice in one file', 'keys/bad-dup.json', [{ keys: [PUB] }, { keys: [PUB], spiffeId: 'spiffe://example.org/agent/b' }], 'ERR_INPUT_INVALID'],
      ['an encryption key', 'keys/bad-use.json', { keys: [{ ...PUB, use: 'enc' }] }, 'ERR_INPUT_INVALID'],
      ['an object without "keys"', 'keys/bad-nokeys.json', {}, 'ERR_INPUT_INVALID'],
      ['"keys" that is not an array', 'keys/bad-keys-object.json', { keys: PUB }, 'ERR_INPUT_INVALID'],
      ['an empty "keys"', 'keys/bad-empty.json', { keys: [] }, 'ERR_INPUT_INVALID'],
      ['a misspelled scope', 'keys/bad-member.json', { keys: [PUB], spiffe_id: 'spiffe://example.org/agent/a' }, 'ERR_INPUT_INVALID'],
      ['a SPIFFE bundle', '.cardtrust/bundle.spiffe.json', undefined, 'ERR_INPUT_INVALID'],
      ['a key that is not an object', 'keys/bad-key-string.json', { keys: ['k1'] }, 'ERR_INPUT_INVALID'],
      ['a key without kid', 'keys/bad-nokid.json', { keys: [PUB_NO_KID] }, 'ERR_INPUT_INVALID'],
      ['a key with an empty kid', 'keys/bad-emptykid.json', { keys: [{ ...PUB, kid: '' }] }, 'ERR_INPUT_INVALID'],
      ['a key without kty', 'keys/bad-nokty.json', { keys: [{ kid: 'k1', x: PUB.x }] }, 'ERR_INPUT_INVALID'],
      ...['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].map((m) => [`a key with the private member "${m}"`, `keys/bad-private-${m}.json`, { keys: [PUB, { ...PUB, kid: 'k2', [m]: 'AQAB' }] }, 'ERR_INPUT_INVALID']),
      ['a spiffeId that is not a string', 'keys/bad-scope-type.json', { keys: [PUB], spiffeId: 42 }, 'ERR_INPUT_INVALID'],
      ['an invalid spiffeId', 'keys/bad-scope.json', { keys: [PUB], spiffeId: 'spiffe://example.org/a/../b' }, 'ERR_SPIFFE_ID_INVALID'],
    ] as Array<[string, string, unknown, string]>)('--keys with %s: exit 2, one line naming the file', async (_name, path, content, code) => {
      if (content !== undefined) await writeFile(at(path), typeof content === 'string' ? content : JSON.stringify(content));
      const r = await run('card', 'verify', 'kid.signed.json', '--keys', path);
      expectError(r, 2, code);
      expect(r.stderr).toContain(`--keys ${path}: `);
      expect(r.stdout).toBe('');
    });
  });
});
