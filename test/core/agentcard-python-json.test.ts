/**
 * The python-json profile: CPython's json.dumps(sort_keys=True, separators=(',', ':')) of the
 * cleaned card, every number a float, and the `profiles` option that opts into it. The expected
 * strings are what CPython 3.11 prints (test/node/agentcard-python.test.ts checks the serializer
 * against a running python3 as well).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalizeAgentCard, signAgentCard, verifyAgentCard } from '../../shared/agentcard/index.js';
import { byCodePoint, pyFloat, pyQuote } from '../../shared/agentcard/lib/python-json.js';
import { card, publicJwk, rawEntry, testKeyPair } from './agentcard-fixtures.js';

describe('repr(float)', () => {
  it.each([
    [7, '7.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [1, '1.0'],
    [100, '100.0'],
    [-2.5, '-2.5'],
    [0.1, '0.1'],
    [0.30000000000000004, '0.30000000000000004'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1e-7, '1e-07'],
    [1e15, '1000000000000000.0'],
    [1234567890123456.7, '1234567890123456.8'],
    [1e16, '1e+16'],
    [1e22, '1e+22'],
    [12345678901234567890, '1.2345678901234567e+19'],
    [123456789012345678, '1.2345678901234568e+17'],
    [9007199254740993, '9007199254740992.0'],
    [1.5e300, '1.5e+300'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [1.5e-323, '1.5e-323'],
  ])('%d → %s', (n, text) => {
    expect(pyFloat(n)).toBe(text);
  });

  it('NaN and Infinity are not JSON', () => {
    for (const n of [NaN, Infinity, -Infinity]) expect(() => pyFloat(n)).toThrow(expect.objectContaining({ code: 'ERR_CARD_MALFORMED' }));
  });
});

describe('ensure_ascii strings', () => {
  it.each([
    ['plain', 'abc ~!', '"abc ~!"'],
    ['short escapes', '"\\\n\r\t\b\f', '"\\"\\\\\\n\\r\\t\\b\\f"'],
    ['other controls and DEL', '\u0000\u001f\u007f', '"\\u0000\\u001f\\u007f"'],
    ['Latin-1 and BMP', '\u0080é\u2028\uffff\ue000', '"\\u0080\\u00e9\\u2028\\uffff\\ue000"'],
    ['astral as a lowercase surrogate pair', '😀', '"\\ud83d\\ude00"'],
    ['slash stays literal', 'a/b', '"a/b"'],
  ])('%s', (_name, s, text) => {
    expect(pyQuote(s)).toBe(text);
  });

  it.each([['\ud800'], ['a\udc00'], ['\ud83d']])('a lone surrogate %j is refused', (s) => {
    expect(() => pyQuote(s)).toThrow(expect.objectContaining({ code: 'ERR_CARD_MALFORMED' }));
  });
});

describe('keys sorted by code point', () => {
  it('differs from UTF-16 order for astral characters against U+E000..U+FFFF', () => {
    const keys = ['\ufb01', '😀', 'a', 'Z', 'é', '\ue000', '\ud7ff'];
    expect([...keys].sort(byCodePoint)).toEqual(['Z', 'a', 'é', '\ud7ff', '\ue000', '\ufb01', '😀']);
    expect([...keys].sort()).toEqual(['Z', 'a', 'é', '\ud7ff', '😀', '\ue000', '\ufb01']); // UTF-16 order, for contrast
    expect(canonicalizeAgentCard({ name: 'n', params: { '\ufb01': 1, '😀': 2, a: 3, Z: 4, é: 5 } }, 'python-json')).toBe(
      '{"name":"n","params":{"Z":4.0,"a":3.0,"\\u00e9":5.0,"\\ufb01":1.0,"\\ud83d\\ude00":2.0}}',
    );
  });
});

describe('canonicalizeAgentCard(card, "python-json")', () => {
  it.each([
    ['nested empties removed, false and 0 kept', { name: 'A', description: '', skills: [], x: { y: { z: [] }, f: false, n: 0 }, signatures: [{}] }, '{"name":"A","x":{"f":false,"n":0.0}}'],
    ['numbers are floats', { name: 'A', v: [7, -0, 1e-7, 1e16, 12345678901234567890] }, '{"name":"A","v":[7.0,-0.0,1e-07,1e+16,1.2345678901234567e+19]}'],
    ['non-ASCII escaped', { name: 'Agent é 😀', description: 'ü\n' }, '{"description":"\\u00fc\\n","name":"Agent \\u00e9 \\ud83d\\ude00"}'],
    ['a card empty after cleaning is None', { description: '', skills: [{}] }, 'null'],
  ])('%s', (_name, c, text) => {
    expect(canonicalizeAgentCard(c, 'python-json')).toBe(text);
  });

  it('an ASCII card without numbers has the jcs-clean payload', () => {
    expect(canonicalizeAgentCard(card(), 'python-json')).toBe(canonicalizeAgentCard(card()));
  });

  it('an unknown profile is ERR_INPUT_INVALID', () => {
    expect(() => canonicalizeAgentCard(card(), 'python' as never)).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});

describe('verifyAgentCard({ profiles })', () => {
  let keys: CryptoKeyPair;
  let jwk: JsonWebKey & { kid: string };
  const es256 = { name: 'ECDSA', hash: 'SHA-256' };
  beforeAll(async () => {
    keys = await testKeyPair('P-256');
    jwk = await publicJwk(keys.publicKey, 'k');
  });

  // a card as a2a-python would sign it: non-ASCII, numbers (floats), typ JWT from PyJWT
  async function pythonSigned(): Promise<Record<string, unknown>> {
    const c: Record<string, unknown> = { ...card(), name: 'Agent Ä', capabilities: { extensions: [{ uri: 'urn:x', params: { level: 2, ratio: 0.5 } }] } };
    c['signatures'] = [await rawEntry(c, { alg: 'ES256', kid: 'k', typ: 'JWT' }, keys.privateKey, es256, canonicalizeAgentCard(c, 'python-json'))];
    return c;
  }

  it('python-json is not tried by default: the signature does not match', async () => {
    const report = await verifyAgentCard(await pythonSigned(), { keys: { keys: [jwk] } });
    expect(report).toMatchObject({ verified: false, error: { code: 'ERR_JWS_SIGNATURE_INVALID' } });
    expect(report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_JWS_SIGNATURE_INVALID', typ: 'JWT' });
  });

  it.each([
    [['python-json']],
    [['jcs-clean', 'a2a-sdk', 'spec', 'python-json']],
    [['python-json', 'jcs-clean']],
  ])('profiles %j verifies it and names the profile', async (profiles) => {
    const report = await verifyAgentCard(await pythonSigned(), { keys: { keys: [jwk] }, profiles: profiles as never });
    expect(report).toMatchObject({ verified: true, profile: 'python-json' });
    expect(report.unsignedFields).toBeUndefined();
    expect(report.signatures[0]).toMatchObject({ status: 'valid', typ: 'JWT', profile: 'python-json' });
  });

  it('profiles is the exact list tried: without jcs-clean a jcs-clean signature does not verify', async () => {
    const c = { ...card(), name: 'Agent Ä', 'x-note': 'outside the schema, so a2a-sdk signs another text' };
    const signed = await signAgentCard(c, { privateKey: keys.privateKey, kid: 'k', profile: 'jcs-clean' });
    expect((await verifyAgentCard(signed, { keys: { keys: [jwk] }, profiles: ['jcs-clean'] })).verified).toBe(true);
    const report = await verifyAgentCard(signed, { keys: { keys: [jwk] }, profiles: ['python-json', 'a2a-sdk'] });
    expect(report).toMatchObject({ verified: false, error: { code: 'ERR_JWS_SIGNATURE_INVALID' } });
  });

  it('the order of the list does not change the report (identical payloads reported under the first of the fixed order)', async () => {
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k', profile: 'python-json' });
    const a = await verifyAgentCard(signed, { keys: { keys: [jwk] }, profiles: ['python-json', 'jcs-clean'] });
    const b = await verifyAgentCard(signed, { keys: { keys: [jwk] }, profiles: ['jcs-clean', 'python-json'] });
    expect(a).toEqual(b);
    expect(a.profile).toBe('jcs-clean'); // an ASCII card without numbers: the same text
  });

  it('a signature remembered under python-json does not verify once the profile is not allowed (caches never change answers)', async () => {
    const c = await pythonSigned();
    expect((await verifyAgentCard(c, { keys: { keys: [jwk] }, profiles: ['python-json'] })).verified).toBe(true);
    expect(await verifyAgentCard(c, { keys: { keys: [jwk] } })).toMatchObject({ verified: false, error: { code: 'ERR_JWS_SIGNATURE_INVALID' } });
    expect((await verifyAgentCard(c, { keys: { keys: [jwk] }, profiles: ['jcs-clean', 'python-json'] })).profile).toBe('python-json');
  });

  it('fields added after signing are caught under python-json too', async () => {
    const signed = await pythonSigned();
    const report = await verifyAgentCard({ ...signed, url: 'https://evil.example' }, { keys: { keys: [jwk] }, profiles: ['python-json'] });
    expect(report).toMatchObject({ verified: false, error: { code: 'ERR_JWS_SIGNATURE_INVALID' } });
  });

  it.each([
    ['not an array', 'python-json'],
    ['empty', []],
    ['an unknown name', ['python']],
    ['a non-string', [7]],
    ['null inside', [null]],
    ['a name twice', ['jcs-clean', 'jcs-clean']],
  ])('profiles %s → ERR_INPUT_INVALID', async (_name, profiles) => {
    await expect(verifyAgentCard(card(), { profiles: profiles as never })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });
});
