/** JCS scalars (RFC 8785 §3.2.2), shared by the canonicalizer and the AgentCard payload writer. Internal. */
import { TrustError, type ErrorCode } from '../../errors.js';

/** RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString, which also turns -0 into "0". */
export function number(n: number, code: ErrorCode): string {
  if (!Number.isFinite(n)) throw new TrustError(code, 'NaN and Infinity are not JSON numbers');
  return Object.is(n, -0) ? '0' : String(n);
}

// everything JCS escapes or refuses; most strings have none of it and are copied as they are
const SPECIAL = /[\u0000-\u001f"\\\ud800-\udfff]/;

const SHORT: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

/**
 * RFC 8785 §3.2.2.2: only `"`, `\` and U+0000..U+001F are escaped (short forms where JSON has
 * them, else \u00xx in lowercase); everything else, U+2028/2029 and U+007F included, is literal.
 * Lone surrogates cannot be encoded as UTF-8 and are rejected (I-JSON, RFC 7493).
 */
export function quote(s: string, code: ErrorCode): string {
  if (!SPECIAL.test(s)) return '"' + s + '"';
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && (c < 0xd800 || c > 0xdfff)) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      throw new TrustError(code, 'string holds a lone surrogate');
    }
    if (c >= 0xdc00 && c <= 0xdfff) throw new TrustError(code, 'string holds a lone surrogate');
    out += s.slice(start, i) + (SHORT[c] ?? '\\u00' + (c < 0x10 ? '0' : '') + c.toString(16));
    start = i + 1;
  }
  return out + s.slice(start) + '"';
}
