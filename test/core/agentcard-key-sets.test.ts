// Key-set documents (parseAgentCardKeySets): what the worker's TRUSTED_KEYS and the CLI's --keys
// files accept, and the exact code and message of every refusal.
import { describe, expect, it } from 'vitest';
import { duplicateKid, parseAgentCardKeySets, verifyAgentCard } from '../../shared/agentcard/index.js';
import { TrustError } from '../../shared/errors.js';
import { kidSigned } from './agentcard-fixtures.js';

// RFC 7517 A.1's EC key, an RSA and an Ed25519 public key (shapes only: nothing here verifies with them)
const ec = { kty: 'EC', crv: 'P-256', x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM', kid: 'k1' };
const rsa = { kty: 'RSA', n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP', e: 'AQAB', kid: 'r1' };
const okp = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'o1' };

describe('parseAgentCardKeySets: accepted documents', () => {
  it.each([
    ['one unscoped set', { keys: [ec] }, [{ keys: [ec] }]],
    ['one set of every key type', { keys: [ec, rsa, okp] }, [{ keys: [ec, rsa, okp] }]],
    ['a set scoped to a workload', { keys: [ec], spiffeId: 'spiffe://example.org/agent/a' }, [{ keys: [ec], spiffeId: 'spiffe://example.org/agent/a' }]],
    ['a set scoped to a trust domain', { keys: [ec], spiffeId: 'spiffe://example.org' }, [{ keys: [ec], spiffeId: 'spiffe://example.org' }]],
    ['an array of sets', [{ keys: [ec], spiffeId: 'spiffe://a.test/x' }, { keys: [rsa, okp] }], [{ keys: [ec], spiffeId: 'spiffe://a.test/x' }, { keys: [rsa, okp] }]],
    ['"use": "sig" and key_ops with "verify"', { keys: [{ ...ec, use: 'sig', key_ops: ['verify'] }] }, [{ keys: [{ ...ec, use: 'sig', key_ops: ['verify'] }] }]],
  ] as [string, unknown, unknown][])('%s', (_name, value, expected) => {
    expect(parseAgentCardKeySets(value)).toEqual(expected);
  });

  it('a parsed document is what verifyAgentCard takes: a scoped kid signature binds to its spiffeId', async () => {
    const { jwk, signed } = await kidSigned();
    // a WebCrypto export carries key_ops ["verify"] and ext: both pass
    const keys = parseAgentCardKeySets(JSON.parse(JSON.stringify({ keys: [jwk], spiffeId: 'spiffe://example.org/agent/a' })));
    const report = await verifyAgentCard(signed, { keys, expectedId: 'spiffe://example.org/agent/a' });
    expect(report).toMatchObject({ verified: true, binding: { status: 'bound' }, signatures: [{ signer: { spiffeId: 'spiffe://example.org/agent/a' } }] });
  });
});

describe('parseAgentCardKeySets: refusals', () => {
  const { kid: _kid, ...ecNoKid } = ec;
  it.each([
    // the document
    ['null', null, 'ERR_INPUT_INVALID', 'not a JSON object; a key set is {"keys": [...], "spiffeId"?: "spiffe://..."}'],
    ['a string', 'k1', 'ERR_INPUT_INVALID', 'not a JSON object; a key set is'],
    ['an empty array', [], 'ERR_INPUT_INVALID', 'the array of key sets is empty'],
    ['an array of JWKs instead of sets', [ec], 'ERR_INPUT_INVALID', 'set 0: unknown member "kty"'],
    ['an array with a non-object', [{ keys: [ec] }, 'x'], 'ERR_INPUT_INVALID', 'set 1: not a JSON object'],
    ['a nested array', [[{ keys: [ec] }]], 'ERR_INPUT_INVALID', 'set 0: not a JSON object'],
    // the set
    ['a set without keys', { spiffeId: 'spiffe://example.org/a' }, 'ERR_INPUT_INVALID', 'expected a "keys" array of JWKs'],
    ['keys that are not an array', { keys: ec }, 'ERR_INPUT_INVALID', 'expected a "keys" array of JWKs'],
    ['an empty keys array in a second set', [{ keys: [ec] }, { keys: [] }], 'ERR_INPUT_INVALID', 'set 1: the "keys" array is empty'],
    ['a misspelled scope', { keys: [ec], spiffeID: 'spiffe://example.org/a' }, 'ERR_INPUT_INVALID', 'unknown member "spiffeID" (a key set is'],
    ['a SPIFFE bundle', { keys: [ec], spiffe_sequence: 1 }, 'ERR_INPUT_INVALID', 'unknown member "spiffe_sequence": a SPIFFE bundle is not a key set'],
    ['a spiffeId that is not a string', { keys: [ec], spiffeId: 42 }, 'ERR_INPUT_INVALID', '"spiffeId" must be a SPIFFE ID string'],
    ['a null spiffeId', { keys: [ec], spiffeId: null }, 'ERR_INPUT_INVALID', '"spiffeId" must be a SPIFFE ID string'],
    ['an empty spiffeId', { keys: [ec], spiffeId: '' }, 'ERR_SPIFFE_ID_INVALID', '"spiffeId": '],
    ['an https spiffeId', { keys: [ec], spiffeId: 'https://example.org/a' }, 'ERR_SPIFFE_ID_INVALID', '"spiffeId": '],
    ['a dot segment', { keys: [ec], spiffeId: 'spiffe://example.org/a/../b' }, 'ERR_SPIFFE_ID_INVALID', '"spiffeId": '],
    ['a bad spiffeId in a second set', [{ keys: [ec] }, { keys: [rsa], spiffeId: 'spiffe:///a' }], 'ERR_SPIFFE_ID_INVALID', 'set 1: "spiffeId": '],
    // the keys
    ['a key that is not an object', { keys: ['k1'] }, 'ERR_INPUT_INVALID', 'keys[0] is not a JSON object'],
    ['a key without kty', { keys: [{ kid: 'k1', x: ec.x }] }, 'ERR_INPUT_INVALID', 'keys[0] has "kty" null, expected "EC", "RSA" or "OKP"'],
    ['a symmetric key', { keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }] }, 'ERR_INPUT_INVALID', 'keys[0] has "kty" "oct", expected'],
    ['an inherited kty name', { keys: [{ ...ec, kty: 'toString' }] }, 'ERR_INPUT_INVALID', 'keys[0] has "kty" "toString"'],
    ['an EC key without y', { keys: [{ ...ec, y: undefined }] }, 'ERR_INPUT_INVALID', 'keys[0] (kty EC) lacks "y": an EC public key has crv, x, y'],
    ['an RSA key without n and e', { keys: [{ kty: 'RSA', kid: 'r' }] }, 'ERR_INPUT_INVALID', 'keys[0] (kty RSA) lacks "n", "e"'],
    ['an OKP key with an empty x', { keys: [{ ...okp, x: '' }] }, 'ERR_INPUT_INVALID', 'keys[0] (kty OKP) lacks "x"'],
    ...['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'].map((m) => [
      `the private member "${m}" in a second key`,
      { keys: [ec, { ...rsa, [m]: 'AQAB' }] },
      'ERR_INPUT_INVALID',
      `keys[1] has the private key member "${m}": a key set holds public keys only`,
    ]),
    ['a key without kid', { keys: [ecNoKid] }, 'ERR_INPUT_INVALID', 'keys[0] has no "kid"'],
    ['a key with an empty kid', { keys: [{ ...ec, kid: '' }] }, 'ERR_INPUT_INVALID', 'keys[0] has no "kid"'],
    ['a key with a numeric kid', { keys: [{ ...ec, kid: 7 }] }, 'ERR_INPUT_INVALID', 'keys[0] has no "kid"'],
    ['an encryption key', { keys: [{ ...ec, use: 'enc' }] }, 'ERR_INPUT_INVALID', 'keys[0] has "use" "enc": a signature key has "use": "sig" or none'],
    ['key_ops without verify', { keys: [{ ...ec, key_ops: ['sign'] }] }, 'ERR_INPUT_INVALID', 'keys[0] has "key_ops" without "verify"'],
    ['key_ops that is not an array', { keys: [{ ...ec, key_ops: 'verify' }] }, 'ERR_INPUT_INVALID', 'keys[0] has "key_ops" without "verify"'],
    ['a key error in a second set', [{ keys: [ec] }, { keys: [rsa, { ...okp, kid: '' }] }], 'ERR_INPUT_INVALID', 'set 1: keys[1] has no "kid"'],
    // kid uniqueness
    ['a kid twice in one set', { keys: [ec, { ...rsa, kid: 'k1' }] }, 'ERR_INPUT_INVALID', 'kid "k1" appears twice (the key set): a kid must be unique'],
    ['a kid twice in one array set', [{ keys: [ec, ec] }], 'ERR_INPUT_INVALID', 'kid "k1" appears twice (set 0)'],
    ['a kid in two sets', [{ keys: [rsa] }, { keys: [ec], spiffeId: 'spiffe://a.test/x' }, { keys: [{ ...okp, kid: 'k1' }] }], 'ERR_INPUT_INVALID', 'kid "k1" appears twice (sets 1 and 2)'],
  ] as [string, unknown, string, string][])('%s: %s', (_name, value, code, message) => {
    let err: unknown;
    try {
      parseAgentCardKeySets(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrustError);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toContain(message);
    // the message places the mistake: it starts with the set, the key or the member at fault
    if (Array.isArray(value) && value.length > 0 && !message.startsWith('kid ')) expect((err as Error).message).toMatch(/^set \d+: /);
  });

  it('an invalid spiffeId keeps the SPIFFE error as its cause', () => {
    expect(() => parseAgentCardKeySets({ keys: [ec], spiffeId: 'spiffe://example.org/../a' })).toThrow(
      expect.objectContaining({ code: 'ERR_SPIFFE_ID_INVALID', cause: expect.objectContaining({ code: 'ERR_SPIFFE_ID_INVALID' }) }),
    );
  });
});

describe('duplicateKid', () => {
  it.each([
    ['no sets', [], undefined],
    ['distinct kids', [{ keys: [ec] }, { keys: [rsa, okp] }], undefined],
    ['keys without kid are not compared', [{ keys: [{ ...ec, kid: undefined }, { ...rsa, kid: undefined }] }], undefined],
    ['within one set', [{ keys: [rsa, ec, { ...okp, kid: 'k1' }] }], { kid: 'k1', first: 0, second: 0 }],
    ['across sets: the first repeat', [{ keys: [ec] }, { keys: [rsa] }, { keys: [{ ...okp, kid: 'r1' }, { ...okp, kid: 'k1' }] }], { kid: 'r1', first: 1, second: 2 }],
  ] as [string, Parameters<typeof duplicateKid>[0], unknown][])('%s', (_name, sets, expected) => {
    expect(duplicateKid(sets)).toEqual(expected);
  });
});
