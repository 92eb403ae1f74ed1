import { TrustError } from '../errors.js';
import { cleanCard, isProfile, profilePayload, profileText, type AgentCardProfile } from './lib/profiles.js';

/**
 * The canonical payload of an AgentCard as a string: RFC 8785 JCS of the card without
 * `signatures`, with empty values (`""`, `null`, `[]`, `{}`) removed recursively — the
 * `jcs-clean` profile, which covers every non-empty field of the card. Other profiles
 * (`a2a-sdk`, `spec`, `python-json`) are described in docs/agentcard.md; an unknown one is ERR_INPUT_INVALID. Throws `ERR_CARD_MALFORMED` for
 * anything that is not a JSON object (or that the chosen profile cannot represent).
 *
 * @example
 * canonicalizeAgentCard({ name: 'A', description: '', skills: [], signatures: [] }) // '{"name":"A"}'
 */
export function canonicalizeAgentCard(card: unknown, profile: AgentCardProfile = 'jcs-clean'): string {
  if (!isProfile(profile)) throw new TrustError('ERR_INPUT_INVALID', `canonicalizeAgentCard: unknown profile ${JSON.stringify(String(profile)).slice(0, 60)}`);
  const cleaned = cleanCard(card); // also validates: a JSON object of JSON values, bounded depth
  const payload = profile === 'jcs-clean' || profile === 'python-json' ? cleaned : profilePayload(card as Record<string, unknown>, profile);
  if (!payload) throw new TrustError('ERR_CARD_MALFORMED', `the ${profile} profile cannot represent this card`);
  return profileText(payload, profile);
}
