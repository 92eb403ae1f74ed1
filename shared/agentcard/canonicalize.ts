import { TrustError } from '../errors.js';
import { cleanCard, profilePayload, serialize, type AgentCardProfile } from './lib/profiles.js';

/**
 * The canonical payload of an AgentCard as a string: RFC 8785 JCS of the card without
 * `signatures`, with empty values (`""`, `null`, `[]`, `{}`) removed recursively — the
 * `jcs-clean` profile, which covers every non-empty field of the card. Other profiles
 * (`a2a-sdk`, `spec`) are described in docs/agentcard.md. Throws `ERR_CARD_MALFORMED` for
 * anything that is not a JSON object (or that the chosen profile cannot represent).
 *
 * @example
 * canonicalizeAgentCard({ name: 'A', description: '', skills: [], signatures: [] }) // '{"name":"A"}'
 */
export function canonicalizeAgentCard(card: unknown, profile: AgentCardProfile = 'jcs-clean'): string {
  const cleaned = cleanCard(card); // also validates: a JSON object of JSON values, bounded depth
  const payload = profile === 'jcs-clean' ? cleaned : profilePayload(card as Record<string, unknown>, profile);
  if (!payload) throw new TrustError('ERR_CARD_MALFORMED', `the ${profile} profile cannot represent this card`);
  return serialize(payload);
}
