/** JSON input files for the CLI. */
import { TrustError } from './core.js';

/**
 * Parses JSON text that must be an object (an AgentCard). Malformed JSON is ERR_JSON_MALFORMED
 * (the parser's message, which may quote input, stays in `cause`).
 *
 * @example
 * const card = parseJsonObject(await readTextFile('card.json', 'card'))
 */
export function parseJsonObject(text: string): Record<string, unknown> {
  const value = parseJson(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TrustError('ERR_CARD_MALFORMED', 'an AgentCard must be a JSON object');
  return value as Record<string, unknown>;
}

/**
 * Parses JSON text of any shape. Malformed JSON is ERR_JSON_MALFORMED (the parser's message, which
 * may quote input, stays in `cause`).
 *
 * @example
 * const doc = parseJson(await readTextFile('keys.json', '--keys'))
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new TrustError('ERR_JSON_MALFORMED', 'not valid JSON', { cause: err });
  }
}
