/**
 * The size of an in-memory AgentCard as the JSON text it stands for: exactly the UTF-8 length of
 * `JSON.stringify(card)`, spent while the card is walked (profiles.ts cleanCanonical does the
 * card, `spendJson` its `signatures`), and given up as soon as it passes the limit. Internal.
 */
import { TrustError } from '../../errors.js';

// printable ASCII other than `"` and `\`: one byte each, no escape (most strings are only this)
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** UTF-8 bytes of `JSON.stringify(s)` (well-formed JSON.stringify: lone surrogates as `\udxxx`). */
export function quotedBytes(s: string): number {
  if (PLAIN.test(s)) return s.length + 2;
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) n += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
    else if (c === 0x22 || c === 0x5c) n += 2;
    else if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 4;
        i++;
      } else n += 6;
    } else if (c >= 0xdc00 && c <= 0xdfff) n += 6;
    else n += 3;
  }
  return n;
}

/**
 * What is left of a size limit, spent while walking an in-memory card: exactly the UTF-8 bytes
 * that `JSON.stringify(card)` would write, so an object and its text are held to the same limit,
 * and a huge card is refused after about `limit` units of work instead of after serializing it.
 */
export interface Budget {
  left: number;
  readonly limit: number;
  /** Members of the card's top level spent so far (for its commas). */
  members: number;
}

export function budget(limit: number): Budget {
  return { left: limit, limit, members: 0 };
}

export function spend(b: Budget, n: number): void {
  b.left -= n;
  if (b.left < 0) throw new TrustError('ERR_CARD_TOO_LARGE', `the AgentCard is larger than ${b.limit} bytes`);
}

/** Deepest nesting walked (the canonicalizer's own limit is lower): a cyclic object ends here. */
const MAX_WALK_DEPTH = 128;

/**
 * Spends what `v` takes in `JSON.stringify` output as an array element or member value; false
 * when JSON.stringify skips it (undefined, functions, symbols: the caller spends `null` for an
 * array element). Values JSON cannot hold are refused later by the canonicalizer.
 */
export function spendJson(v: unknown, b: Budget, depth = 0): boolean {
  switch (typeof v) {
    case 'string':
      spend(b, quotedBytes(v));
      return true;
    case 'number':
      spend(b, Number.isFinite(v) ? (Object.is(v, -0) ? 1 : String(v).length) : 4);
      return true;
    case 'boolean':
      spend(b, v ? 4 : 5);
      return true;
    case 'bigint':
      spend(b, String(v).length); // JSON.stringify throws; the canonicalizer refuses it
      return true;
    case 'object': {
      if (v === null) {
        spend(b, 4);
        return true;
      }
      if (depth >= MAX_WALK_DEPTH) throw new TrustError('ERR_CARD_MALFORMED', `AgentCard nesting deeper than ${MAX_WALK_DEPTH}`);
      if (Array.isArray(v)) {
        spend(b, v.length === 0 ? 2 : v.length + 1); // brackets and commas
        for (let i = 0; i < v.length; i++) if (!spendJson(v[i], b, depth + 1)) spend(b, 4); // null
        return true;
      }
      let members = 0;
      for (const key of Object.keys(v)) {
        if (!spendJson((v as Record<string, unknown>)[key], b, depth + 1)) continue;
        spend(b, quotedBytes(key) + 2); // name, colon, comma
        members++;
      }
      spend(b, members > 0 ? 1 : 2); // braces, less the last comma
      return true;
    }
    default:
      return false;
  }
}
