/**
 * Pinned public keys named on the command line (`card verify --keys`): each file is a JWK Set
 * `{"keys": [...]}`, optionally scoped with `"spiffeId"` to the identity its keys vouch for (a
 * workload's SPIFFE ID, or `spiffe://<td>` for a whole trust domain): exactly the core's
 * AgentCardKeySet. The file is checked here, so a mistake fails as an exit-2 input error naming
 * it, not as an option error of verifyAgentCard while the card is evaluated.
 */
import { resolve } from 'node:path';
import type { AgentCardJwk, AgentCardKeySet } from '../../shared/agentcard/index.js';
import { TrustError, parseSpiffeId } from './core.js';
import { asInput } from './errors.js';
import { readTextFile } from './files.js';

const SET_MEMBERS = new Set(['keys', 'spiffeId']);
// RFC 7518 §6.2.2, §6.3.2 and §6.4.1: private EC/OKP and RSA members, and a symmetric secret
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const KEY_TYPES = new Set(['EC', 'RSA', 'OKP']);

/**
 * Reads each `--keys` file and checks it is a key set of public keys, each with a `kid`. Failures
 * are exit-2 input errors naming the file (ERR_FILE_UNREADABLE, ERR_JSON_MALFORMED,
 * ERR_INPUT_INVALID, ERR_SPIFFE_ID_INVALID).
 *
 * @example
 * const keys = await loadKeySets(['agent-a.jwks.json'], process.cwd())
 */
export async function loadKeySets(paths: readonly string[], cwd: string): Promise<AgentCardKeySet[]> {
  const sets: AgentCardKeySet[] = [];
  for (const path of paths) {
    const text = await readTextFile(resolve(cwd, path), '--keys', path);
    sets.push(await asInput(`--keys ${path}`, () => parseKeySet(text)));
  }
  return sets;
}

/**
 * Parses the JSON text of one key set: an object with a non-empty `keys` array of public JWKs
 * (`kty` EC, RSA or OKP, a non-empty `kid`, no private members) and an optional `spiffeId`.
 * Anything else is refused: a misspelled `spiffeId` would leave the keys without identity, and a
 * private key does not belong in a verifier's files.
 *
 * @example
 * parseKeySet('{"keys":[{"kty":"EC","crv":"P-256","x":"…","y":"…","kid":"a-1"}],"spiffeId":"spiffe://example.org/agent/a"}')
 */
export function parseKeySet(text: string): AgentCardKeySet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TrustError('ERR_JSON_MALFORMED', 'not valid JSON', { cause: err });
  }
  const invalid = (message: string) => new TrustError('ERR_INPUT_INVALID', message);
  if (!isObject(value)) throw invalid('expected a JWK Set: a JSON object {"keys": [...]} with an optional "spiffeId"');
  for (const name of Object.keys(value)) {
    if (SET_MEMBERS.has(name)) continue;
    const hint = name.startsWith('spiffe_') ? ': a SPIFFE bundle goes to --bundle' : ' (a key set has "keys" and an optional "spiffeId")';
    throw invalid(`unknown member ${JSON.stringify(name)}${hint}`);
  }
  const keys = value['keys'];
  if (!Array.isArray(keys)) throw invalid('expected a "keys" array of JWKs');
  if (keys.length === 0) throw invalid('the "keys" array is empty');
  keys.forEach((key: unknown, i) => {
    if (!isObject(key)) throw invalid(`keys[${i}] is not a JSON object`);
    const secret = PRIVATE_MEMBERS.find((m) => Object.hasOwn(key, m));
    if (secret !== undefined) throw invalid(`keys[${i}] has the private key member ${JSON.stringify(secret)}: --keys takes public keys only`);
    if (typeof key['kid'] !== 'string' || key['kid'] === '') throw invalid(`keys[${i}] has no "kid" (a pinned key is selected by the signature's kid)`);
    if (typeof key['kty'] !== 'string' || !KEY_TYPES.has(key['kty'])) {
      throw invalid(`keys[${i}] has "kty" ${JSON.stringify(key['kty'] ?? null)}, expected "EC", "RSA" or "OKP"`);
    }
  });
  const spiffeId = value['spiffeId'];
  if (spiffeId === undefined) return { keys: keys as AgentCardJwk[] };
  if (typeof spiffeId !== 'string') throw invalid('"spiffeId" must be a SPIFFE ID string');
  try {
    parseSpiffeId(spiffeId);
  } catch (err) {
    if (err instanceof TrustError) throw new TrustError(err.code, `"spiffeId": ${err.message}`, { cause: err });
    throw err;
  }
  return { keys: keys as AgentCardJwk[], spiffeId };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
