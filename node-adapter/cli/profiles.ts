/** `--profile`, repeatable, for `card sign` and `card verify`: canonical payload profiles by name. */
import { AGENT_CARD_PROFILES, type AgentCardProfile } from '../../shared/agentcard/index.js';
import { stringList, type ParsedArgs } from './args.js';
import { usageError } from './errors.js';

/**
 * The profiles named by `--profile` (in the order given), or undefined when there is none. An
 * unknown or repeated name is ERR_USAGE (exit 2).
 *
 * @example
 * const profiles = profileFlags(values) // --profile a2a-sdk --profile jcs-clean → ['a2a-sdk', 'jcs-clean']
 */
export function profileFlags(values: ParsedArgs['values']): AgentCardProfile[] | undefined {
  const names = stringList(values, 'profile');
  if (names.length === 0) return undefined;
  const out: AgentCardProfile[] = [];
  for (const name of names) {
    const p = AGENT_CARD_PROFILES.find((x) => x === name);
    if (!p) throw usageError(`--profile: unknown profile '${name}' (use one of ${AGENT_CARD_PROFILES.join(', ')})`);
    if (out.includes(p)) throw usageError(`--profile ${p} given twice`);
    out.push(p);
  }
  return out;
}
