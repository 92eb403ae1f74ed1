/**
 * Key-set documents: the pinned public keys a verifier loads from its own configuration (the
 * worker's `TRUSTED_KEYS`, the CLI's `--keys` files). One checker serves every loader, so a
 * document that one accepts the other accepts too, and a mistake in it fails where it is read,
 * naming the member, rather than as a signature that never verifies.
 *
 * This is stricter than `verifyAgentCard`'s own `keys` option check, which only needs the shape:
 * a document is text a person wrote, so each key must be a public signing JWK with a `kid`.
 */
import { TrustError } from '../errors.js';
import { parseSpiffeId } from '../spiffe/id.js';
import type { AgentCardJwk, AgentCardKeySet } from './types.js';

const SET_MEMBERS = new Set(['keys', 'spiffeId']);
// RFC 7518 §6.2.2, §6.3.2 and §6.4.1: private EC/OKP and RSA members, and a symmetric secret
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
// RFC 7518 §6.2.1, §6.3.1 and RFC 8037 §2: the public members each key type needs
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = { EC: ['crv', 'x', 'y'], RSA: ['n', 'e'], OKP: ['crv', 'x'] };
const SHAPE = 'a key set is {"keys": [...], "spiffeId"?: "spiffe://..."}';

/**
 * Checks a key-set document: one key set `{ keys, spiffeId? }` or a non-empty array of them.
 * Every key is a public signing JWK (`kty` EC, RSA or OKP with its public members, no private
 * member, `use` "sig" if present, `key_ops` including "verify" if present) with a non-empty
 * `kid`; a `kid` appears once across the whole document, so the set (and so the scope) a
 * signature binds to is never a matter of order. `spiffeId` is a SPIFFE ID, returned normalized.
 * Unknown set members are refused: a misspelled `spiffeId` would leave the keys without identity.
 *
 * Throws TrustError `ERR_INPUT_INVALID` (the message says where: `set 1, keys[0]: …` for an
 * array, `keys[0]: …` for one set) or `ERR_SPIFFE_ID_INVALID` (the SPIFFE error as its cause).
 *
 * @example
 * const sets = parseAgentCardKeySets(JSON.parse(text)) // then verifyAgentCard(card, { keys: sets })
 */
export function parseAgentCardKeySets(value: unknown): AgentCardKeySet[] {
  const many = Array.isArray(value);
  const sets: unknown[] = many ? value : [value];
  if (many && sets.length === 0) throw invalid(`the array of key sets is empty; ${SHAPE}`);
  const parsed = sets.map((set, s) => parseKeySet(set, many ? `set ${s}` : undefined));
  const dup = duplicateKid(parsed);
  if (dup !== undefined) {
    const where = many && dup.first !== dup.second ? `sets ${dup.first} and ${dup.second}` : many ? `set ${dup.first}` : 'the key set';
    throw invalid(`kid ${JSON.stringify(dup.kid)} appears twice (${where}): a kid must be unique, or the key (and scope) it selects is ambiguous`);
  }
  return parsed;
}

/**
 * The first `kid` held twice across `sets` (within one set or in two), with the indexes of the
 * sets that hold it; for loaders that merge documents checked one by one.
 *
 * @example
 * const dup = duplicateKid([setFromFileA, setFromFileB]) // { kid: 'a-1', first: 0, second: 1 }
 */
export function duplicateKid(sets: readonly AgentCardKeySet[]): { kid: string; first: number; second: number } | undefined {
  const seen = new Map<string, number>();
  for (let s = 0; s < sets.length; s++) {
    for (const key of sets[s]!.keys) {
      if (key.kid === undefined) continue;
      const first = seen.get(key.kid);
      if (first !== undefined) return { kid: key.kid, first, second: s };
      seen.set(key.kid, s);
    }
  }
  return undefined;
}

function parseKeySet(value: unknown, where: string | undefined): AgentCardKeySet {
  const at = (rest: string) => (where === undefined ? rest : `${where}: ${rest}`);
  if (!isObject(value)) throw invalid(at(`not a JSON object; ${SHAPE}`));
  for (const name of Object.keys(value)) {
    if (SET_MEMBERS.has(name)) continue;
    const hint = name.startsWith('spiffe_') ? ': a SPIFFE bundle is not a key set' : ` (${SHAPE})`;
    throw invalid(at(`unknown member ${JSON.stringify(name)}${hint}`));
  }
  const keys = value['keys'];
  if (!Array.isArray(keys)) throw invalid(at('expected a "keys" array of JWKs'));
  if (keys.length === 0) throw invalid(at('the "keys" array is empty'));
  keys.forEach((key: unknown, i) => checkKey(key, (rest) => at(`keys[${i}] ${rest}`)));
  const spiffeId = value['spiffeId'];
  if (spiffeId === undefined) return { keys: keys as AgentCardJwk[] };
  if (typeof spiffeId !== 'string') throw invalid(at('"spiffeId" must be a SPIFFE ID string'));
  try {
    return { keys: keys as AgentCardJwk[], spiffeId: parseSpiffeId(spiffeId).toString() };
  } catch (err) {
    if (err instanceof TrustError) throw new TrustError(err.code, at(`"spiffeId": ${err.message}`), { cause: err });
    throw err;
  }
}

function checkKey(key: unknown, at: (rest: string) => string): void {
  if (!isObject(key)) throw invalid(at('is not a JSON object'));
  const kty = key['kty'];
  const needed = typeof kty === 'string' && Object.hasOwn(PUBLIC_MEMBERS, kty) ? PUBLIC_MEMBERS[kty]! : undefined;
  if (needed === undefined) throw invalid(at(`has "kty" ${JSON.stringify(kty ?? null)}, expected "EC", "RSA" or "OKP"`));
  const secret = PRIVATE_MEMBERS.find((m) => Object.hasOwn(key, m));
  if (secret !== undefined) throw invalid(at(`has the private key member ${JSON.stringify(secret)}: a key set holds public keys only`));
  const missing = needed.filter((m) => typeof key[m] !== 'string' || key[m] === '');
  if (missing.length > 0) throw invalid(at(`(kty ${kty}) lacks ${missing.map((m) => JSON.stringify(m)).join(', ')}: an ${kty} public key has ${needed.join(', ')}`));
  if (typeof key['kid'] !== 'string' || key['kid'] === '') throw invalid(at('has no "kid" (a pinned key is selected by the signature\'s kid)'));
  if (key['use'] !== undefined && key['use'] !== 'sig') throw invalid(at(`has "use" ${JSON.stringify(key['use'])}: a signature key has "use": "sig" or none`));
  const ops = key['key_ops'];
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) throw invalid(at('has "key_ops" without "verify"'));
}

function invalid(message: string): TrustError {
  return new TrustError('ERR_INPUT_INVALID', message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
