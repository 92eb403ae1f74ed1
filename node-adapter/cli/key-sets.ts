/**
 * Pinned public keys named on the command line (`card verify --keys`): each file is a key-set
 * document, checked by the core's parseAgentCardKeySets (the same rules as the worker's
 * `TRUSTED_KEYS`): a JWK Set `{"keys": [...]}`, optionally scoped with `"spiffeId"` to the
 * identity its keys vouch for (a workload's SPIFFE ID, or `spiffe://<td>` for a whole trust
 * domain), or an array of such sets. The files are checked here, so a mistake fails as an exit-2
 * input error naming the file, not as an option error of verifyAgentCard while the card is evaluated.
 */
import { resolve } from 'node:path';
import { duplicateKid, parseAgentCardKeySets, type AgentCardKeySet } from '../../shared/agentcard/index.js';
import { asInput, CliError, EXIT_USAGE } from './errors.js';
import { readTextFile } from './files.js';
import { parseJson } from './json.js';

/**
 * Reads each `--keys` file and checks it is a key-set document of public keys, each with a
 * `kid`, and that no `kid` is in two files. Failures are exit-2 input errors naming the file
 * (ERR_FILE_UNREADABLE, ERR_JSON_MALFORMED, ERR_INPUT_INVALID, ERR_SPIFFE_ID_INVALID).
 *
 * @example
 * const keys = await loadKeySets(['agent-a.jwks.json'], process.cwd())
 */
export async function loadKeySets(paths: readonly string[], cwd: string): Promise<AgentCardKeySet[]> {
  const sets: AgentCardKeySet[] = [];
  const fileOf: string[] = [];
  for (const path of paths) {
    const text = await readTextFile(resolve(cwd, path), '--keys', path);
    const fileSets = await asInput(`--keys ${path}`, () => parseAgentCardKeySets(parseJson(text)));
    sets.push(...fileSets);
    fileOf.push(...fileSets.map(() => path));
  }
  const dup = duplicateKid(sets);
  if (dup !== undefined) {
    const [a, b] = [fileOf[dup.first]!, fileOf[dup.second]!];
    const why = 'a kid must be unique, or the key (and scope) it selects is ambiguous';
    throw new CliError('ERR_INPUT_INVALID', `--keys ${b}: kid ${JSON.stringify(dup.kid)} is also in --keys ${a}: ${why}`, EXIT_USAGE);
  }
  return sets;
}
