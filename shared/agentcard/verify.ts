/**
 * `verifyAgentCard`: every signature of an AgentCard checked against trust roots from the
 * verifier's configuration only, with a report that says who signed, what vouched for them, which
 * canonical profile the signature covers, and whether the signer is bound to the expected identity.
 */
import { TrustError } from '../errors.js';
import { subtle } from '../crypto.js';
import { b64urlDecode, toArrayBuffer, utf8 } from '../lib/encoding.js';
import { parseSpiffeId, parseTrustDomain, type SpiffeId } from '../spiffe/id.js';
import { matchId, matchMemberOf, type Matcher } from '../spiffe/match.js';
import { verifyX509Svid, type VerifiedX509Svid } from '../svid/verify-x509-svid.js';
import { importPublicKey, type JwsAlgorithm } from '../x509/import-public-key.js';
import type { BundleSource } from '../bundle/source.js';
import type { TrustBundle } from '../bundle/trust-bundle.js';
import type { Certificate } from '../x509/types.js';
import { LruCache } from '../lib/cache.js';
import { findDuplicateMember } from '../json/find-duplicate-member.js';
import { ASYMMETRIC, HMAC, isAsymmetric, isHmac, type AlgInfo } from './lib/algorithms.js';
import { checkUnprotectedHeader, parseProtectedHeader, type ProtectedHeader } from './lib/header.js';
import { checkJwkFor, importJwk } from './lib/jwk.js';
import { allowedOrigins, checkJku, jwksKeys, jwksText } from './lib/jku.js';
import { CardPayloads } from './lib/payloads.js';
import { describeChain } from './lib/chain.js';
import { ALL_PROFILES, PROFILES, isProfile, type AgentCardProfile } from './lib/profiles.js';
import { budget as sizeBudget, quotedBytes, spend, spendJson, type Budget } from './lib/size.js';
import { signingInput } from './lib/b64.js';
import type {
  AgentCardBinding,
  AgentCardJkuOptions,
  AgentCardJwk,
  AgentCardMode,
  AgentCardReport,
  AgentCardSignatureReport,
  AgentCardSigner,
  VerifyAgentCardOptions,
} from './types.js';

export const DEFAULT_MAX_CARD_BYTES = 1024 * 1024;
export const DEFAULT_MAX_SIGNATURES = 8;
export const DEFAULT_MAX_X5C = 5;
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** Keys sharing one `kid` that are tried before giving up (a key set is configuration, but bounded work). */
const MAX_KID_CANDIDATES = 4;

type Obj = Record<string, unknown>;

interface Config {
  readonly mode: AgentCardMode;
  readonly at: Date | undefined;
  readonly bundles: BundleSource | undefined;
  /** The pinned key sets, each with the SPIFFE ID its keys vouch for (if scoped). */
  readonly keySets: readonly ScopedKeySet[] | undefined;
  readonly symmetricKeys: ScopedKeySet | undefined;
  readonly jku: AgentCardJkuOptions | undefined;
  readonly origins: ReadonlySet<string> | undefined;
  readonly trustDomain: string | undefined;
  readonly expectedId: string | undefined;
  /** The identity policy as matchers; empty when none was given. */
  readonly policy: ReadonlyArray<{ readonly name: string; readonly match: Matcher }>;
  readonly maxCardBytes: number;
  readonly maxSignatures: number;
  readonly maxX5c: number;
  readonly maxHeaderBytes: number;
  /** The canonical profiles tried, in the fixed order of ALL_PROFILES. */
  readonly profiles: readonly AgentCardProfile[];
}

interface ScopedKeySet {
  readonly keys: readonly AgentCardJwk[];
  readonly id: SpiffeId | undefined;
}

interface Entry {
  readonly protected: string;
  readonly signature: string;
  readonly header?: Obj;
}

interface Outcome {
  readonly report: AgentCardSignatureReport;
  /** The signature verified over `profile` with a key from a configured trust root. */
  readonly cryptoValid: boolean;
  readonly profile?: AgentCardProfile;
  readonly binding: AgentCardBinding;
}

const OPTION_NAMES = new Set(['bundles', 'keys', 'symmetricKeys', 'jku', 'trustDomain', 'expectedId', 'match', 'mode', 'at', 'limits', 'profiles']);
const LIMIT_NAMES = new Set(['maxCardBytes', 'maxSignatures', 'maxX5c', 'maxHeaderBytes']);
const JKU_NAMES = new Set(['allowedOrigins', 'fetch', 'timeoutMs', 'cache', 'maxBytes', 'ttlSeconds']);

/**
 * Verifies an AgentCard's signatures (A2A §8.4 detached JWS over the card's canonical form) and
 * returns a report. A card is `verified` when at least one signature verifies with a key from a
 * configured trust root, its canonical profile covers all of the card's data, and (strict mode)
 * its signer is bound to the identity policy. Per-signature failures go into the report; a card
 * that cannot be evaluated throws: not a JSON object or malformed `signatures` (ERR_CARD_MALFORMED),
 * too large (ERR_CARD_TOO_LARGE), too many signatures (ERR_CARD_TOO_MANY_SIGNATURES). Invalid
 * options throw too (ERR_INPUT_INVALID, ERR_TRUST_DOMAIN_INVALID, ERR_SPIFFE_ID_INVALID).
 *
 * @example
 * const report = await verifyAgentCard(card, { bundles, trustDomain: 'example.org' })
 * if (!report.verified) console.log(report.error?.code, report.signatures)
 */
export async function verifyAgentCard(card: unknown, options: VerifyAgentCardOptions = {}): Promise<AgentCardReport> {
  const cfg = configure(options);
  const { obj, budget } = readCard(card, cfg.maxCardBytes);
  const entries = readSignatures(obj, cfg.maxSignatures, budget);
  // signatures seen before start their crypto now, and the card is canonicalized while it runs
  const early = entries.map(startEarly);
  const payloads = new CardPayloads(obj, budget); // throws for a card that cannot be canonicalized (or too large)
  const base = payloads.base;

  if (entries.length === 0) {
    return {
      verified: false,
      mode: cfg.mode,
      payloadSha256: await base.digest(),
      signatures: [],
      binding: { status: 'not-checked' },
      error: { code: 'ERR_CARD_UNSIGNED', message: 'the card has no signatures' },
    };
  }

  const evaluated = Promise.all(entries.map((entry, index) => evaluate(entry, index, payloads, cfg, early[index])));
  // hashed while the signatures are checked (after their crypto started): most cards verify over this payload
  base.digest().catch(() => {});
  const outcomes = await evaluated;

  let decider: Outcome | undefined;
  let unsigned: string[] = [];
  for (const rank of [0, 1, 2]) {
    for (const o of outcomes) {
      if (!o.cryptoValid) continue;
      const u = payloads.unsigned(o.profile!);
      const valid = o.report.status === 'valid';
      if ((rank === 0 && valid && u.length === 0) || (rank === 1 && valid) || rank === 2) {
        decider = o;
        unsigned = u;
        break;
      }
    }
    if (decider) break;
  }

  const verified = decider !== undefined && decider.report.status === 'valid' && unsigned.length === 0;
  let error: AgentCardReport['error'];
  if (!verified) {
    if (decider && decider.report.status === 'valid') {
      error = { code: 'ERR_CARD_UNSIGNED_FIELDS', message: `the signature does not cover ${unsigned.length} field(s) of the card: ${unsigned.slice(0, 5).join(', ')}` };
    } else if (decider) {
      error = { code: 'ERR_CARD_SIGNER_NOT_BOUND', message: decider.binding.message ?? 'the signer is not bound to the expected identity' };
    } else {
      const first = outcomes[0]!.report;
      error = { code: first.code ?? 'ERR_JWS_SIGNATURE_INVALID', message: first.message ?? 'no signature verified' };
    }
  }
  const payload = decider ? payloads.get(decider.profile!)! : base;
  return {
    verified,
    mode: cfg.mode,
    payloadSha256: await payload.digest(),
    ...(decider ? { profile: decider.profile! } : {}),
    ...(decider && unsigned.length > 0 ? { unsignedFields: unsigned } : {}),
    signatures: outcomes.map((o) => o.report),
    binding: decider ? decider.binding : { status: 'not-checked' },
    ...(error ? { error } : {}),
  };
}

// --- options and input -----------------------------------------------------------------------

function invalidOption(message: string): TrustError {
  return new TrustError('ERR_INPUT_INVALID', `verifyAgentCard: ${message}`);
}

function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw invalidOption(`${name} must be a positive integer`);
  return value;
}

const KEY_SET_NAMES = new Set(['keys', 'spiffeId']);

function keySet(value: unknown, name: string, scoped: boolean): ScopedKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))) {
    throw invalidOption(`${name} must be { keys: JsonWebKey[]${scoped ? ', spiffeId?: string' : ''} }`);
  }
  // a misspelled scope would silently leave the keys without identity: refused instead
  for (const k of Object.keys(value as object)) {
    if (!KEY_SET_NAMES.has(k)) throw invalidOption(`${name}: unknown member ${JSON.stringify(k)} (a key set has "keys"${scoped ? ' and "spiffeId"' : ''})`);
  }
  const spiffeId = (value as { spiffeId?: unknown }).spiffeId;
  if (spiffeId === undefined) return { keys: keys as AgentCardJwk[], id: undefined };
  // a shared secret is held by the verifier too: it cannot stand for one workload's identity
  if (!scoped) throw invalidOption(`${name}: a symmetric key set cannot carry a spiffeId`);
  if (typeof spiffeId !== 'string') throw invalidOption(`${name}.spiffeId must be a SPIFFE ID string`);
  let id: SpiffeId;
  try {
    id = parseSpiffeId(spiffeId);
  } catch (err) {
    throw new TrustError('ERR_SPIFFE_ID_INVALID', `verifyAgentCard: ${name}.spiffeId: ${(err as Error).message}`, { cause: err });
  }
  return { keys: keys as AgentCardJwk[], id };
}

/**
 * The `profiles` option: the exact set of profiles tried (default jcs-clean, a2a-sdk, spec), always
 * in the order of ALL_PROFILES so that the report does not depend on how the list was written.
 */
function profileList(value: unknown): readonly AgentCardProfile[] {
  if (value === undefined) return PROFILES;
  if (!Array.isArray(value) || value.length === 0) throw invalidOption(`profiles must be a non-empty array of ${ALL_PROFILES.join(', ')}`);
  const seen = new Set<AgentCardProfile>();
  for (const p of value as unknown[]) {
    if (!isProfile(p)) throw invalidOption(`unknown profile ${JSON.stringify(typeof p === 'string' ? p.slice(0, 40) : p ?? null)} (known: ${ALL_PROFILES.join(', ')})`);
    if (seen.has(p)) throw invalidOption(`profile ${JSON.stringify(p)} is listed twice`);
    seen.add(p);
  }
  return ALL_PROFILES.filter((p) => seen.has(p));
}

function keySets(value: unknown): ScopedKeySet[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map((v, i) => keySet(v, `keys[${i}]`, true));
  return [keySet(value, 'keys', true)];
}

// A security option that is misspelled or malformed refuses to run (lesson 1), never falls back.
function configure(options: VerifyAgentCardOptions): Config {
  if (typeof options !== 'object' || options === null) throw invalidOption('options must be an object');
  for (const k of Object.keys(options)) if (!OPTION_NAMES.has(k)) throw invalidOption(`unknown option ${JSON.stringify(k)}`);
  const limits = options.limits ?? {};
  if (typeof limits !== 'object' || limits === null) throw invalidOption('limits must be an object');
  for (const k of Object.keys(limits)) if (!LIMIT_NAMES.has(k)) throw invalidOption(`unknown limit ${JSON.stringify(k)}`);
  const mode = options.mode ?? 'strict';
  if (mode !== 'strict' && mode !== 'audit') throw invalidOption('mode must be "strict" or "audit"');
  if (options.at !== undefined && !(options.at instanceof Date && Number.isFinite(options.at.getTime()))) throw invalidOption('at must be a valid Date');
  if (options.bundles !== undefined && typeof options.bundles?.getBundle !== 'function') throw invalidOption('bundles must be a BundleSource');
  if (options.match !== undefined && typeof options.match !== 'function') throw invalidOption('match must be a function');

  const policy: Array<{ name: string; match: Matcher }> = [];
  let trustDomain: string | undefined;
  if (options.trustDomain !== undefined) {
    trustDomain = parseTrustDomain(String(options.trustDomain)).name;
    policy.push({ name: `trust domain ${trustDomain}`, match: matchMemberOf(trustDomain) });
  }
  let expectedId: string | undefined;
  if (options.expectedId !== undefined) {
    expectedId = parseSpiffeId(String(options.expectedId)).toString();
    policy.push({ name: `ID ${expectedId}`, match: matchId(expectedId) });
  }
  if (options.match) policy.push({ name: 'the match policy', match: options.match });

  let origins: Set<string> | undefined;
  const jku = options.jku;
  if (jku !== undefined) {
    if (typeof jku !== 'object' || jku === null) throw invalidOption('jku must be an object');
    for (const k of Object.keys(jku)) if (!JKU_NAMES.has(k)) throw invalidOption(`unknown jku option ${JSON.stringify(k)}`);
    origins = allowedOrigins(jku.allowedOrigins);
    if (jku.fetch !== undefined && typeof jku.fetch !== 'function') throw invalidOption('jku.fetch must be a function');
    positiveInt(jku.timeoutMs, 'jku.timeoutMs', 1);
    positiveInt(jku.maxBytes, 'jku.maxBytes', 1);
    positiveInt(jku.ttlSeconds, 'jku.ttlSeconds', 1);
    if (jku.cache !== undefined && (typeof jku.cache?.get !== 'function' || typeof jku.cache?.set !== 'function')) throw invalidOption('jku.cache must be a JwksCache');
  }

  return {
    mode,
    at: options.at,
    bundles: options.bundles,
    keySets: keySets(options.keys),
    symmetricKeys: options.symmetricKeys === undefined ? undefined : keySet(options.symmetricKeys, 'symmetricKeys', false),
    jku,
    origins,
    trustDomain,
    expectedId,
    policy,
    maxCardBytes: positiveInt(limits.maxCardBytes, 'limits.maxCardBytes', DEFAULT_MAX_CARD_BYTES),
    maxSignatures: positiveInt(limits.maxSignatures, 'limits.maxSignatures', DEFAULT_MAX_SIGNATURES),
    maxX5c: positiveInt(limits.maxX5c, 'limits.maxX5c', DEFAULT_MAX_X5C),
    maxHeaderBytes: positiveInt(limits.maxHeaderBytes, 'limits.maxHeaderBytes', DEFAULT_MAX_HEADER_BYTES),
    profiles: profileList(options.profiles),
  };
}

function isPlainObject(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The card as an object. Either way the limit applies to the card as JSON text in UTF-8 bytes:
 * text is measured before parsing; an object as the text JSON.stringify would make of it, spent
 * exactly while it is walked ({@link Budget}: its signatures here, the rest as it is
 * canonicalized), so neither costs more than the limit before it is refused.
 */
function readCard(card: unknown, maxBytes: number): { obj: Obj; budget?: Budget } {
  if (typeof card === 'string') {
    // every code unit is 1 to 3 bytes: only a string near the limit needs encoding to know
    const bytes = card.length > maxBytes ? card.length : card.length * 3 <= maxBytes ? 0 : utf8.encode(card).length;
    if (bytes > maxBytes) throw new TrustError('ERR_CARD_TOO_LARGE', `the AgentCard is larger than ${maxBytes} bytes`);
    let value: unknown;
    try {
      value = JSON.parse(card);
    } catch (err) {
      throw new TrustError('ERR_JSON_MALFORMED', 'the AgentCard is not valid JSON', { cause: err });
    }
    // JSON.parse kept the last of two equal names; another parser would have kept the first
    const duplicate = findDuplicateMember(card);
    if (duplicate !== undefined) throw new TrustError('ERR_CARD_MALFORMED', `the AgentCard has the member name ${JSON.stringify(duplicate.slice(0, 40))} twice in one object (I-JSON, RFC 7493)`);
    if (!isPlainObject(value)) throw new TrustError('ERR_CARD_MALFORMED', 'an AgentCard must be a JSON object');
    return { obj: value };
  }
  if (!isPlainObject(card)) throw new TrustError('ERR_CARD_MALFORMED', 'an AgentCard must be a JSON object');
  return { obj: card, budget: sizeBudget(maxBytes) };
}

function readSignatures(card: Obj, max: number, budget: Budget | undefined): Entry[] {
  const list = card['signatures'];
  if (budget && spendJson(list, budget)) {
    // the member's name, colon and comma (cleanCanonical spends the rest of the card)
    spend(budget, quotedBytes('signatures') + 2);
    budget.members++;
  }
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new TrustError('ERR_CARD_MALFORMED', '"signatures" must be an array');
  if (list.length > max) throw new TrustError('ERR_CARD_TOO_MANY_SIGNATURES', `the card has ${list.length} signatures, limit ${max}`);
  return list.map((e, i) => {
    if (!isPlainObject(e) || typeof e['protected'] !== 'string' || typeof e['signature'] !== 'string') {
      throw new TrustError('ERR_CARD_MALFORMED', `signatures[${i}] must be an object with string "protected" and "signature"`);
    }
    const header = e['header'];
    if (header !== undefined && !isPlainObject(header)) throw new TrustError('ERR_CARD_MALFORMED', `signatures[${i}].header must be a JSON object`);
    return header === undefined ? { protected: e['protected'], signature: e['signature'] } : { protected: e['protected'], signature: e['signature'], header };
  });
}

// --- one signature ----------------------------------------------------------------------------

interface Resolved {
  readonly keySource: 'x5c' | 'kid' | 'jku';
  /** Set for key sets; for x5c known only once the chain verified. */
  readonly trustRoot?: string;
  /** Keys to try, in order (each already checked against the algorithm, or checked when imported). */
  readonly keys: ReadonlyArray<() => CryptoKey | Promise<CryptoKey>>;
  /** Key sets: the SPIFFE ID each key of `keys` vouches for (its set's scope), if any. */
  readonly ids?: ReadonlyArray<SpiffeId | undefined>;
  /** x5c: the chain verification, started only once the signature check is under way. */
  readonly chain?: () => VerifiedX509Svid | Promise<VerifiedX509Svid>;
  readonly leaf?: Certificate;
}

interface Signer {
  readonly id?: SpiffeId;
  readonly keySource: 'x5c' | 'kid' | 'jku';
}

async function evaluate(entry: Entry, index: number, payloads: CardPayloads, cfg: Config, early: Early | undefined): Promise<Outcome> {
  const report: { -readonly [K in keyof AgentCardSignatureReport]: AgentCardSignatureReport[K] } = { index, status: 'invalid' };
  try {
    const h = parseProtectedHeader(entry.protected, cfg.maxHeaderBytes, cfg.maxX5c);
    if (h.kid !== undefined) report.kid = h.kid;
    report.alg = h.alg;
    report.typ = h.typ;
    if (h.x5c) {
      const chain = describeChain(h.x5c);
      report.chain = chain instanceof Promise ? await chain : chain;
    }
    if (entry.header) checkUnprotectedHeader(entry.header, entry.protected, cfg.maxHeaderBytes);
    const info = algorithm(h.alg, cfg);
    const signature = b64urlDecode(entry.signature, 'ERR_JWS_MALFORMED');

    const pending = resolveKey(h, info, cfg);
    const resolved = pending instanceof Promise ? await pending : pending;
    report.keySource = resolved.keySource;
    if (resolved.trustRoot) report.trustRoot = resolved.trustRoot;

    // The signature check goes first: with a remembered key its crypto starts right here, and the
    // chain validation (pure computation when warm) runs while it is in flight. Nothing from the
    // signature counts unless the chain verified: a chain error is the one reported.
    const checked = checkSignature(entry, resolved, info, signature, h, payloads, early, cfg.profiles);
    let svid: VerifiedX509Svid | undefined;
    if (resolved.chain) {
      let c: VerifiedX509Svid | Promise<VerifiedX509Svid>;
      try {
        c = resolved.chain();
      } catch (err) {
        checked.catch(() => {});
        throw err;
      }
      if (c instanceof Promise) {
        // the signature check may fail while the chain is validated: handled here, still thrown
        // when awaited below
        checked.catch(() => {});
        // a chain not seen before: the report's chain fingerprints are hashed while it is validated
        // instead of after it (memoized on each certificate; read only if the chain verifies)
        for (const cert of h.x5c ?? []) cert.fingerprint().catch(() => {});
        svid = await c;
      } else {
        svid = c;
      }
      if (svid.chain[0] !== resolved.leaf) throw new TrustError('ERR_INTERNAL', 'x5c: the verified leaf is not the presented one');
      report.trustRoot = `spiffe-bundle:${svid.id.trustDomain.name}`;
    }
    // prepared while the signature check may still be running; used only if it succeeds
    const signer = svid ? signerOf(svid) : undefined;
    if (signer instanceof Promise) signer.catch(() => {});
    const chainBinding = svid ? bind({ keySource: resolved.keySource, id: svid.id }, cfg) : undefined;
    const { profile, key } = await checked;

    report.profile = profile;
    if (signer) report.signer = signer instanceof Promise ? await signer : signer;
    // a key set's scope is the identity of the key that verified (sets may share a kid)
    const keyId = svid ? undefined : resolved.ids?.[key];
    if (keyId) report.signer = { spiffeId: keyId.toString(), trustDomain: keyId.trustDomain.name };
    const binding = chainBinding ?? bind({ keySource: resolved.keySource, ...(keyId ? { id: keyId } : {}) }, cfg);
    const ok = binding.status === 'bound' || (binding.status === 'not-checked' && resolved.keySource !== 'x5c');
    if (ok || cfg.mode === 'audit') {
      report.status = 'valid';
    } else {
      report.code = 'ERR_CARD_SIGNER_NOT_BOUND';
      report.message = binding.message ?? 'the signer is not bound to the expected identity';
    }
    return { report: freeze(report), cryptoValid: true, profile, binding };
  } catch (err) {
    const e = err instanceof TrustError ? err : new TrustError('ERR_INTERNAL', 'signature evaluation failed', { cause: err });
    report.code = e.code;
    report.message = e.message;
    return { report: freeze(report), cryptoValid: false, binding: { status: 'not-checked' } };
  }
}

// The signer part of the report by verified chain (chains are remembered below, so a warm
// verification finds its signer here without waiting for the fingerprints again).
const signers = new LruCache<VerifiedX509Svid, AgentCardSigner>(1024);

function signerOf(svid: VerifiedX509Svid): AgentCardSigner | Promise<AgentCardSigner> {
  const hit = signers.get(svid);
  // a fresh object per report: a caller changing one report does not change the next
  if (hit) return { ...hit, chainFingerprints: hit.chainFingerprints.slice() };
  return Promise.all(svid.chain.map((c) => c.fingerprint())).then((chainFingerprints) => {
    const signer: AgentCardSigner = {
      spiffeId: svid.id.toString(),
      trustDomain: svid.id.trustDomain.name,
      chainFingerprints,
      notAfter: svid.chain[0]!.notAfter.toISOString(),
    };
    signers.set(svid, { ...signer, chainFingerprints: chainFingerprints.slice() });
    return signer;
  });
}

/**
 * The profile the signature verifies over with one of the keys, and that key's index in
 * `resolved.keys`; throws what went wrong otherwise.
 */
async function checkSignature(
  entry: Entry,
  resolved: Resolved,
  info: AlgInfo,
  signature: Uint8Array,
  h: ProtectedHeader,
  payloads: CardPayloads,
  early: Early | undefined,
  profiles: readonly AgentCardProfile[],
): Promise<{ profile: AgentCardProfile; key: number }> {
  let firstError: unknown;
  for (let index = 0; index < resolved.keys.length; index++) {
    const getKey = resolved.keys[index]!;
    let key: CryptoKey;
    try {
      const k = getKey();
      key = k instanceof Promise ? await k : k;
    } catch (err) {
      firstError ??= err;
      continue;
    }
    // after the key, so that a key that cannot do this algorithm is reported as the mismatch it is
    if (info.sigLen !== undefined && signature.length !== info.sigLen) {
      throw new TrustError('ERR_JWS_SIGNATURE_INVALID', `jws: a ${h.alg} signature is ${info.sigLen} bytes, not ${signature.length}`);
    }
    const earlyProfile = early ? earlyApplies(early.remembered, key, payloads, profiles) : undefined;
    if (earlyProfile) {
      // the same bytes under the key this configuration vouches for now: the early check is this check
      if (await early!.result.catch(() => false)) return { profile: earlyProfile, key: index };
    }
    const profile = await verifyOverProfiles(entry, info, key, signature, h.ascii, payloads, profiles);
    if (profile) return { profile, key: index };
    firstError ??= new TrustError('ERR_JWS_SIGNATURE_INVALID', 'jws: the signature does not match the card');
  }
  throw firstError ?? new TrustError('ERR_JWS_SIGNATURE_INVALID', 'jws: the signature does not match the card');
}

// --- early signature checks --------------------------------------------------------------------

/** What a verified signature was checked with, so that the same signature seen again can start early. */
interface Remembered {
  readonly protected: string;
  readonly key: CryptoKey;
  readonly params: AlgInfo['params'];
  readonly signature: ArrayBuffer;
  readonly input: ArrayBuffer;
  readonly profile: AgentCardProfile;
  /** The payload text the signature verified over. */
  readonly text: string;
}

interface Early {
  readonly remembered: Remembered;
  /** The WebCrypto verification of the remembered signing input, started before canonicalization. */
  readonly result: Promise<boolean>;
}

// By the signature's base64url text. Entries hold the signing input (protected header and
// payload), so only inputs up to MAX_REMEMBERED_INPUT are kept: at most 256 × 32 KiB of inputs.
const remembered = new LruCache<string, Remembered>(256);
const MAX_REMEMBERED_INPUT = 32 * 1024;

/**
 * A signature verified before starts its WebCrypto check at once, over the signing input it
 * verified over then, so that the card's canonicalization runs while the check is in flight (the
 * warm path then costs about one verification, not canonicalization plus one). The early result
 * is only a guess at the input: checkSignature uses it only when the key that the configuration
 * resolves now is the same key and the card's payload is the same text (earlyApplies); otherwise
 * it is dropped and the signature is checked over what the card holds now.
 */
function startEarly(entry: Entry): Early | undefined {
  const r = remembered.get(entry.signature);
  if (r === undefined || r.protected !== entry.protected) return undefined;
  let result: Promise<boolean>;
  try {
    result = subtle().verify(r.params, r.key, r.signature, r.input);
  } catch {
    return undefined;
  }
  result.catch(() => {}); // awaited only when it applies (and then its failure means "check again")
  return { remembered: r, result };
}

/**
 * The profile the early check stands for, or undefined when it does not apply. That is the profile
 * verifyOverProfiles would report: the first of the configured profiles whose payload is the remembered
 * text. Not simply the remembered profile: that is the one which matched the card seen last (a
 * variant may have matched under a later profile), and a cache may make a report faster, never
 * different (the report must not depend on what was verified before).
 */
function earlyApplies(r: Remembered, key: CryptoKey, payloads: CardPayloads, profiles: readonly AgentCardProfile[]): AgentCardProfile | undefined {
  if (key !== r.key) return undefined;
  for (const profile of profiles) {
    if (payloads.get(profile)?.text === r.text) return profile;
    if (profile === r.profile) return undefined;
  }
  return undefined;
}

function freeze(r: AgentCardSignatureReport): AgentCardSignatureReport {
  // stable member order in JSON output
  const { index, kid, alg, typ, status, code, message, keySource, trustRoot, signer, profile, chain } = r;
  return {
    index,
    ...(kid === undefined ? {} : { kid }),
    ...(alg === undefined ? {} : { alg }),
    ...(typ === undefined ? {} : { typ }),
    status,
    ...(code === undefined ? {} : { code }),
    ...(message === undefined ? {} : { message }),
    ...(keySource === undefined ? {} : { keySource }),
    ...(trustRoot === undefined ? {} : { trustRoot }),
    ...(signer === undefined ? {} : { signer }),
    ...(profile === undefined ? {} : { profile }),
    ...(chain === undefined ? {} : { chain }),
  };
}

function algorithm(alg: string, cfg: Config): AlgInfo {
  if (isAsymmetric(alg)) return ASYMMETRIC[alg];
  if (isHmac(alg)) {
    // a shared secret proves nothing about who signed unless the verifier chose to hold one
    if (!cfg.symmetricKeys) throw new TrustError('ERR_JWS_ALGORITHM_NOT_ALLOWED', `jws: ${alg} needs an explicit symmetric key set`);
    return HMAC[alg];
  }
  throw new TrustError('ERR_JWS_ALGORITHM_NOT_ALLOWED', `jws: algorithm ${JSON.stringify(alg.slice(0, 20))} is not allowed`);
}

// Imported certificate keys by certificate object (parsed certificates are shared through the x509
// parse cache), so a warm verification gets its key without waiting a turn. An LruCache, so that
// clearCaches() (and a crypto provider change) forgets them.
const leafKeys = new LruCache<Certificate, Map<string, CryptoKey>>(1024);

function leafKey(leaf: Certificate, alg: string): CryptoKey | Promise<CryptoKey> {
  const hit = leafKeys.get(leaf)?.get(alg);
  if (hit) return hit;
  return importPublicKey(leaf, alg as JwsAlgorithm).then((key) => {
    let byAlg = leafKeys.get(leaf);
    if (!byAlg) leafKeys.set(leaf, (byAlg = new Map()));
    byAlg.set(alg, key);
    return key;
  });
}

interface RememberedSvid {
  readonly svid: VerifiedX509Svid;
  /** The bundle the chain was verified against, as its source returned it. */
  readonly bundle: TrustBundle;
  readonly authorities: readonly Certificate[];
  readonly sequence: number | undefined;
  /** The time span (ms) in which every certificate of the verified path is valid. */
  readonly from: number;
  readonly until: number;
}

// Verified x5c chains by their parsed certificate list: the protected-header cache hands out the
// same frozen list for the same header text, so a card seen again finds its chain here. An entry
// counts only while the bundle source still returns the very bundle (same object, authorities and
// spiffe_sequence) it was verified against and the time is inside every certificate's validity;
// everything else in verifyX509Svid depends on the certificates alone. The identity policy is not
// part of it: bind() checks it on every verification.
const svids = new LruCache<readonly Certificate[], RememberedSvid>(1024);

function sameBundle(r: RememberedSvid, b: TrustBundle | undefined): boolean {
  return b === r.bundle && b.x509Authorities === r.authorities && b.sequence === r.sequence;
}

function verifiedChain(x5c: readonly Certificate[], bundles: BundleSource, at: Date | undefined): VerifiedX509Svid | Promise<VerifiedX509Svid> {
  const hit = svids.get(x5c);
  if (hit) {
    const now = at === undefined ? Date.now() : at.getTime();
    if (now >= hit.from && now <= hit.until) {
      let current: TrustBundle | Promise<TrustBundle> | undefined;
      try {
        current = bundles.getBundle(hit.svid.id.trustDomain);
      } catch {
        current = undefined; // the full verification reports it
      }
      if (current instanceof Promise) {
        return current.then(
          (b) => (sameBundle(hit, b) ? hit.svid : verifyAndRemember(x5c, bundles, at)),
          () => verifyAndRemember(x5c, bundles, at),
        );
      }
      if (sameBundle(hit, current)) return hit.svid;
    }
    svids.delete(x5c);
  }
  return verifyAndRemember(x5c, bundles, at);
}

async function verifyAndRemember(x5c: readonly Certificate[], bundles: BundleSource, at: Date | undefined): Promise<VerifiedX509Svid> {
  // the bundle verifyX509Svid actually used, recorded as it asks for it
  let used: TrustBundle | undefined;
  const recording: BundleSource = {
    getBundle(td) {
      const b = bundles.getBundle(td);
      if (b instanceof Promise) return b.then((v) => (used = v));
      return (used = b);
    },
  };
  const svid = await verifyX509Svid(x5c, recording, at === undefined ? {} : { at });
  if (used) {
    let from = -Infinity;
    let until = Infinity;
    for (const c of svid.chain) {
      from = Math.max(from, c.notBefore.getTime());
      until = Math.min(until, c.notAfter.getTime());
    }
    svids.set(x5c, { svid, bundle: used, authorities: used.x509Authorities, sequence: used.sequence, from, until });
  }
  return svid;
}

function resolveKey(h: ProtectedHeader, info: AlgInfo, cfg: Config): Resolved | Promise<Resolved> {
  if (info.kty === 'oct') {
    return fromKeySets(h, info, [cfg.symmetricKeys!], 'kid', `symmetric:${h.kid ?? ''}`);
  }
  if (h.x5c) {
    const bundles = cfg.bundles;
    if (!bundles) throw new TrustError('ERR_BUNDLE_NOT_FOUND', 'x5c: no trust bundles are configured');
    const leaf = h.x5c[0]!;
    const x5c = h.x5c;
    return {
      keySource: 'x5c',
      keys: [() => leafKey(leaf, h.alg)],
      leaf,
      chain: () => verifiedChain(x5c, bundles, cfg.at),
    };
  }
  // a pinned key set answers before any network: kid selects among configured keys only
  if (h.kid !== undefined && cfg.keySets && cfg.keySets.some((set) => set.keys.some((k) => k.kid === h.kid))) {
    return fromKeySets(h, info, cfg.keySets, 'kid', `keyset:${h.kid}`);
  }
  if (h.jku !== undefined) {
    const url = checkJku(h.jku, cfg.origins);
    if (h.kid === undefined) throw new TrustError('ERR_JWS_KEY_NOT_FOUND', 'jws: a jku signature needs a "kid"');
    return jwksText(url, cfg.jku!).then((text) => fromKeySets(h, info, [{ keys: jwksKeys(text), id: undefined }], 'jku', `jku:${url}`));
  }
  if (h.kid === undefined) throw new TrustError('ERR_JWS_KEY_NOT_FOUND', 'jws: no x5c, kid or jku names the key');
  throw new TrustError('ERR_JWS_KEY_NOT_FOUND', `jws: no configured key has kid ${JSON.stringify(h.kid.slice(0, 80))}`);
}

function fromKeySets(h: ProtectedHeader, info: AlgInfo, sets: readonly ScopedKeySet[], keySource: 'kid' | 'jku', trustRoot: string): Resolved {
  const kid = h.kid;
  if (kid === undefined) throw new TrustError('ERR_JWS_KEY_NOT_FOUND', 'jws: the header has no "kid"');
  const candidates = sets.flatMap((set) => set.keys.filter((k) => k.kid === kid).map((key) => ({ key, id: set.id }))).slice(0, MAX_KID_CANDIDATES);
  if (candidates.length === 0) throw new TrustError('ERR_JWS_KEY_NOT_FOUND', `jws: no key has kid ${JSON.stringify(kid.slice(0, 80))}`);
  // check every candidate first, so a type mismatch is reported as such and not as a bad signature
  const usable: Array<{ key: AgentCardJwk; id: SpiffeId | undefined }> = [];
  let firstError: unknown;
  for (const c of candidates) {
    try {
      checkJwkFor(c.key, h.alg, info);
      usable.push(c);
    } catch (err) {
      firstError ??= err;
    }
  }
  if (usable.length === 0) throw firstError;
  return { keySource, trustRoot, keys: usable.map((c) => () => importJwk(c.key, h.alg, info)), ids: usable.map((c) => c.id) };
}

async function verifyOverProfiles(
  entry: Entry,
  info: AlgInfo,
  key: CryptoKey,
  signature: Uint8Array,
  protectedAscii: Uint8Array,
  payloads: CardPayloads,
  profiles: readonly AgentCardProfile[],
): Promise<AgentCardProfile | undefined> {
  const tried = new Set<string>();
  for (const profile of profiles) {
    const p = payloads.get(profile);
    if (!p || tried.has(p.text)) continue;
    tried.add(p.text);
    const input = toArrayBuffer(signingInput(protectedAscii, p.b64));
    const sig = toArrayBuffer(signature);
    let ok: boolean;
    try {
      ok = await subtle().verify(info.params, key, sig, input);
    } catch (err) {
      throw new TrustError('ERR_JWS_SIGNATURE_INVALID', 'jws: the signature could not be checked', { cause: err });
    }
    if (ok) {
      if (input.byteLength <= MAX_REMEMBERED_INPUT) {
        remembered.set(entry.signature, { protected: entry.protected, key, params: info.params, signature: sig, input, profile, text: p.text });
      }
      return profile;
    }
  }
  return undefined;
}

function bind(resolved: Signer, cfg: Config): AgentCardBinding {
  const policy = {
    ...(cfg.trustDomain === undefined ? {} : { trustDomain: cfg.trustDomain }),
    ...(cfg.expectedId === undefined ? {} : { expectedId: cfg.expectedId }),
  };
  if (!resolved.id) {
    if (cfg.policy.length === 0) return { status: 'not-checked' };
    return {
      status: 'unbound',
      ...policy,
      code: 'ERR_CARD_SIGNER_NOT_BOUND',
      message: `a ${resolved.keySource} key has no SPIFFE identity to bind to ${cfg.policy.map((p) => p.name).join(' and ')}${resolved.keySource === 'kid' ? ' (scope its key set with a spiffeId)' : ''}`,
    };
  }
  if (cfg.policy.length === 0) {
    // a pinned key is itself the operator's choice (it counts unbound); a bundle vouches for a whole trust domain (it does not)
    if (resolved.keySource !== 'x5c') return { status: 'not-checked' };
    return {
      status: 'not-checked',
      code: 'ERR_CARD_SIGNER_NOT_BOUND',
      message: 'no identity policy (trustDomain, expectedId or match) to bind the x5c signer to',
    };
  }
  for (const p of cfg.policy) {
    try {
      p.match(resolved.id);
    } catch (err) {
      const why = err instanceof TrustError ? err.message : 'the match policy failed';
      return { status: 'unbound', ...policy, code: 'ERR_CARD_SIGNER_NOT_BOUND', message: `signer ${resolved.id.toString()} does not satisfy ${p.name}: ${why}` };
    }
  }
  return { status: 'bound', ...policy };
}

