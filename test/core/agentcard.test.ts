import { beforeAll, describe, expect, it } from 'vitest';
import { signAgentCard, verifyAgentCard, type AgentCardReport } from '../../shared/agentcard/index.js';
import { TrustError } from '../../shared/errors.js';
import { getCrypto } from '../../shared/crypto.js';
import { b64Encode, b64urlDecode, b64urlEncode } from '../../shared/lib/encoding.js';
import { parseCertificate } from '../../shared/x509/parse.js';
import { CARD, TestCA, card, enc, kidSigned, makePki, publicJwk, rawEntry, testKeyPair, type Pki } from './agentcard-fixtures.js';

let pki: Pki;
beforeAll(async () => {
  pki = await makePki();
});

type Sig = { protected: string; signature: string; header?: Record<string, unknown> };
const sigs = (c: Record<string, unknown>) => c['signatures'] as Sig[];
const header = (s: Sig) => JSON.parse(new TextDecoder().decode(b64urlDecode(s.protected))) as Record<string, unknown>;

async function expectThrows(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(TrustError);
  await expect(p).rejects.toMatchObject({ code });
}

function expectFailed(report: AgentCardReport, index: number, code: string): void {
  expect(report.verified).toBe(false);
  expect(report.signatures[index]).toMatchObject({ status: 'invalid', code });
}

describe('round trips for every algorithm', () => {
  const algs = [
    ['ES256', 'P-256'],
    ['ES384', 'P-384'],
    ['ES512', 'P-521'],
    ['RS256', 'RSA'],
    ['PS256', 'RSA-PSS'],
    ['EdDSA', 'Ed25519'],
  ] as const;

  it.each(algs)('%s with an x5c chain to the trust bundle', async (alg, keyAlg) => {
    const svid = await pki.intermediate.issueSVID('spiffe://example.org/agent/a', { keyAlg });
    const signed = await signAgentCard(card(), { privateKey: svid.privateKey, certificateChain: svid.pem });
    const h = header(sigs(signed)[0]!);
    expect(h).toMatchObject({ alg, typ: 'JOSE' });
    expect(h['x5c']).toEqual(svid.der.map((d) => b64Encode(d)));
    const report = await verifyAgentCard(signed, { bundles: pki.bundles, trustDomain: 'example.org' });
    expect(report).toMatchObject({ verified: true, mode: 'strict', binding: { status: 'bound', trustDomain: 'example.org' } });
    const leaf = parseCertificate(svid.der[0]!);
    expect(report.signatures).toEqual([
      {
        index: 0,
        kid: h['kid'],
        alg,
        typ: 'JOSE',
        status: 'valid',
        keySource: 'x5c',
        trustRoot: 'spiffe-bundle:example.org',
        signer: {
          spiffeId: 'spiffe://example.org/agent/a',
          trustDomain: 'example.org',
          chainFingerprints: [await leaf.fingerprint(), await pki.intermediate.certificate.fingerprint(), await pki.ca.certificate.fingerprint()],
          notAfter: leaf.notAfter.toISOString(),
        },
        profile: expect.any(String),
        // the presented x5c (leaf, intermediate), described for people
        chain: [
          { subject: leaf.subject.text, spiffeId: 'spiffe://example.org/agent/a', issuer: leaf.issuer.text, notBefore: leaf.notBefore.toISOString(), notAfter: leaf.notAfter.toISOString(), keyType: expect.any(String), sha256: await leaf.fingerprint() },
          expect.objectContaining({ subject: pki.intermediate.certificate.subject.text, sha256: await pki.intermediate.certificate.fingerprint() }),
        ],
      },
    ]);
    expect(report.payloadSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each(algs)('%s with a pinned key set (kid)', async (alg, keyAlg) => {
    const keys = await testKeyPair(keyAlg);
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k1' });
    expect(header(sigs(signed)[0]!)).toEqual({ alg, typ: 'JOSE', kid: 'k1' });
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'k1')] } });
    expect(report).toMatchObject({ verified: true, binding: { status: 'not-checked' } });
    expect(report.signatures[0]).toMatchObject({ status: 'valid', alg, kid: 'k1', keySource: 'kid', trustRoot: 'keyset:k1' });
    expect(report.signatures[0]!.signer).toBeUndefined();
  });

  it('ECDSA signatures are fixed-width R‖S', async () => {
    for (const [keyAlg, len] of [['P-256', 64], ['P-384', 96], ['P-521', 132]] as const) {
      const keys = await testKeyPair(keyAlg);
      const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k' });
      expect(b64urlDecode(sigs(signed)[0]!.signature).length).toBe(len);
    }
  });

  it('signs PS256 with an extractable RSASSA key when asked, and RS256 by default', async () => {
    const keys = await testKeyPair('RSA');
    const ps = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'r', alg: 'PS256' });
    expect(header(sigs(ps)[0]!)['alg']).toBe('PS256');
    const jwk = { ...(await publicJwk(keys.publicKey, 'r')), alg: undefined };
    expect((await verifyAgentCard(ps, { keys: { keys: [jwk] } })).verified).toBe(true);
    const rs = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'r' });
    expect(header(sigs(rs)[0]!)['alg']).toBe('RS256');
  });

  it('defaults kid to the RFC 7638 thumbprint of the public key', async () => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey });
    const jwk = await getCrypto().subtle.exportKey('jwk', keys.publicKey);
    const members = `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
    const digest = new Uint8Array(await getCrypto().subtle.digest('SHA-256', new TextEncoder().encode(members)));
    expect(header(sigs(signed)[0]!)['kid']).toBe(b64urlEncode(digest));
    // with a chain, the thumbprint of the leaf's key (the same key)
    const withChain = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const svidJwk = await getCrypto().subtle.exportKey('jwk', pki.svid.publicKey);
    const svidMembers = `{"crv":"P-256","kty":"EC","x":"${svidJwk.x}","y":"${svidJwk.y}"}`;
    const svidDigest = new Uint8Array(await getCrypto().subtle.digest('SHA-256', new TextEncoder().encode(svidMembers)));
    expect(header(sigs(withChain)[0]!)['kid']).toBe(b64urlEncode(svidDigest));
  });

  it('keeps existing signatures (key rotation) and each one verifies', async () => {
    const a = await testKeyPair('P-256');
    const b = await testKeyPair('P-384');
    const once = await signAgentCard(card(), { privateKey: a.privateKey, kid: 'a' });
    const twice = await signAgentCard(once, { privateKey: b.privateKey, kid: 'b' });
    expect(sigs(twice)).toHaveLength(2);
    expect(sigs(twice)[0]).toEqual(sigs(once)[0]);
    const report = await verifyAgentCard(twice, { keys: { keys: [await publicJwk(a.publicKey, 'a'), await publicJwk(b.publicKey, 'b')] } });
    expect(report.verified).toBe(true);
    expect(report.signatures.map((s) => s.status)).toEqual(['valid', 'valid']);
  });

  it('leaves a self-signed root out of x5c, and refuses a key that is not the leaf’s', async () => {
    const signed = await signAgentCard(card(), {
      privateKey: pki.svid.privateKey,
      certificateChain: [...pki.svid.der, pki.ca.rootDer],
    });
    expect((header(sigs(signed)[0]!)['x5c'] as string[]).length).toBe(2);
    const stranger = await testKeyPair('P-256');
    await expectThrows(signAgentCard(card(), { privateKey: stranger.privateKey, certificateChain: pki.svid.pem }), 'ERR_INPUT_INVALID');
  });

  it('writes an unprotected header, and refuses protected-only members in it', async () => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k', header: { note: 'rotation 2' } });
    expect(sigs(signed)[0]!.header).toEqual({ note: 'rotation 2' });
    expect((await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'k')] } })).verified).toBe(true);
    for (const header of [{ kid: 'x' }, { x5c: [] }, { alg: 'none' }, { jku: 'https://evil.example' }]) {
      await expectThrows(signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k', header }), 'ERR_INPUT_INVALID');
    }
  });

  it('accepts the JSON text of a card as input', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const report = await verifyAgentCard(JSON.stringify(signed), { bundles: pki.bundles, trustDomain: 'example.org' });
    expect(report.verified).toBe(true);
  });

  it('produces a JSON-serialisable report', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const report = await verifyAgentCard(signed, { bundles: pki.bundles, trustDomain: 'example.org' });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('tampering', () => {
  let signed: Record<string, unknown>;
  const opts = () => ({ bundles: pki.bundles, trustDomain: 'example.org' });
  beforeAll(async () => {
    signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
  });

  const edits: Array<[string, (c: Record<string, any>) => void]> = [
    ['name', (c) => (c.name = 'Agent B')],
    ['description', (c) => (c.description += '.')],
    ['version', (c) => (c.version = '1.0.1')],
    ['interface url', (c) => (c.supportedInterfaces[0].url = 'https://evil.example/a2a')],
    ['capability flag', (c) => (c.capabilities.pushNotifications = true)],
    ['optional false removed', (c) => delete c.capabilities.pushNotifications],
    ['output mode removed', (c) => c.defaultOutputModes.pop()],
    ['output modes reordered', (c) => c.defaultOutputModes.reverse()],
    ['skill tag', (c) => (c.skills[0].tags[1] = 'admin')],
    ['skill added', (c) => c.skills.push({ id: 'x', name: 'x', description: 'x', tags: ['x'] })],
    ['field added inside the schema', (c) => (c.iconUrl = 'https://evil.example/icon.png')],
    ['field added outside the schema', (c) => (c.url = 'https://evil.example')],
  ];
  it.each(edits)('a changed %s fails', async (_name, edit) => {
    const c = structuredClone(signed);
    edit(c);
    const report = await verifyAgentCard(c, opts());
    expect(report.verified).toBe(false);
  });

  it('field order and insignificant empties do not matter', async () => {
    const c = Object.fromEntries(Object.entries(structuredClone(signed)).reverse()) as Record<string, any>;
    c.iconUrl = '';
    c.provider = {};
    c.skills[0].examples = [];
    expect((await verifyAgentCard(c, opts())).verified).toBe(true);
  });

  it('a changed protected header fails', async () => {
    const c = structuredClone(signed);
    const s = sigs(c)[0]!;
    s.protected = enc({ ...header(s), kid: 'other' });
    expectFailed(await verifyAgentCard(c, opts()), 0, 'ERR_JWS_SIGNATURE_INVALID');
  });

  it('a changed signature fails', async () => {
    const c = structuredClone(signed);
    const s = sigs(c)[0]!;
    const bytes = b64urlDecode(s.signature);
    bytes[10] = bytes[10]! ^ 1;
    s.signature = b64urlEncode(bytes);
    expectFailed(await verifyAgentCard(c, opts()), 0, 'ERR_JWS_SIGNATURE_INVALID');
  });

  it('a signature made for another card fails', async () => {
    const other = await signAgentCard({ ...card(), name: 'Other' }, { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const c = { ...structuredClone(signed), signatures: sigs(other) };
    expectFailed(await verifyAgentCard(c, opts()), 0, 'ERR_JWS_SIGNATURE_INVALID');
  });

  it('an x5c chain given out of order fails (the leaf is first)', async () => {
    const c = structuredClone(signed);
    const s = sigs(c)[0]!;
    const h = header(s);
    s.protected = enc({ ...h, x5c: [...(h['x5c'] as string[])].reverse() });
    expectFailed(await verifyAgentCard(c, opts()), 0, 'ERR_SVID_URI_SAN_INVALID');
  });

  it('an x5c leaf swapped for another SVID fails', async () => {
    const other = await pki.intermediate.issueSVID('spiffe://example.org/agent/a');
    const c = structuredClone(signed);
    const s = sigs(c)[0]!;
    s.protected = enc({ ...header(s), x5c: other.der.map((d) => b64Encode(d)) });
    expectFailed(await verifyAgentCard(c, opts()), 0, 'ERR_JWS_SIGNATURE_INVALID');
  });
});

describe('identity binding', () => {
  it.each([
    ['strict', false, 'ERR_CARD_SIGNER_NOT_BOUND', 'invalid'],
    ['audit', true, undefined, 'valid'],
  ] as const)('a chain from another trust domain in %s mode', async (mode, verified, code, status) => {
    const signed = await signAgentCard(card(), { privateKey: pki.otherSvid.privateKey, certificateChain: pki.otherSvid.pem });
    const report = await verifyAgentCard(signed, { bundles: pki.bundles, trustDomain: 'example.org', mode });
    expect(report.verified).toBe(verified);
    expect(report.mode).toBe(mode);
    expect(report.binding).toMatchObject({ status: 'unbound', trustDomain: 'example.org', code: 'ERR_CARD_SIGNER_NOT_BOUND' });
    expect(report.signatures[0]).toMatchObject({ status, trustRoot: 'spiffe-bundle:other.org', signer: { spiffeId: 'spiffe://other.org/agent/b' } });
    expect(report.signatures[0]!.code).toBe(code);
    if (!verified) expect(report.error?.code).toBe('ERR_CARD_SIGNER_NOT_BOUND');
  });

  it('expectedId and match bind or refuse', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const base = { bundles: pki.bundles, trustDomain: 'example.org' };
    expect((await verifyAgentCard(signed, { ...base, expectedId: 'spiffe://example.org/agent/a' })).binding).toEqual({
      status: 'bound',
      trustDomain: 'example.org',
      expectedId: 'spiffe://example.org/agent/a',
    });
    const wrong = await verifyAgentCard(signed, { ...base, expectedId: 'spiffe://example.org/agent/z' });
    expect(wrong).toMatchObject({ verified: false, binding: { status: 'unbound', code: 'ERR_CARD_SIGNER_NOT_BOUND' } });
    const refused = await verifyAgentCard(signed, {
      ...base,
      match: () => {
        throw new Error('no');
      },
    });
    expect(refused).toMatchObject({ verified: false, binding: { status: 'unbound' } });
  });

  it('strict mode refuses an x5c signer when no identity policy is given; audit reports it', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const strict = await verifyAgentCard(signed, { bundles: pki.bundles });
    expect(strict).toMatchObject({ verified: false, binding: { status: 'not-checked' }, error: { code: 'ERR_CARD_SIGNER_NOT_BOUND' } });
    const audit = await verifyAgentCard(signed, { bundles: pki.bundles, mode: 'audit' });
    expect(audit).toMatchObject({ verified: true, binding: { status: 'not-checked' } });
  });

  it('a kid key has no SPIFFE identity: unbound when a policy asks for one', async () => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k' });
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'k')] }, trustDomain: 'example.org' });
    expect(report).toMatchObject({ verified: false, binding: { status: 'unbound' } });
  });
});

describe('scoped key sets (keys with a spiffeId)', () => {
  let jwk: JsonWebKey & { kid: string };
  let signed: Record<string, unknown>;
  beforeAll(async () => {
    ({ jwk, signed } = await kidSigned());
  });

  it.each([
    // [scope, policy, verified in strict, binding status]
    ['spiffe://example.org/agent/a', { trustDomain: 'example.org' }, true, 'bound'],
    ['spiffe://example.org/agent/a', { trustDomain: 'example.org', expectedId: 'spiffe://example.org/agent/a' }, true, 'bound'],
    ['spiffe://example.org/agent/a', { expectedId: 'spiffe://example.org/agent/b' }, false, 'unbound'],
    ['spiffe://example.org/agent/a', { trustDomain: 'other.org' }, false, 'unbound'],
    ['spiffe://example.org', { trustDomain: 'example.org' }, true, 'bound'],
    ['spiffe://example.org', { expectedId: 'spiffe://example.org/agent/a' }, false, 'unbound'],
    ['spiffe://example.org/agent/a', {}, true, 'not-checked'],
  ] as const)('scope %s with policy %j', async (spiffeId, policy, verified, status) => {
    const report = await verifyAgentCard(signed, { keys: { keys: [jwk], spiffeId }, ...policy });
    expect(report.verified).toBe(verified);
    expect(report.binding.status).toBe(status);
    // only a binding that fails carries a code
    expect(report.binding.code).toBe(verified ? undefined : 'ERR_CARD_SIGNER_NOT_BOUND');
    const td = spiffeId.replace(/^spiffe:\/\/([^/]+).*$/, '$1');
    expect(report.signatures[0]).toMatchObject({ keySource: 'kid', trustRoot: 'keyset:k', signer: { spiffeId, trustDomain: td } });
    if (!verified) expect(report.signatures[0]).toMatchObject({ status: 'invalid', code: 'ERR_CARD_SIGNER_NOT_BOUND' });
  });

  it('an unscoped set stays without identity; the message says how to scope it', async () => {
    const report = await verifyAgentCard(signed, { keys: { keys: [jwk] }, trustDomain: 'example.org' });
    expect(report.signatures[0]!.signer).toBeUndefined();
    expect(report.binding.message).toContain('spiffeId');
  });

  it('several sets: the scope of the key that verified is the signer, whichever set holds the kid', async () => {
    const other = await testKeyPair('P-256');
    const sets = [
      { keys: [{ ...(await publicJwk(other.publicKey, 'k')) }], spiffeId: 'spiffe://example.org/agent/impostor' },
      { keys: [jwk], spiffeId: 'spiffe://example.org/agent/a' },
    ];
    const report = await verifyAgentCard(signed, { keys: sets, expectedId: 'spiffe://example.org/agent/a' });
    expect(report.verified).toBe(true);
    expect(report.signatures[0]!.signer).toEqual({ spiffeId: 'spiffe://example.org/agent/a', trustDomain: 'example.org' });
    // the other set's key cannot make this signature bind to its scope
    const impostor = await verifyAgentCard(signed, { keys: sets, expectedId: 'spiffe://example.org/agent/impostor' });
    expect(impostor).toMatchObject({ verified: false, binding: { status: 'unbound' } });
  });

  it.each([
    ['a misspelled scope member', { keys: [], spiffeID: 'spiffe://example.org/a' }, 'ERR_INPUT_INVALID'],
    ['a scope that is not a string', { keys: [], spiffeId: 7 }, 'ERR_INPUT_INVALID'],
    ['a scope that is not a SPIFFE ID', { keys: [], spiffeId: 'https://example.org/a' }, 'ERR_SPIFFE_ID_INVALID'],
    ['a scope with a trailing slash', { keys: [], spiffeId: 'spiffe://example.org/a/' }, 'ERR_SPIFFE_ID_INVALID'],
    ['a list holding a malformed set', [{ keys: [] }, { keys: 'x' }], 'ERR_INPUT_INVALID'],
  ] as const)('%s is refused', async (_name, keySet, code) => {
    await expectThrows(verifyAgentCard(signed, { keys: keySet as never }), code);
  });

  it('a symmetric key set cannot carry a scope', async () => {
    await expectThrows(verifyAgentCard(signed, { symmetricKeys: { keys: [], spiffeId: 'spiffe://example.org/a' } }), 'ERR_INPUT_INVALID');
  });
});

describe('certificates and keys', () => {
  it.each([
    ['expired leaf', 'ERR_X509_EXPIRED', (leaf: Date) => new Date(leaf.getTime() + 1000)],
    ['leaf not yet valid', 'ERR_X509_NOT_YET_VALID', () => new Date(Date.now() - 24 * 3600_000)],
  ])('%s', async (_name, code, at) => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    const leaf = parseCertificate(pki.svid.der[0]!);
    const report = await verifyAgentCard(signed, { bundles: pki.bundles, trustDomain: 'example.org', at: at(leaf.notAfter) });
    expectFailed(report, 0, code);
    expect(report.signatures[0]!.signer).toBeUndefined();
  });

  it('an unknown root fails', async () => {
    const stranger = await TestCA.create({ trustDomain: 'example.org' });
    const svid = await stranger.issueSVID('spiffe://example.org/agent/a');
    const signed = await signAgentCard(card(), { privateKey: svid.privateKey, certificateChain: svid.pem });
    expectFailed(await verifyAgentCard(signed, { bundles: pki.bundles, trustDomain: 'example.org' }), 0, 'ERR_X509_CHAIN_UNTRUSTED');
  });

  it('x5c without configured bundles fails', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    expectFailed(await verifyAgentCard(signed, { trustDomain: 'example.org' }), 0, 'ERR_BUNDLE_NOT_FOUND');
  });

  it('x5c longer than the limit fails', async () => {
    const signed = await signAgentCard(card(), { privateKey: pki.svid.privateKey, certificateChain: pki.svid.pem });
    expectFailed(await verifyAgentCard(signed, { bundles: pki.bundles, trustDomain: 'example.org', limits: { maxX5c: 1 } }), 0, 'ERR_CARD_X5C_TOO_LONG');
  });

  it('x5c in base64url instead of standard base64 fails', async () => {
    const c = card();
    const der = pki.svid.der[0]!;
    const h = { alg: 'ES256', typ: 'JOSE', kid: 'k', x5c: [b64urlEncode(der)] };
    c['signatures'] = [await rawEntry(c, h, pki.svid.privateKey, { name: 'ECDSA', hash: 'SHA-256' })];
    const expected = b64Encode(der) === b64urlEncode(der) ? 'ERR_SVID_URI_SAN_INVALID' : 'ERR_JWS_MALFORMED';
    expect((await verifyAgentCard(c, { bundles: pki.bundles })).signatures[0]!.code).toBe(expected);
  });

  it('an unknown kid fails', async () => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'nobody' });
    expectFailed(await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'somebody')] } }), 0, 'ERR_JWS_KEY_NOT_FOUND');
    expectFailed(await verifyAgentCard(signed, {}), 0, 'ERR_JWS_KEY_NOT_FOUND');
  });

  it('an embedded jwk is never a trust root', async () => {
    const keys = await testKeyPair('P-256');
    const c = card();
    const jwk = await getCrypto().subtle.exportKey('jwk', keys.publicKey);
    c['signatures'] = [await rawEntry(c, { alg: 'ES256', typ: 'JOSE', kid: 'self', jwk }, keys.privateKey, { name: 'ECDSA', hash: 'SHA-256' })];
    expectFailed(await verifyAgentCard(c, {}), 0, 'ERR_JWS_KEY_NOT_FOUND');
  });

  it.each([
    ['ES256 header over an RSA key (kid)', 'ES256', 'RSA'],
    ['ES384 header over a P-256 key (kid)', 'ES384', 'P-256'],
    ['RS256 header over an EC key (kid)', 'RS256', 'P-256'],
    ['EdDSA header over a P-256 key (kid)', 'EdDSA', 'P-256'],
  ] as const)('%s is a key/algorithm mismatch', async (_name, alg, keyAlg) => {
    const keys = await testKeyPair(keyAlg);
    const c = card();
    c['signatures'] = [{ protected: enc({ alg, typ: 'JOSE', kid: 'k' }), signature: b64urlEncode(new Uint8Array(64)) }];
    const jwk = { ...(await publicJwk(keys.publicKey, 'k')), alg: undefined };
    expectFailed(await verifyAgentCard(c, { keys: { keys: [jwk] } }), 0, 'ERR_JWS_KEY_ALGORITHM_MISMATCH');
  });

  it('ES384 header over a P-256 x5c leaf is a key/algorithm mismatch', async () => {
    const c = card();
    const h = { alg: 'ES384', typ: 'JOSE', kid: 'k', x5c: pki.svid.der.map((d) => b64Encode(d)) };
    c['signatures'] = [await rawEntry(c, h, pki.svid.privateKey, { name: 'ECDSA', hash: 'SHA-256' })];
    expectFailed(await verifyAgentCard(c, { bundles: pki.bundles, trustDomain: 'example.org' }), 0, 'ERR_JWS_KEY_ALGORITHM_MISMATCH');
  });

  it('a key whose JWK alg differs from the header alg is a mismatch', async () => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k' });
    const jwk = { ...(await publicJwk(keys.publicKey, 'k')), alg: 'ES384' };
    expectFailed(await verifyAgentCard(signed, { keys: { keys: [jwk] } }), 0, 'ERR_JWS_KEY_ALGORITHM_MISMATCH');
  });

  it('RSA keys below 2048 bits are refused for signing and verifying', async () => {
    const small = await getCrypto().subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    await expectThrows(signAgentCard(card(), { privateKey: small.privateKey, kid: 's' }), 'ERR_KEY_UNSUPPORTED');
    const c = card();
    c['signatures'] = [await rawEntry(c, { alg: 'RS256', typ: 'JOSE', kid: 's' }, small.privateKey, { name: 'RSASSA-PKCS1-v1_5' })];
    expectFailed(await verifyAgentCard(c, { keys: { keys: [await publicJwk(small.publicKey, 's')] } }), 0, 'ERR_KEY_UNSUPPORTED');
  });

  it('a kid key whose point is not on its curve is ERR_KEY_UNSUPPORTED in every runtime', async () => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k' });
    const jwk = await publicJwk(keys.publicKey, 'k');
    const y = b64urlDecode(jwk.y!);
    y[31]! ^= 0x01;
    expectFailed(await verifyAgentCard(signed, { keys: { keys: [{ ...jwk, y: b64urlEncode(y) }] } }), 0, 'ERR_KEY_UNSUPPORTED');
    expect((await verifyAgentCard(signed, { keys: { keys: [jwk] } })).verified).toBe(true);
  });

  it('signing refuses an algorithm the key cannot make', async () => {
    const keys = await testKeyPair('P-256');
    await expectThrows(signAgentCard(card(), { privateKey: keys.privateKey, alg: 'ES384' }), 'ERR_JWS_KEY_ALGORITHM_MISMATCH');
    await expectThrows(signAgentCard(card(), { privateKey: keys.publicKey, kid: 'k' }), 'ERR_KEY_UNSUPPORTED');
  });

  it.each([
    ['P-256', 'ES384', 'signAgentCard: an ECDSA key on P-256 signs ES256, not ES384'],
    ['Ed25519', 'ES256', 'signAgentCard: an Ed25519 key signs EdDSA, not ES256'],
    ['RSA', 'EdDSA', 'signAgentCard: an RSASSA-PKCS1-v1_5 key signs RS256, not EdDSA'],
  ] as const)('a %s key asked for %s: the message says what the key signs', async (keyAlg, alg, message) => {
    const keys = await testKeyPair(keyAlg);
    await expect(signAgentCard(card(), { privateKey: keys.privateKey, alg })).rejects.toThrow(message);
  });
});

describe('algorithms and headers', () => {
  let keys: CryptoKeyPair;
  let jwk: JsonWebKey & { kid: string };
  beforeAll(async () => {
    keys = await testKeyPair('P-256');
    jwk = await publicJwk(keys.publicKey, 'k');
  });
  const es256 = { name: 'ECDSA', hash: 'SHA-256' };

  async function withHeader(h: Record<string, unknown>, unprotected?: Record<string, unknown>) {
    const c = card();
    const entry: Record<string, unknown> = await rawEntry(c, h, keys.privateKey, es256);
    if (unprotected) entry['header'] = unprotected;
    c['signatures'] = [entry];
    return verifyAgentCard(c, { keys: { keys: [jwk] } });
  }

  it('a hand-made ES256 signature with the standard header verifies', async () => {
    expect((await withHeader({ alg: 'ES256', typ: 'JOSE', kid: 'k' })).verified).toBe(true);
  });

  // RFC 7515 §4.1.9: a media type, compared case-insensitively, "application/" may be left out
  it.each([
    ['JOSE', 'JOSE'],
    ['jose', 'JOSE'],
    ['application/jose', 'JOSE'],
    ['Application/JOSE', 'JOSE'],
    ['JWT', 'JWT'],
    ['jwt', 'JWT'],
    ['application/JWT', 'JWT'],
    ['APPLICATION/jwt', 'JWT'],
  ])('typ %j verifies and is reported as %s', async (typ, seen) => {
    const report = await withHeader({ alg: 'ES256', typ, kid: 'k' });
    expect(report.verified).toBe(true);
    expect(report.signatures[0]).toMatchObject({ status: 'valid', typ: seen });
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['a number', 7],
    ['an array', ['JOSE']],
    ['an empty string', ''],
    ['another media type', 'application/json'],
    ['a JOSE+JSON serialization type', 'jose+json'],
    ['a JWT subtype', 'at+jwt'],
    ['the prefix twice', 'application/application/jose'],
    ['only the prefix', 'application/'],
    ['a padded value', ' JOSE'],
    ['a trailing parameter', 'application/jose; charset=utf-8'],
    ['a Unicode look-alike', 'jo\u017fe'],
    ['the Kelvin sign is not a k', 'JW\u212a'],
  ])('typ %s is refused with ERR_JWS_TYP_INVALID', async (_name, typ) => {
    const h: Record<string, unknown> = { alg: 'ES256', kid: 'k' };
    if (typ !== undefined) h['typ'] = typ;
    const report = await withHeader(h);
    expectFailed(report, 0, 'ERR_JWS_TYP_INVALID');
    expect(report.signatures[0]!.typ).toBeUndefined();
  });

  it('"jku": null and other wrong-typed members stay refused (RFC 7515; PyJWT-based signers may write them)', async () => {
    for (const h of [
      { alg: 'ES256', typ: 'JWT', kid: 'k', jku: null },
      { alg: 'ES256', typ: 'JWT', kid: 'k', jku: '' },
      { alg: 'ES256', typ: 'JWT', kid: null },
      { alg: 'ES256', typ: 'JWT', kid: 'k', x5c: null },
    ]) {
      expectFailed(await withHeader(h), 0, 'ERR_JWS_MALFORMED');
    }
  });

  it.each([
    ['alg none', { alg: 'none', typ: 'JOSE', kid: 'k' }, 'ERR_JWS_ALGORITHM_NOT_ALLOWED'],
    ['an unknown alg', { alg: 'ES256K', typ: 'JOSE', kid: 'k' }, 'ERR_JWS_ALGORITHM_NOT_ALLOWED'],
    ['no alg', { typ: 'JOSE', kid: 'k' }, 'ERR_JWS_MALFORMED'],
    ['an unknown crit', { alg: 'ES256', typ: 'JOSE', kid: 'k', crit: ['exp'], exp: 1 }, 'ERR_JWS_CRIT_UNSUPPORTED'],
    ['an empty crit', { alg: 'ES256', typ: 'JOSE', kid: 'k', crit: [] }, 'ERR_JWS_MALFORMED'],
    ['b64 false', { alg: 'ES256', typ: 'JOSE', kid: 'k', b64: false }, 'ERR_JWS_MALFORMED'],
    ['no typ', { alg: 'ES256', kid: 'k' }, 'ERR_JWS_TYP_INVALID'],
    ['a non-string kid', { alg: 'ES256', typ: 'JOSE', kid: 7 }, 'ERR_JWS_MALFORMED'],
    ['an empty x5c', { alg: 'ES256', typ: 'JOSE', kid: 'k', x5c: [] }, 'ERR_JWS_MALFORMED'],
  ])('%s is refused', async (_name, h, code) => {
    expectFailed(await withHeader(h), 0, code);
  });

  it.each([
    ['kid', { kid: 'k' }],
    ['alg', { alg: 'ES256' }],
    ['x5c', { x5c: ['AA=='] }],
    ['jku', { jku: 'https://keys.example/jwks.json' }],
  ])('%s in the unprotected header is refused', async (_name, unprotected) => {
    expectFailed(await withHeader({ alg: 'ES256', typ: 'JOSE', kid: 'k' }, unprotected), 0, 'ERR_JWS_MALFORMED');
  });

  it('a member in both headers is refused; a harmless unprotected member is fine', async () => {
    expectFailed(await withHeader({ alg: 'ES256', typ: 'JOSE', kid: 'k', note: 'a' }, { note: 'b' }), 0, 'ERR_JWS_MALFORMED');
    expect((await withHeader({ alg: 'ES256', typ: 'JOSE', kid: 'k' }, { note: 'b' })).verified).toBe(true);
  });

  it('an oversized protected header is refused', async () => {
    const report = await withHeader({ alg: 'ES256', typ: 'JOSE', kid: 'k', pad: 'x'.repeat(20_000) });
    expectFailed(report, 0, 'ERR_JWS_HEADER_TOO_LARGE');
  });

  it.each([
    ['protected is not base64url', { protected: '***', signature: 'AA' }],
    ['protected is not JSON', { protected: b64urlEncode(new TextEncoder().encode('nope')), signature: 'AA' }],
    ['protected is a JSON array', { protected: enc([1]), signature: 'AA' }],
    ['signature is not base64url', { protected: enc({ alg: 'ES256', typ: 'JOSE', kid: 'k' }), signature: 'A+A=' }],
  ])('%s: ERR_JWS_MALFORMED', async (_name, entry) => {
    const c = { ...card(), signatures: [entry] };
    expectFailed(await verifyAgentCard(c, { keys: { keys: [jwk] } }), 0, 'ERR_JWS_MALFORMED');
  });

  it('a wrong-length ECDSA signature is invalid', async () => {
    const c = { ...card(), signatures: [{ protected: enc({ alg: 'ES256', typ: 'JOSE', kid: 'k' }), signature: b64urlEncode(new Uint8Array(70)) }] };
    expectFailed(await verifyAgentCard(c, { keys: { keys: [jwk] } }), 0, 'ERR_JWS_SIGNATURE_INVALID');
  });

  describe('HMAC', () => {
    let secret: CryptoKey;
    let oct: JsonWebKey & { kid: string };
    beforeAll(async () => {
      secret = (await getCrypto().subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 256 }, true, ['sign', 'verify'])) as CryptoKey;
      oct = { ...(await getCrypto().subtle.exportKey('jwk', secret)), kid: 'h' };
    });

    it('HS256 is refused without symmetric keys, even with the secret in the pinned key set', async () => {
      const c = card();
      c['signatures'] = [await rawEntry(c, { alg: 'HS256', typ: 'JOSE', kid: 'h' }, secret, { name: 'HMAC' })];
      expectFailed(await verifyAgentCard(c, { keys: { keys: [oct] } }), 0, 'ERR_JWS_ALGORITHM_NOT_ALLOWED');
    });

    it('HS256 verifies with an explicit symmetric key set', async () => {
      const c = card();
      c['signatures'] = [await rawEntry(c, { alg: 'HS256', typ: 'JOSE', kid: 'h' }, secret, { name: 'HMAC' })];
      const report = await verifyAgentCard(c, { symmetricKeys: { keys: [oct] } });
      expect(report.verified).toBe(true);
      expect(report.signatures[0]).toMatchObject({ status: 'valid', keySource: 'kid', trustRoot: 'symmetric:h' });
    });

    it('a short HMAC key is refused', async () => {
      const c = card();
      const short = { kty: 'oct', k: b64urlEncode(new Uint8Array(16)), kid: 'h' };
      c['signatures'] = [{ protected: enc({ alg: 'HS256', typ: 'JOSE', kid: 'h' }), signature: b64urlEncode(new Uint8Array(32)) }];
      expectFailed(await verifyAgentCard(c, { symmetricKeys: { keys: [short] } }), 0, 'ERR_KEY_UNSUPPORTED');
    });
  });
});

describe('card-level limits and shape', () => {
  it('an oversized card throws ERR_CARD_TOO_LARGE (object and text)', async () => {
    const big = { ...card(), description: 'x'.repeat(1024 * 1024) };
    await expectThrows(verifyAgentCard(big, {}), 'ERR_CARD_TOO_LARGE');
    await expectThrows(verifyAgentCard(JSON.stringify(big), {}), 'ERR_CARD_TOO_LARGE');
    await expectThrows(verifyAgentCard({ ...card(), description: 'é'.repeat(600) }, { limits: { maxCardBytes: 1000 } }), 'ERR_CARD_TOO_LARGE');
  });

  it('more signatures than the limit throws ERR_CARD_TOO_MANY_SIGNATURES', async () => {
    const entry = { protected: enc({ alg: 'ES256', typ: 'JOSE', kid: 'k' }), signature: 'AA' };
    await expectThrows(verifyAgentCard({ ...card(), signatures: Array(9).fill(entry) }, {}), 'ERR_CARD_TOO_MANY_SIGNATURES');
    await expectThrows(verifyAgentCard({ ...card(), signatures: [entry, entry] }, { limits: { maxSignatures: 1 } }), 'ERR_CARD_TOO_MANY_SIGNATURES');
  });

  it.each([
    ['an array', [], 'ERR_CARD_MALFORMED'],
    ['null', null, 'ERR_CARD_MALFORMED'],
    ['JSON text of an array', '[]', 'ERR_CARD_MALFORMED'],
    ['text that is not JSON', '{nope', 'ERR_JSON_MALFORMED'],
    ['signatures not an array', { ...CARD, signatures: {} }, 'ERR_CARD_MALFORMED'],
    ['a signature without protected', { ...CARD, signatures: [{ signature: 'AA' }] }, 'ERR_CARD_MALFORMED'],
    ['a signature whose header is not an object', { ...CARD, signatures: [{ protected: 'e30', signature: 'AA', header: 'x' }] }, 'ERR_CARD_MALFORMED'],
    ['a lone surrogate in the card', { ...CARD, name: '\udc00', signatures: [{ protected: 'e30', signature: 'AA' }] }, 'ERR_CARD_MALFORMED'],
  ])('%s throws', async (_name, input, code) => {
    await expectThrows(verifyAgentCard(input, {}), code);
  });

  it('an unsigned card is reported, not thrown', async () => {
    for (const c of [card(), { ...card(), signatures: [] }, { ...card(), signatures: null }]) {
      const report = await verifyAgentCard(c, {});
      expect(report).toMatchObject({ verified: false, signatures: [], binding: { status: 'not-checked' }, error: { code: 'ERR_CARD_UNSIGNED' } });
    }
  });

  it('two signatures where only the second is valid', async () => {
    const keys = await testKeyPair('P-256');
    const stranger = await testKeyPair('P-256');
    const first = await signAgentCard(card(), { privateKey: stranger.privateKey, kid: 'k' });
    const both = await signAgentCard(first, { privateKey: keys.privateKey, kid: 'k' });
    const report = await verifyAgentCard(both, { keys: { keys: [await publicJwk(keys.publicKey, 'k')] } });
    expect(report.verified).toBe(true);
    expect(report.signatures.map((s) => [s.status, s.code])).toEqual([
      ['invalid', 'ERR_JWS_SIGNATURE_INVALID'],
      ['valid', undefined],
    ]);
  });

  it.each([
    ['an unknown option', { trustdomain: 'example.org' }, 'ERR_INPUT_INVALID'],
    ['an unknown limit', { limits: { maxCards: 1 } }, 'ERR_INPUT_INVALID'],
    ['a bad mode', { mode: 'lenient' }, 'ERR_INPUT_INVALID'],
    ['a bad trust domain', { trustDomain: 'Example.ORG' }, 'ERR_TRUST_DOMAIN_INVALID'],
    ['a bad expected ID', { expectedId: 'https://example.org/a' }, 'ERR_SPIFFE_ID_INVALID'],
    ['a bad limit', { limits: { maxSignatures: 0 } }, 'ERR_INPUT_INVALID'],
    ['a bad key set', { keys: [{}] }, 'ERR_INPUT_INVALID'],
    ['a bad jku origin', { jku: { allowedOrigins: ['https://keys.example/path'] } }, 'ERR_INPUT_INVALID'],
    ['a bad at', { at: new Date(NaN) }, 'ERR_INPUT_INVALID'],
  ])('%s throws', async (_name, options, code) => {
    await expectThrows(verifyAgentCard(card(), options as never), code);
  });
});

describe('canonical profiles in verification', () => {
  it('signs in the SDK form when it covers everything (auto), and reports the profile', async () => {
    const keys = await testKeyPair('P-256');
    const jwk = await publicJwk(keys.publicKey, 'k');
    // required:false is dropped by the SDK's codec: only the a2a-sdk payload lets the SDK verify
    const c = { ...card(), capabilities: { extensions: [{ uri: 'urn:x', required: false }] } };
    const signed = await signAgentCard(c, { privateKey: keys.privateKey, kid: 'k' });
    const report = await verifyAgentCard(signed, { keys: { keys: [jwk] } });
    expect(report).toMatchObject({ verified: true, profile: 'a2a-sdk' });
    expect(report.unsignedFields).toBeUndefined();
  });

  it('signs jcs-clean when the SDK form would drop data', async () => {
    const keys = await testKeyPair('P-256');
    const c = { ...card(), url: 'https://agent-a.example.org/a2a', protocolVersion: '0.3.0' };
    const signed = await signAgentCard(c, { privateKey: keys.privateKey, kid: 'k' });
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'k')] } });
    expect(report).toMatchObject({ verified: true, profile: 'jcs-clean' });
  });

  it('a spec-literal signature verifies with profile spec', async () => {
    const keys = await testKeyPair('P-256');
    const c = { ...card(), description: '', skills: [] };
    const signed = await signAgentCard(c, { privateKey: keys.privateKey, kid: 'k', profile: 'spec' });
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'k')] } });
    expect(report).toMatchObject({ verified: true, profile: 'spec' });
    expect(report.signatures[0]!.profile).toBe('spec');
  });

  it('extra fields the signed profile does not cover make the card unverified', async () => {
    const keys = await testKeyPair('P-256');
    const jwk = await publicJwk(keys.publicKey, 'k');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k' });
    // the SDK form ignores fields outside the schema, so the signature still checks out over it
    const tampered = { ...signed, url: 'https://evil.example/a2a', 'x-admin': true };
    const report = await verifyAgentCard(tampered, { keys: { keys: [jwk] } });
    expect(report).toMatchObject({
      verified: false,
      profile: 'a2a-sdk',
      unsignedFields: ['/url', '/x-admin'],
      error: { code: 'ERR_CARD_UNSIGNED_FIELDS' },
    });
    expect(report.signatures[0]).toMatchObject({ status: 'valid', profile: 'a2a-sdk' });
  });

  it('a card signed over the SDK form with data outside the schema is not verified as a whole', async () => {
    const keys = await testKeyPair('P-256');
    const c = { ...card(), skills: [{ id: 'qa', name: 'Q&A', description: 'd', tags: ['qa'], scope: 'admin' }] };
    const signed = await signAgentCard(c, { privateKey: keys.privateKey, kid: 'k', profile: 'a2a-sdk' });
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'k')] } });
    expect(report).toMatchObject({ verified: false, profile: 'a2a-sdk', unsignedFields: ['/skills/0/scope'] });
  });

  it('payloadSha256 is the SHA-256 of the matching profile’s payload', async () => {
    const keys = await testKeyPair('P-256');
    const signed = await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k', profile: 'jcs-clean' });
    const report = await verifyAgentCard(signed, { keys: { keys: [await publicJwk(keys.publicKey, 'k')] } });
    const { canonicalizeAgentCard } = await import('../../shared/agentcard/index.js');
    const digest = new Uint8Array(await getCrypto().subtle.digest('SHA-256', new TextEncoder().encode(canonicalizeAgentCard(signed))));
    expect(report.payloadSha256).toBe(Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join(''));
  });
});
