// I-JSON (RFC 7493) for AgentCards: a member name twice in one object means one thing to
// JSON.parse (the last wins) and another to parsers that keep the first, so it is refused
// wherever JSON text reaches the verifier: the card text and the protected header.
import { beforeAll, describe, expect, it } from 'vitest';
import { signAgentCard, verifyAgentCard, canonicalizeAgentCard, type AgentCardReport } from '../../shared/agentcard/index.js';
import { getCrypto } from '../../shared/crypto.js';
import { TrustError } from '../../shared/errors.js';
import { b64urlEncode } from '../../shared/lib/encoding.js';
import { card, makePki, publicJwk, testKeyPair, type Pki } from './agentcard-fixtures.js';

let pki: Pki;
let keys: CryptoKeyPair;
let jwk: JsonWebKey & { kid: string };
beforeAll(async () => {
  pki = await makePki();
  keys = await testKeyPair('P-256');
  jwk = await publicJwk(keys.publicKey, 'k');
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TrustError);
    return (err as TrustError).code;
  }
  return 'resolved';
}

describe('a card passed as JSON text', () => {
  // each edit turns the text of a correctly signed card into one with a repeated name
  it.each([
    ['a second "name" before the signed one (the "Evil Agent" card)', (t: string) => t.replace('{', '{"name":"Evil Agent",')],
    ['a second "name" after the signed one', (t: string) => t.replace(/}$/, ',"name":"Evil Agent"}')],
    ['a repeated name in a nested object', (t: string) => t.replace('"streaming":true', '"streaming":false,"streaming":true')],
    ['a repeated name inside a skill (array element)', (t: string) => t.replace('"id":"qa"', '"id":"evil","id":"qa"')],
    ['a repeated name spelled with an escape', (t: string) => t.replace('{', '{"n\\u0061me":"Evil Agent",')],
    ['a repeated "signatures"', (t: string) => t.replace('{', '{"signatures":[],')],
    ['a repeated name in a signature entry', (t: string) => t.replace('"protected":', '"protected":"e30","protected":')],
  ])('%s is ERR_CARD_MALFORMED', async (_name, edit) => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const text = JSON.stringify(signed);
    const options = { bundles: pki.bundles, trustDomain: 'example.org' };
    expect((await verifyAgentCard(text, options)).verified).toBe(true);
    const edited = edit(text);
    expect(edited).not.toBe(text);
    expect(await code(verifyAgentCard(edited, options))).toBe('ERR_CARD_MALFORMED');
  });

  it('the same name in different objects is fine', async () => {
    // "name" at the top and in a skill, "description" likewise
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k' });
    expect((await verifyAgentCard(JSON.stringify(signed), { keys: { keys: [jwk] } })).verified).toBe(true);
  });
});

describe('a protected header', () => {
  /** A signature entry whose protected header is exactly `headerText` (UTF-8 bytes, then base64url). */
  async function entry(headerBytes: Uint8Array): Promise<Record<string, unknown>> {
    const c = card();
    const prot = b64urlEncode(headerBytes);
    const payload = b64urlEncode(new TextEncoder().encode(canonicalizeAgentCard(c)));
    const sig = await getCrypto().subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, new TextEncoder().encode(`${prot}.${payload}`));
    c['signatures'] = [{ protected: prot, signature: b64urlEncode(new Uint8Array(sig)) }];
    return c;
  }
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const first = (r: AgentCardReport) => r.signatures[0]!;

  it('signed by hand with a plain header verifies (the control)', async () => {
    expect((await verifyAgentCard(await entry(utf8('{"alg":"ES256","typ":"JOSE","kid":"k"}')), { keys: { keys: [jwk] } })).verified).toBe(true);
  });

  it.each([
    ['"alg" twice', '{"alg":"none","typ":"JOSE","kid":"k","alg":"ES256"}'],
    ['"kid" twice', '{"alg":"ES256","typ":"JOSE","kid":"other","kid":"k"}'],
    ['"typ" twice, once escaped', '{"alg":"ES256","t\\u0079p":"JWT","typ":"JOSE","kid":"k"}'],
    ['a repeated name in a nested member', '{"alg":"ES256","typ":"JOSE","kid":"k","ext":{"a":1,"a":2}}'],
  ])('with %s is ERR_JWS_MALFORMED', async (_name, header) => {
    const report = await verifyAgentCard(await entry(utf8(header)), { keys: { keys: [jwk] } });
    expect(report.verified).toBe(false);
    expect(first(report)).toMatchObject({ status: 'invalid', code: 'ERR_JWS_MALFORMED' });
  });

  it.each([
    ['a UTF-8 byte-order mark first', [0xef, 0xbb, 0xbf], /byte-order mark/],
    ['two byte-order marks', [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], /byte-order mark/],
    ['a UTF-16 byte-order mark (not UTF-8)', [0xfe, 0xff], /UTF-8/],
  ])('starting with %s is ERR_JWS_MALFORMED, though correctly signed', async (_name, prefix, message) => {
    const json = utf8('{"alg":"ES256","typ":"JOSE","kid":"k"}');
    const report = await verifyAgentCard(await entry(new Uint8Array([...prefix, ...json])), { keys: { keys: [jwk] } });
    expect(report.verified).toBe(false);
    expect(first(report)).toMatchObject({ status: 'invalid', code: 'ERR_JWS_MALFORMED' });
    expect(first(report).message).toMatch(message);
  });

  it('a byte-order mark inside a string value is just a character', async () => {
    const report = await verifyAgentCard(await entry(utf8('{"alg":"ES256","typ":"JOSE","kid":"k","note":"\ufeff﻿"}')), { keys: { keys: [jwk] } });
    expect(report.verified).toBe(true);
  });
});
