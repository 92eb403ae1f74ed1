/** JSON input files for the CLI. */
import { TrustError, findDuplicateMember, type ErrorCode } from './core.js';

/**
 * Parses JSON text that must be an object (an AgentCard). Malformed JSON is ERR_JSON_MALFORMED
 * (the parser's message, which may quote input, stays in `cause`); a member name twice in one
 * object (I-JSON) is ERR_CARD_MALFORMED, as in the core.
 *
 * @example
 * const card = parseJsonObject(await readTextFile('card.json', 'card'))
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  const value = parseJson(text, 'ERR_CARD_MALFORMED');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TrustError('ERR_CARD_MALFORMED', 'an AgentCard must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Parses JSON text of any shape. Malformed JSON is ERR_JSON_MALFORMED (the parser's message, which
 * may quote input, stays in `cause`); a member name twice in one object (I-JSON, RFC 7493) is
 * `duplicateCode`.
 *
 * @example
 * const doc = parseJson(await readTextFile('keys.json', '--keys'))
 */
export function parseJson(text: string, duplicateCode: ErrorCode = 'ERR_JSON_MALFORMED'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new TrustError('ERR_JSON_MALFORMED', 'not valid JSON', { cause: err });
  }
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) throw new TrustError(duplicateCode, `the member name ${JSON.stringify(duplicate.slice(0, 40))} occurs twice in one object (I-JSON, RFC 7493)`);
  return value;
}
