/**
 * The python-json profile against Python itself. Fixed vectors made by python3
 * (test/fixtures/python-json/make-vectors.py → vectors.json) run always: Python-made cards signed
 * over the Python-made payload bytes (with WebCrypto, which is what a Python signer does over those
 * bytes) verify with the profile and fail without it. When python3 is present, the vectors are
 * regenerated and compared, and random cards are checked against python3's json.dumps in one batch.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalizeAgentCard, verifyAgentCard } from '../../shared/agentcard/index.js';
import { b64urlEncode } from '../../shared/lib/encoding.js';
import { publicJwk, testKeyPair } from '../core/agentcard-fixtures.js';
import { noteSkip } from '../support/skip-reasons.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/python-json/make-vectors.py', import.meta.url));
const VECTORS = fileURLToPath(new URL('../fixtures/python-json/vectors.json', import.meta.url));

interface Vector {
  readonly name: string;
  readonly card: string;
  readonly payload: string;
  readonly protected: string;
}
const checkedIn = JSON.parse(readFileSync(VECTORS, 'utf8')) as { vectors: Vector[] };

function python(args: string[], input?: string): { ok: boolean; stdout: string } {
  const r = spawnSync('python3', [SCRIPT, ...args], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  return { ok: r.status === 0, stdout: r.stdout ?? '' };
}

const hasPython = spawnSync('python3', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasPython) noteSkip('python-json tests against a running python3', 'python3 not found', 'apt-get install -y python3');

let keys: CryptoKeyPair;
let jwk: JsonWebKey & { kid: string };
beforeAll(async () => {
  keys = await testKeyPair('P-256');
  jwk = await publicJwk(keys.publicKey, 'py-key');
});

/** The vector's card with a signature over its Python payload, made with WebCrypto. */
async function signed(v: Vector): Promise<string> {
  const input = new TextEncoder().encode(`${v.protected}.${b64urlEncode(new TextEncoder().encode(v.payload))}`);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, input));
  // into the text as Python wrote it: a JSON.stringify round trip would turn -0.0 into 0
  const end = v.card.lastIndexOf('}');
  return `${v.card.slice(0, end).trimEnd()},\n  "signatures": ${JSON.stringify([{ protected: v.protected, signature: b64urlEncode(sig) }])}\n}`;
}

describe('fixed vectors made by python3 (always run)', () => {
  it('there are vectors, each with a payload that differs from jcs-clean', () => {
    expect(checkedIn.vectors.map((v) => v.name)).toEqual(['non-ASCII names', 'floats', 'large integers', 'nested empties', 'code-point key order']);
    for (const v of checkedIn.vectors) expect(canonicalizeAgentCard(JSON.parse(v.card))).not.toBe(v.payload);
  });

  it.each(checkedIn.vectors.map((v) => [v.name, v] as const))('%s: our python-json payload is Python’s', (_name, v) => {
    expect(canonicalizeAgentCard(JSON.parse(v.card), 'python-json')).toBe(v.payload);
  });

  it.each(checkedIn.vectors.map((v) => [v.name, v] as const))('%s: verifies with the profile (typ JWT), fails without it', async (_name, v) => {
    const text = await signed(v);
    const opts = { keys: { keys: [jwk] } };
    const on = await verifyAgentCard(text, { ...opts, profiles: ['jcs-clean', 'a2a-sdk', 'spec', 'python-json'] });
    expect(on, JSON.stringify(on)).toMatchObject({ verified: true, profile: 'python-json' });
    expect(on.unsignedFields).toBeUndefined();
    expect(on.signatures[0]).toMatchObject({ status: 'valid', typ: 'JWT', profile: 'python-json', keySource: 'kid' });
    const off = await verifyAgentCard(text, opts);
    expect(off).toMatchObject({ verified: false, error: { code: 'ERR_JWS_SIGNATURE_INVALID' } });
    expect(off.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_JWS_SIGNATURE_INVALID', typ: 'JWT' });
    // and a field added after signing is not covered
    const tampered = { ...(JSON.parse(text) as object), url: 'https://evil.example' };
    expect((await verifyAgentCard(tampered, { ...opts, profiles: ['python-json'] })).verified).toBe(false);
  });
});

describe.runIf(hasPython)('against a running python3', () => {
  it('make-vectors.py still makes the checked-in vectors', () => {
    const r = python([]);
    expect(r.ok).toBe(true);
    expect(JSON.parse(r.stdout)).toEqual(checkedIn);
  });

  // random cards: every profile's payload is deterministic, and python-json is what python3's
  // json.dumps prints for the same card (cleaned and floated in Python); one process for the batch
  it('random cards: deterministic payloads, python-json equal to python3 json.dumps', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom('', 'é', '😀', '\ufb01', '\u2028', '\u007f', '"\\', '\n\t\b\f\r\u0000'),
    );
    const num = fc.oneof(
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)), // JSON.stringify(-0) is "0"
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(Number),
      fc.constantFrom(7, 0.1, 1e-7, 1e16, 1e15, 1.5e300, 5e-324, 1e21, 12345678901234567890),
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small', maxDepth: 4 }, text, num, fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(text, tie('v'), { maxKeys: 3 })),
    })).v;
    const cardArb = fc.record({ name: text, description: text, version: text, skills: fc.array(fc.dictionary(text, value, { maxKeys: 3 }), { maxLength: 2 }), x: fc.dictionary(text, value, { maxKeys: 4 }) }, { requiredKeys: ['name'] });

    const cards = fc.sample(cardArb, { numRuns: 400, seed: 1403 }) as Array<Record<string, unknown>>;
    const ours: string[] = [];
    for (const c of cards) {
      for (const profile of ['jcs-clean', 'a2a-sdk', 'spec', 'python-json'] as const) {
        let a: string | undefined;
        let b: string | undefined;
        try {
          a = canonicalizeAgentCard(c, profile);
        } catch {
          a = undefined;
        }
        try {
          b = canonicalizeAgentCard(structuredClone(c), profile);
        } catch {
          b = undefined;
        }
        expect(b).toBe(a);
      }
      ours.push(canonicalizeAgentCard(c, 'python-json'));
    }
    const r = python(['--payloads'], cards.map((c) => JSON.stringify(c)).join('\n') + '\n');
    expect(r.ok).toBe(true);
    const theirs = r.stdout.split('\n').slice(0, -1);
    expect(theirs).toHaveLength(cards.length);
    for (let i = 0; i < cards.length; i++) expect(ours[i], JSON.stringify(cards[i])).toBe(theirs[i]);
  });
});
