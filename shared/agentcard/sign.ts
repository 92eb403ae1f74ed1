/** `signAgentCard`: append an A2A §8.4 detached JWS signature to an AgentCard. */
import { TrustError } from '../errors.js';
import { subtle } from '../crypto.js';
import { b64Encode, b64urlEncode, toArrayBuffer, utf8 } from '../lib/encoding.js';
import { parseCertificates } from '../x509/parse.js';
import { importPublicKey, type JwsAlgorithm } from '../x509/import-public-key.js';
import type { Certificate } from '../x509/types.js';
import { ASYMMETRIC, RSA_MAX_BITS, RSA_MIN_BITS, isAsymmetric, type AlgInfo } from './lib/algorithms.js';
import { jwkThumbprint } from './lib/jwk.js';
import { pythonJson } from './lib/python-json.js';
import { ALL_PROFILES, cleanCard, isProfile, profilePayload, serialize, unsignedFields, type AgentCardProfile } from './lib/profiles.js';
import type { AgentCardAlgorithm, SignAgentCardOptions } from './types.js';

type Obj = Record<string, unknown>;

const PROTECTED_ONLY = new Set(['alg', 'typ', 'cty', 'crit', 'kid', 'jku', 'jwk', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'b64', 'zip']);

function invalid(message: string): TrustError {
  return new TrustError('ERR_INPUT_INVALID', `signAgentCard: ${message}`);
}

function isPlainObject(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Signs an AgentCard and returns a new card with the signature appended to `signatures` (existing
 * signatures are kept, for key rotation). The protected header holds `alg` (from the key), `typ:
 * "JOSE"`, `kid` (default: the key's RFC 7638 thumbprint), and optionally `jku` and `x5c` (the
 * certificate chain, leaf first, standard base64 DER, without a self-signed root). The payload is the
 * card's canonical form: `auto` picks the @a2a-js/sdk form when it covers every field of the card
 * (so the SDK verifies the result), else `jcs-clean` (docs/agentcard.md). With `profiles`, one
 * signature per profile is appended (same key and header; profiles with the same payload text
 * share one), so that verifiers of each form find theirs. With a certificate chain, the key must
 * belong to the leaf.
 *
 * @example
 * const signed = await signAgentCard(card, { privateKey: svid.keys.privateKey, certificateChain: svid.pem })
 */
export async function signAgentCard(card: unknown, options: SignAgentCardOptions): Promise<Obj> {
  if (typeof options !== 'object' || options === null) throw invalid('options are required');
  profilesOf(options); // a bad profile list is refused before any work
  const cleaned = cleanCard(card); // a JSON object of JSON values, or ERR_CARD_MALFORMED
  const obj = card as Obj;
  const existing = obj['signatures'] ?? [];
  if (!Array.isArray(existing)) throw new TrustError('ERR_CARD_MALFORMED', '"signatures" must be an array');

  const { alg, info, key } = await signingKey(options.privateKey, options.alg);
  const chain = options.certificateChain === undefined ? undefined : certificates(options.certificateChain);

  if (options.kid !== undefined && (typeof options.kid !== 'string' || options.kid === '')) throw invalid('kid must be a non-empty string');
  if (options.jku !== undefined) {
    try {
      new URL(options.jku);
    } catch (err) {
      throw new TrustError('ERR_INPUT_INVALID', 'signAgentCard: jku must be an absolute URL', { cause: err });
    }
  }
  let header: Obj | undefined;
  if (options.header !== undefined) {
    if (!isPlainObject(options.header)) throw invalid('header must be a JSON object');
    for (const name of Object.keys(options.header)) if (PROTECTED_ONLY.has(name)) throw invalid(`"${name}" belongs in the protected header`);
    header = options.header;
  }

  const kid = options.kid ?? (await defaultKid(key, info, chain?.[0]));
  const prot: Obj = { alg, typ: 'JOSE', kid };
  if (options.jku !== undefined) prot['jku'] = options.jku;
  if (chain) prot['x5c'] = chain.map((c) => b64Encode(c.der));
  const protectedB64 = b64urlEncode(utf8.encode(JSON.stringify(prot)));

  // one payload per profile; profiles whose payloads are the same text share one signature
  const payloads = [...new Set(profilesOf(options).map((p) => payloadFor(obj, cleaned, p)))];
  const entries: Obj[] = [];
  for (const payload of payloads) {
    const input = utf8.encode(`${protectedB64}.${b64urlEncode(utf8.encode(payload))}`);
    let signature: Uint8Array;
    try {
      // WebCrypto's ECDSA output is already the fixed-width R‖S that JWS wants (RFC 7518 §3.4)
      signature = new Uint8Array(await subtle().sign(info.params, key, toArrayBuffer(input)));
    } catch (err) {
      throw new TrustError('ERR_KEY_UNSUPPORTED', `signAgentCard: the key cannot sign ${alg}`, { cause: err });
    }
    if (chain) {
      // a certificate for another key would produce a card nobody can verify: catch it here
      const pub = await importPublicKey(chain[0]!, alg as JwsAlgorithm);
      const ok = await subtle().verify(info.params, pub, toArrayBuffer(signature), toArrayBuffer(input));
      if (!ok) throw invalid('the private key does not belong to the leaf certificate');
    }
    const entry: Obj = { protected: protectedB64, signature: b64urlEncode(signature) };
    if (header) entry['header'] = header;
    entries.push(entry);
  }
  return { ...obj, signatures: [...existing, ...entries] };
}

/** `profile` (default `auto`) or `profiles`, checked: one of them, known names, none twice. */
function profilesOf(options: SignAgentCardOptions): Array<AgentCardProfile | 'auto'> {
  const list = options.profiles;
  if (list === undefined) return [options.profile ?? 'auto'];
  if (options.profile !== undefined) throw invalid('pass profile or profiles, not both');
  if (!Array.isArray(list) || list.length === 0) throw invalid(`profiles must be a non-empty array of ${ALL_PROFILES.join(', ')}`);
  const seen = new Set<AgentCardProfile>();
  for (const p of list as unknown[]) {
    if (!isProfile(p)) throw invalid(`unknown profile ${JSON.stringify(typeof p === 'string' ? p.slice(0, 40) : p ?? null)} in profiles (known: ${ALL_PROFILES.join(', ')})`);
    if (seen.has(p)) throw invalid(`profile ${JSON.stringify(p)} is listed twice`);
    seen.add(p);
  }
  return [...seen];
}

function payloadFor(card: Obj, cleaned: Obj, profile: AgentCardProfile | 'auto'): string {
  if (profile === 'jcs-clean') return serialize(cleaned);
  if (profile === 'python-json') return pythonJson(cleaned);
  if (profile === 'a2a-sdk' || profile === 'spec') {
    const p = profilePayload(card, profile);
    if (!p) throw new TrustError('ERR_CARD_MALFORMED', `the ${profile} profile cannot represent this card`);
    return serialize(p);
  }
  if (profile !== 'auto') throw invalid(`unknown profile ${JSON.stringify(profile)}`);
  // the SDK's form when it covers everything the card says: the SDK can then verify the card
  const sdk = profilePayload(card, 'a2a-sdk');
  if (sdk && unsignedFields(cleaned, sdk).length === 0) return serialize(sdk);
  return serialize(cleaned);
}

function certificates(input: NonNullable<SignAgentCardOptions['certificateChain']>): Certificate[] {
  const certs = parseCertificates(typeof input === 'string' ? input : [...input]);
  if (certs.length === 0) throw invalid('the certificate chain is empty');
  const last = certs[certs.length - 1]!;
  // the verifier holds the root in its bundle; sending it is waste and invites "trust what came along"
  if (certs.length > 1 && last.subject.key === last.issuer.key) certs.pop();
  return certs;
}

interface RsaKeyAlgorithm extends KeyAlgorithm {
  modulusLength?: number;
  hash?: { name: string };
  namedCurve?: string;
}

/** The JWS algorithm the key implies, the requested one checked against it; the key type decides. */
async function signingKey(privateKey: CryptoKey, requested: AgentCardAlgorithm | undefined): Promise<{ alg: AgentCardAlgorithm; info: AlgInfo; key: CryptoKey }> {
  if (typeof privateKey !== 'object' || privateKey === null || typeof (privateKey as CryptoKey).algorithm !== 'object') {
    throw invalid('privateKey must be a CryptoKey');
  }
  if (privateKey.type !== 'private' || !privateKey.usages.includes('sign')) throw new TrustError('ERR_KEY_UNSUPPORTED', 'signAgentCard: privateKey must be a private key with usage "sign"');
  if (requested !== undefined && !isAsymmetric(requested)) throw new TrustError('ERR_JWS_ALGORITHM_NOT_ALLOWED', `signAgentCard: algorithm ${JSON.stringify(requested)} is not allowed`);
  const a = privateKey.algorithm as RsaKeyAlgorithm;
  let natural: AgentCardAlgorithm;
  switch (a.name) {
    case 'ECDSA':
      natural = a.namedCurve === 'P-256' ? 'ES256' : a.namedCurve === 'P-384' ? 'ES384' : a.namedCurve === 'P-521' ? 'ES512' : failKey(`curve ${String(a.namedCurve)}`);
      break;
    case 'Ed25519':
      natural = 'EdDSA';
      break;
    case 'RSASSA-PKCS1-v1_5':
    case 'RSA-PSS': {
      const bits = a.modulusLength ?? 0;
      if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) throw new TrustError('ERR_KEY_UNSUPPORTED', `signAgentCard: RSA key of ${bits} bits (accepted: ${RSA_MIN_BITS}..${RSA_MAX_BITS})`);
      const size = a.hash?.name === 'SHA-384' ? '384' : a.hash?.name === 'SHA-512' ? '512' : '256';
      natural = `${a.name === 'RSA-PSS' ? 'PS' : 'RS'}${size}` as AgentCardAlgorithm;
      break;
    }
    default:
      return failKey(`algorithm ${a.name}`);
  }
  const alg = requested ?? natural;
  if (alg === natural) return { alg, info: ASYMMETRIC[alg], key: privateKey };
  // WebCrypto binds an RSA key to one scheme and hash; an extractable one can be re-imported for another
  if (natural.startsWith('RS') || natural.startsWith('PS')) {
    if ((alg.startsWith('RS') || alg.startsWith('PS')) && privateKey.extractable) {
      const info = ASYMMETRIC[alg];
      try {
        const pkcs8 = await subtle().exportKey('pkcs8', privateKey);
        return { alg, info, key: await subtle().importKey('pkcs8', pkcs8, info.importParams, false, ['sign']) };
      } catch (err) {
        throw new TrustError('ERR_KEY_UNSUPPORTED', `signAgentCard: the RSA key cannot be used for ${alg}`, { cause: err });
      }
    }
  }
  throw new TrustError('ERR_JWS_KEY_ALGORITHM_MISMATCH', `signAgentCard: ${/^(?:[AEIOU]|RSA)/.test(a.name) ? 'an' : 'a'} ${a.name} key${a.namedCurve ? ` on ${a.namedCurve}` : ''} signs ${natural}, not ${alg}`);
}

function failKey(what: string): never {
  throw new TrustError('ERR_KEY_UNSUPPORTED', `signAgentCard: unsupported key (${what})`);
}

/** RFC 7638 thumbprint of the public key: from the leaf certificate, else from an extractable private key. */
async function defaultKid(privateKey: CryptoKey, info: AlgInfo, leaf: Certificate | undefined): Promise<string> {
  try {
    let jwk: JsonWebKey;
    if (leaf) {
      const pub = await subtle().importKey('spki', toArrayBuffer(leaf.publicKey.spki), info.importParams, true, ['verify']);
      jwk = await subtle().exportKey('jwk', pub);
    } else if (privateKey.extractable) {
      jwk = await subtle().exportKey('jwk', privateKey);
    } else {
      throw invalid('pass kid or certificateChain: the private key is not extractable, so its thumbprint cannot be computed');
    }
    return await jwkThumbprint(jwk);
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw new TrustError('ERR_KEY_UNSUPPORTED', 'signAgentCard: cannot compute the key thumbprint', { cause: err });
  }
}
