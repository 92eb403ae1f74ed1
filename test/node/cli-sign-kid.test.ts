/**
 * `cardtrust card sign` without `--cert`: kid-only signatures made with a PKCS#8 key alone, and the
 * public JWK Set of `--jwks` that `card verify --keys` takes. Run as a real child process, as in
 * cli.test.ts; keys are generated here with WebCrypto (no PEM files are checked in).
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD, cli, expectError, type Run } from '../support/cli.js';
import { encodePem, parseCertificates } from '../../shared/index.js';
import { exportPrivateKeyPem, generateKeyPair, type KeyAlgorithm } from '../../shared/ca/index.js';
import { PUBLIC_FILE_MODE } from '../../node-adapter/cli/files.js';

const mode = async (path: string) => (await stat(path)).mode & 0o777;
const exists = (path: string) => stat(path).then(() => true, () => false);
const b64urlJson = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));


const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The public key members of a WebCrypto public key (what the JWK Set must hold, besides kid and alg). */
async function publicMembers(key: CryptoKey): Promise<JWK> {
  const { kty, crv, x, y, n, e } = await crypto.subtle.exportKey('jwk', key);
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined)) as JWK;
}

let work: string;
const at = (...p: string[]) => join(work, ...p);
const run = (...args: string[]) => cli(args, work);
const writeKey = async (name: string, keys: CryptoKeyPair) => writeFile(at(name), await exportPrivateKeyPem(keys.privateKey));

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cardtrust-sign-kid-'));
  await writeFile(at('card.json'), JSON.stringify(CARD, null, 2));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

it.concurrent('card sign --help: --cert is optional, --jwks is documented, with a kid-only example', async () => {
  const r = await cli(['card', 'sign', '--help'], tmpdir());
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toContain('Usage: cardtrust card sign <card.json> [--cert <svid.pem>] --key <key.pem>');
  expect(r.stdout).toContain('[--alg <alg>]');
  expect(r.stdout).toMatch(/^ +--jwks <file> /m);
  expect(r.stdout).toMatch(/^ +cardtrust card sign card\.json --key \S+ --jwks /m);
});

describe('card sign --key alone: kid-only signatures and their JWK Set', () => {
  it.concurrent.each([
    ['P-256', 'P-256', {}, [], 'ES256'],
    ['P-384', 'P-384', {}, [], 'ES384'],
    ['P-521', 'P-521', {}, [], 'ES512'],
    ['RSA 2048', 'RSA', { modulusLength: 2048 }, [], 'RS256'],
    ['RSA 2048 --alg PS256', 'RSA', { modulusLength: 2048 }, ['--alg', 'PS256'], 'PS256'],
    ['Ed25519', 'Ed25519', {}, [], 'EdDSA'],
  ] as Array<[string, KeyAlgorithm, { modulusLength?: number }, string[], string]>)(
    '%s: no x5c, the thumbprint kid, a public JWK Set, and card verify --keys accepts it',
    async (name, keyAlg, options, flags, alg) => {
      const id = name.replaceAll(/[^A-Za-z0-9]+/g, '-');
      const keys = await generateKeyPair(keyAlg, options);
      await writeKey(`${id}.key.pem`, keys);
      const pub = await publicMembers(keys.publicKey);
      const thumbprint = await calculateJwkThumbprint(pub);

      // the thumbprint kid to -o, and --kid custom to stdout (the card alone); concurrently, as each spawn costs
      const [signed, custom] = await Promise.all([
        run('card', 'sign', 'card.json', '--key', `${id}.key.pem`, ...flags, '--jwks', `${id}.jwks.json`, '-o', `${id}.signed.json`),
        run('card', 'sign', 'card.json', '--key', `${id}.key.pem`, ...flags, '--kid', 'custom', '--jwks', `${id}.custom.jwks.json`),
      ]);
      expect(signed).toMatchObject({ code: 0, stderr: '' });
      expect(signed.stdout).toBe(`signed card.json with kid ${thumbprint}: ${id}.signed.json (signature 0)\npublic key set: ${id}.jwks.json\n`);
      const card = JSON.parse(await readFile(at(`${id}.signed.json`), 'utf8'));
      expect(card).toMatchObject(CARD);
      expect(b64urlJson(card.signatures[0].protected)).toEqual({ alg, typ: 'JOSE', kid: thumbprint });

      const jwks = JSON.parse(await readFile(at(`${id}.jwks.json`), 'utf8'));
      expect(jwks).toEqual({ keys: [{ ...pub, kid: thumbprint, alg }] });
      expect(PRIVATE_MEMBERS.filter((m) => Object.hasOwn(jwks.keys[0], m))).toEqual([]);
      expect(await mode(at(`${id}.jwks.json`))).toBe(PUBLIC_FILE_MODE);

      // --kid overrides the thumbprint, in the header and in the key set
      expect(custom).toMatchObject({ code: 0, stderr: '' });
      const customCard = JSON.parse(custom.stdout);
      expect(b64urlJson(customCard.signatures[0].protected)).toEqual({ alg, typ: 'JOSE', kid: 'custom' });
      expect(JSON.parse(await readFile(at(`${id}.custom.jwks.json`), 'utf8'))).toEqual({ keys: [{ ...pub, kid: 'custom', alg }] });
      await writeFile(at(`${id}.custom.signed.json`), custom.stdout);

      const [verified, verifiedCustom] = await Promise.all([
        run('card', 'verify', `${id}.signed.json`, '--keys', `${id}.jwks.json`, '--json'),
        run('card', 'verify', `${id}.custom.signed.json`, '--keys', `${id}.custom.jwks.json`),
      ]);
      expect(verified).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(verified.stdout)).toMatchObject({ verified: true, signatures: [{ status: 'valid', alg, kid: thumbprint, keySource: 'kid' }] });
      expect(verifiedCustom).toMatchObject({ code: 0, stderr: '' });
    },
  );

  it.concurrent('--jku goes into the header; signing again appends a second signature', async () => {
    await writeKey('jku.key.pem', await generateKeyPair('P-256'));
    const r = await run('card', 'sign', 'card.json', '--key', 'jku.key.pem', '--jku', 'https://keys.example.org/jwks.json', '-o', 'jku.signed.json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const again = await run('card', 'sign', 'jku.signed.json', '--key', 'jku.key.pem', '--kid', 'second');
    expect(again).toMatchObject({ code: 0, stderr: '' });
    const card = JSON.parse(again.stdout);
    expect(card.signatures).toHaveLength(2);
    expect(b64urlJson(card.signatures[0].protected)).toMatchObject({ alg: 'ES256', jku: 'https://keys.example.org/jwks.json' });
    expect(b64urlJson(card.signatures[1].protected)).toEqual({ alg: 'ES256', typ: 'JOSE', kid: 'second' });
  });

  it.concurrent.each([
    // another key has another thumbprint: the card's kid is in no key set
    ['another key\'s JWK Set', 'ERR_JWS_KEY_NOT_FOUND', []],
    // the same kid over another key: found, and the signature does not verify with it
    ['another key under the same --kid', 'ERR_JWS_SIGNATURE_INVALID', ['--kid', 'shared']],
  ] as Array<[string, string, string[]]>)('card verify with %s: exit 1, %s', async (name, code, flags) => {
    const id = name.replaceAll(/[^A-Za-z0-9]+/g, '-');
    await writeKey(`${id}.a.pem`, await generateKeyPair('P-256'));
    await writeKey(`${id}.b.pem`, await generateKeyPair('P-256'));
    const [a, b] = await Promise.all([
      run('card', 'sign', 'card.json', '--key', `${id}.a.pem`, ...flags, '-o', `${id}.a.signed.json`),
      run('card', 'sign', 'card.json', '--key', `${id}.b.pem`, ...flags, '--jwks', `${id}.b.jwks.json`, '-o', `${id}.b.signed.json`),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const r = await run('card', 'verify', `${id}.a.signed.json`, '--keys', `${id}.b.jwks.json`);
    expectError(r, 1, code);
    expect(r.stdout).toMatch(new RegExp(`^result +NOT VERIFIED \\(strict mode\\): ${code}($|: )`, 'm'));
  });
});

describe('card sign --key alone: bad keys and outputs', () => {
  beforeAll(async () => {
    const p256 = await generateKeyPair('P-256');
    const pem = await exportPrivateKeyPem(p256.privateKey);
    await writeFile(at('bad.p256.pem'), pem);
    await writeFile(at('bad.sec1.pem'), createPrivateKey(pem).export({ type: 'sec1', format: 'pem' }) as string);
    await writeFile(at('bad.two.pem'), pem + (await exportPrivateKeyPem((await generateKeyPair('P-256')).privateKey)));
    await writeFile(at('bad.garbage.pem'), 'this is not a key\n');
    await writeFile(at('bad.not-pkcs8.pem'), encodePem('PRIVATE KEY', new TextEncoder().encode('a PEM body that is not DER at all, sixty-four bytes of text....')));
    await writeFile(at('bad.rsa1024.pem'), await exportPrivateKeyPem((await generateKeyPair('RSA', { modulusLength: 1024 })).privateKey));
    const x25519 = (await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
    await writeFile(at('bad.x25519.pem'), await exportPrivateKeyPem(x25519.privateKey));
    await writeFile(at('bad.ed25519.pem'), await exportPrivateKeyPem((await generateKeyPair('Ed25519')).privateKey));
    await writeFile(at('bad.rsa.pem'), await exportPrivateKeyPem((await generateKeyPair('RSA')).privateKey));
  });

  it.concurrent.each([
    ['a SEC1 EC PRIVATE KEY block', 2, 'ERR_PEM_MALFORMED', ['--key', 'bad.sec1.pem'], '--key bad.sec1.pem: expected exactly one PKCS#8 PRIVATE KEY block (convert with: openssl pkcs8'],
    ['two PRIVATE KEY blocks', 2, 'ERR_PEM_MALFORMED', ['--key', 'bad.two.pem'], '--key bad.two.pem: expected exactly one PKCS#8 PRIVATE KEY block'],
    ['no PEM at all', 2, 'ERR_PEM_MALFORMED', ['--key', 'bad.garbage.pem'], '--key bad.garbage.pem: '],
    ['a PRIVATE KEY block that is not PKCS#8', 2, 'ERR_PEM_MALFORMED', ['--key', 'bad.not-pkcs8.pem'], '--key bad.not-pkcs8.pem: the PRIVATE KEY block is not a PKCS#8 PrivateKeyInfo'],
    ['a missing key file', 2, 'ERR_FILE_UNREADABLE', ['--key', 'bad.nothere.pem'], '--key bad.nothere.pem: '],
    ['an RSA 1024 key', 2, 'ERR_KEY_UNSUPPORTED', ['--key', 'bad.rsa1024.pem'], '--key bad.rsa1024.pem: RSA key of 1024 bits (accepted: 2048..8192)'],
    ['an X25519 key', 2, 'ERR_KEY_UNSUPPORTED', ['--key', 'bad.x25519.pem'], '--key bad.x25519.pem: unsupported key type X25519'],
    ['--alg ES384 for a P-256 key', 1, 'ERR_JWS_KEY_ALGORITHM_MISMATCH', ['--key', 'bad.p256.pem', '--alg', 'ES384'], '--alg ES384: '],
    ['--alg PS256 for an Ed25519 key', 1, 'ERR_JWS_KEY_ALGORITHM_MISMATCH', ['--key', 'bad.ed25519.pem', '--alg', 'PS256'], '--alg PS256: '],
    ['--alg ES256 for an RSA key', 1, 'ERR_JWS_KEY_ALGORITHM_MISMATCH', ['--key', 'bad.rsa.pem', '--alg', 'ES256'], '--alg ES256: '],
    ['--jwks to a path that cannot be written', 1, 'ERR_FILE_UNWRITABLE', ['--key', 'bad.p256.pem', '--jwks', 'card.json/pub.json'], 'cannot write card.json/pub.json: '],
  ] as Array<[string, number, string, string[], string]>)('%s: exit %i, %s, nothing written', async (name, exit, code, flags, message) => {
    const out = `bad.out.${name.replaceAll(/[^A-Za-z0-9]+/g, '-')}.json`;
    const r = await run('card', 'sign', 'card.json', ...flags, '-o', out);
    expectError(r, exit, code);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
    expect(await exists(at(out))).toBe(false);
  });

  it.concurrent('--jwks that cannot be written: the card is not printed either', async () => {
    const r = await run('card', 'sign', 'card.json', '--key', 'bad.p256.pem', '--jwks', 'card.json/pub.json');
    expectError(r, 1, 'ERR_FILE_UNWRITABLE');
    expect(r.stdout).toBe('');
  });

  it.concurrent('-o and --jwks naming the same file: exit 2, ERR_USAGE', async () => {
    const r = await run('card', 'sign', 'card.json', '--key', 'bad.p256.pem', '--jwks', 'same.json', '-o', './same.json');
    expectError(r, 2, 'ERR_USAGE');
    expect(await exists(at('same.json'))).toBe(false);
  });

  it.concurrent('--jwks replaces an existing file, as -o does', async () => {
    await writeFile(at('replaced.jwks.json'), 'old');
    const r = await run('card', 'sign', 'card.json', '--key', 'bad.p256.pem', '--jwks', 'replaced.jwks.json', '-o', 'replaced.signed.json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(await readFile(at('replaced.jwks.json'), 'utf8')).keys).toHaveLength(1);
  });
});

describe('card sign --cert with --jwks', () => {
  const svid = (...p: string[]) => at('.cardtrust', 'svids', 'agent', 'a', ...p);

  beforeAll(async () => {
    expect(await run('ca', 'init', '--trust-domain', 'example.org')).toMatchObject({ code: 0 });
    expect(await run('ca', 'issue', 'spiffe://example.org/agent/a')).toMatchObject({ code: 0, stderr: '' });
  });

  it('writes the leaf\'s public key with the x5c signature\'s kid; the card still verifies with --bundle', async () => {
    const r = await run('card', 'sign', 'card.json', '--cert', svid('svid.pem'), '--key', svid('svid_key.pem'), '--jwks', 'leaf.jwks.json', '-o', 'x5c.signed.json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('signed card.json as spiffe://example.org/agent/a: x5c.signed.json (signature 0)\npublic key set: leaf.jwks.json\n');

    const leaf = parseCertificates(await readFile(svid('svid.pem'), 'utf8'))[0]!;
    const leafKey = await crypto.subtle.importKey('spki', leaf.publicKey.spki.slice(), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    const pub = await publicMembers(leafKey);
    const thumbprint = await calculateJwkThumbprint(pub);
    const card = JSON.parse(await readFile(at('x5c.signed.json'), 'utf8'));
    expect(b64urlJson(card.signatures[0].protected)).toMatchObject({ alg: 'ES256', typ: 'JOSE', kid: thumbprint, x5c: expect.any(Array) });
    expect(JSON.parse(await readFile(at('leaf.jwks.json'), 'utf8'))).toEqual({ keys: [{ ...pub, kid: thumbprint, alg: 'ES256' }] });
    expect(await mode(at('leaf.jwks.json'))).toBe(PUBLIC_FILE_MODE);

    const verified = await run('card', 'verify', 'x5c.signed.json', '--bundle', '.cardtrust/bundle.pem');
    expect(verified).toMatchObject({ code: 0, stderr: '' });
    expect(verified.stdout).toMatch(/^result +VERIFIED \(strict mode\)$/m);
  });
});
