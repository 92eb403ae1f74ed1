/**
 * `--profile` for `cardtrust card sign` (repeatable: one signature per profile) and `card verify`
 * (the exact set of profiles tried; python-json only when named). Run as a real child process, as
 * in cli.test.ts; keys are generated here.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAgentCardSignature, type AgentCard } from '@a2a-js/sdk';
import { CARD, cli, expectError } from '../support/cli.js';
import { exportPrivateKeyPem, generateKeyPair } from '../../shared/ca/index.js';

let work: string;
let keys: CryptoKeyPair;
const at = (...p: string[]) => join(work, ...p);
const run = (...args: string[]) => cli(args, work);
const readJson = async (name: string) => JSON.parse(await readFile(at(name), 'utf8')) as Record<string, unknown>;

const V03 = { ...CARD, url: 'https://agent-a.example.org/a2a', protocolVersion: '0.3.0', preferredTransport: 'JSONRPC' };
const PY = { ...CARD, name: 'Agent Ä', capabilities: { extensions: [{ uri: 'urn:x', params: { level: 2 } }] } };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cardtrust-profiles-'));
  keys = await generateKeyPair('P-256');
  await writeFile(at('key.pem'), await exportPrivateKeyPem(keys.privateKey));
  await writeFile(at('v03.json'), JSON.stringify(V03, null, 2));
  await writeFile(at('py.json'), JSON.stringify(PY, null, 2));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('card sign --profile', () => {
  it('--profile a2a-sdk --profile jcs-clean: two signatures, one header; the SDK and card verify accept the v0.3 card', async () => {
    const r = await run('card', 'sign', 'v03.json', '--key', 'key.pem', '--kid', 'k', '--jwks', 'k.jwks.json', '--profile', 'a2a-sdk', '--profile', 'jcs-clean', '-o', 'v03.signed.json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('(signatures 0..1)');
    const signed = await readJson('v03.signed.json');
    const sigs = signed['signatures'] as Array<{ protected: string }>;
    expect(sigs).toHaveLength(2);
    expect(sigs[0]!.protected).toBe(sigs[1]!.protected);
    await verifyAgentCardSignature(async () => keys.publicKey)(signed as unknown as AgentCard);
    const v = await run('card', 'verify', 'v03.signed.json', '--keys', 'k.jwks.json', '--json');
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ verified: true, profile: 'jcs-clean' });
  });

  it('--profile a2a-sdk alone: the v0.3 card is not covered as a whole (exit 1, ERR_CARD_UNSIGNED_FIELDS)', async () => {
    expect((await run('card', 'sign', 'v03.json', '--key', 'key.pem', '--kid', 'k', '--profile', 'a2a-sdk', '-o', 'v03.sdk.json')).code).toBe(0);
    await writeFile(at('k2.jwks.json'), JSON.stringify({ keys: [{ ...(await crypto.subtle.exportKey('jwk', keys.publicKey)), kid: 'k' }] }));
    expectError(await run('card', 'verify', 'v03.sdk.json', '--keys', 'k2.jwks.json'), 1, 'ERR_CARD_UNSIGNED_FIELDS');
  });

  it.concurrent.each([
    ['an unknown profile', ['--profile', 'auto']],
    ['a profile twice', ['--profile', 'jcs-clean', '--profile', 'jcs-clean']],
  ])('%s: exit 2, ERR_USAGE', async (_name, flags) => {
    expectError(await run('card', 'sign', 'v03.json', '--key', 'key.pem', ...flags), 2, 'ERR_USAGE');
  });
});

describe('card verify --profile', () => {
  beforeAll(async () => {
    const r = await run('card', 'sign', 'py.json', '--key', 'key.pem', '--kid', 'py', '--jwks', 'py.jwks.json', '--profile', 'python-json', '-o', 'py.signed.json');
    expect(r.code).toBe(0);
  });

  it('a python-json signature: not verified by default, verified when the profile is named', async () => {
    expectError(await run('card', 'verify', 'py.signed.json', '--keys', 'py.jwks.json'), 1, 'ERR_JWS_SIGNATURE_INVALID');
    const v = await run('card', 'verify', 'py.signed.json', '--keys', 'py.jwks.json', '--profile', 'jcs-clean', '--profile', 'python-json');
    expect(v).toMatchObject({ code: 0, stderr: '' });
    expect(v.stdout).toMatch(/^ +profile +python-json$/m);
  });

  it('the profiles named are exactly the ones tried', async () => {
    const r = await run('card', 'sign', 'py.json', '--key', 'key.pem', '--kid', 'py', '--profile', 'jcs-clean', '-o', 'py.jcs.json');
    expect(r.code).toBe(0);
    expectError(await run('card', 'verify', 'py.jcs.json', '--keys', 'py.jwks.json', '--profile', 'python-json'), 1, 'ERR_JWS_SIGNATURE_INVALID');
    expect((await run('card', 'verify', 'py.jcs.json', '--keys', 'py.jwks.json', '--profile', 'jcs-clean')).code).toBe(0);
  });

  it.concurrent.each([
    ['an unknown profile', ['--profile', 'python']],
    ['a profile twice', ['--profile', 'spec', '--profile', 'spec']],
  ])('%s: exit 2, ERR_USAGE', async (_name, flags) => {
    expectError(await run('card', 'verify', 'py.signed.json', '--keys', 'py.jwks.json', ...flags), 2, 'ERR_USAGE');
  });
});
