/** Shared fixtures of the AgentCard tests: cards, CAs, bundles, raw JWS helpers. Not a test file. */
import { TestCA, testKeyPair, type SVID } from '../support/ca.js';
import { BundleSet, TrustBundle } from '../../shared/bundle/index.js';
import { canonicalizeAgentCard, signAgentCard } from '../../shared/agentcard/index.js';
import { getCrypto } from '../../shared/crypto.js';
import { b64urlEncode } from '../../shared/lib/encoding.js';

export const CARD = Object.freeze({
  name: 'Agent A',
  description: 'Answers questions about example.org',
  supportedInterfaces: [{ url: 'https://agent-a.example.org/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
  version: '1.0.0',
  capabilities: { streaming: true, pushNotifications: false },
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain', 'application/json'],
  skills: [{ id: 'qa', name: 'Q&A', description: 'Answers questions', tags: ['qa', 'docs'] }],
});

export function card(): Record<string, unknown> {
  return structuredClone(CARD) as unknown as Record<string, unknown>;
}

export interface Pki {
  ca: TestCA;
  intermediate: TestCA;
  svid: SVID;
  other: TestCA;
  otherSvid: SVID;
  bundles: BundleSet;
}

export async function makePki(): Promise<Pki> {
  const ca = await TestCA.create({ trustDomain: 'example.org' });
  const intermediate = await ca.childCA();
  const svid = await intermediate.issueSVID('spiffe://example.org/agent/a');
  const other = await TestCA.create({ trustDomain: 'other.org' });
  const otherSvid = await other.issueSVID('spiffe://other.org/agent/b');
  const bundles = new BundleSet([
    new TrustBundle('example.org', { x509Authorities: [ca.rootDer] }),
    new TrustBundle('other.org', { x509Authorities: [other.rootDer] }),
  ]);
  return { ca, intermediate, svid, other, otherSvid, bundles };
}

export const enc = (o: unknown) => b64urlEncode(new TextEncoder().encode(JSON.stringify(o)));

/** A signature entry over `c`'s jcs-clean payload with any protected header, made by hand. */
export async function rawEntry(
  c: Record<string, unknown>,
  header: Record<string, unknown>,
  key: CryptoKey,
  params: AlgorithmIdentifier | EcdsaParams | RsaPssParams,
  payloadText: string = canonicalizeAgentCard(c),
): Promise<{ protected: string; signature: string }> {
  const prot = enc(header);
  const payload = b64urlEncode(new TextEncoder().encode(payloadText));
  const sig = new Uint8Array(await getCrypto().subtle.sign(params, key, new TextEncoder().encode(`${prot}.${payload}`)));
  return { protected: prot, signature: b64urlEncode(sig) };
}

export async function publicJwk(key: CryptoKey, kid: string): Promise<JsonWebKey & { kid: string }> {
  const jwk = await getCrypto().subtle.exportKey('jwk', key);
  return { ...jwk, kid };
}

/** A fresh P-256 key pair, its public JWK with `kid: 'k'`, and {@link card} signed with it by kid only. */
export async function kidSigned(): Promise<{ keys: CryptoKeyPair; jwk: JsonWebKey & { kid: string }; signed: Record<string, unknown> }> {
  const keys = await testKeyPair('P-256');
  const jwk = await publicJwk(keys.publicKey, 'k');
  const signed = (await signAgentCard(card(), { privateKey: keys.privateKey, kid: 'k' })) as Record<string, unknown>;
  return { keys, jwk, signed };
}

export { TestCA, testKeyPair };
