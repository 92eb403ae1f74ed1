/**
 * The `python-json` payload: what a2a-python signed before it moved to RFC 8785 — the cleaned card
 * through CPython's `json.dumps(obj, sort_keys=True, separators=(',', ':'))` with its defaults
 * (`ensure_ascii=True`), every number a Python float (a2a-python v1 carries card numbers in
 * `google.protobuf.Struct` values, which are doubles). Written from the documented behaviour of
 * CPython's `json` module and `repr(float)`; see docs/agentcard.md#python-json. Internal.
 */
import { TrustError } from '../../errors.js';

type Obj = Record<string, unknown>;

/**
 * `json.dumps(value, sort_keys=True, separators=(',', ':'))` of CPython, numbers written as
 * `repr(float(n))`. `value` must be cleaned JSON (cleanCard): objects, arrays, strings, numbers,
 * booleans. An empty card is `None` after a2a-python's cleaning, so it is written as `null`.
 * Lone surrogates are refused (ERR_CARD_MALFORMED), as they are for every profile.
 */
export function pythonJson(value: Obj): string {
  if (Object.keys(value).length === 0) return 'null';
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

function write(v: unknown, out: string[]): void {
  switch (typeof v) {
    case 'string':
      out.push(pyQuote(v));
      return;
    case 'number':
      out.push(pyFloat(v));
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'object': {
      if (v === null) {
        out.push('null');
        return;
      }
      if (Array.isArray(v)) {
        out.push('[');
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out.push(',');
          write(v[i], out);
        }
        out.push(']');
        return;
      }
      const o = v as Obj;
      const keys = Object.keys(o).sort(byCodePoint);
      out.push('{');
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out.push(',');
        out.push(pyQuote(keys[i]!), ':');
        write(o[keys[i]!], out);
      }
      out.push('}');
      return;
    }
    default:
      throw new TrustError('ERR_CARD_MALFORMED', `AgentCard holds a ${typeof v}, which is not JSON`);
  }
}

/**
 * Python compares `str` by code point; JavaScript's default sort compares UTF-16 code units. They
 * disagree when an astral character (a surrogate pair, 0xD800..0xDFFF as code units) meets a BMP
 * character in U+E000..U+FFFF: "\uFB01" < "😀" by code point, "😀" < "\uFB01" by code unit.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // the first difference decides: a surrogate stands for a code point ≥ U+10000, above every BMP unit
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

const HEX = '0123456789abcdef';

function u4(c: number): string {
  return '\\u' + HEX[(c >> 12) & 15]! + HEX[(c >> 8) & 15]! + HEX[(c >> 4) & 15]! + HEX[c & 15]!;
}

const SHORT: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

/**
 * CPython's `encode_basestring_ascii`: a code unit is copied only when it is printable ASCII
 * (U+0020..U+007E) other than `"` and `\`; `"`, `\`, `\b`, `\f`, `\n`, `\r`, `\t` get their short
 * escapes; everything else — other control characters, U+007F, every non-ASCII character — is
 * `\uXXXX` in lowercase hex, a character above U+FFFF as its UTF-16 surrogate pair.
 */
export function pyQuote(s: string): string {
  if (/^[\u0020\u0021\u0023-\u005b\u005d-\u007e]*$/.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) {
      out += s[i];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) throw new TrustError('ERR_CARD_MALFORMED', 'string holds a lone surrogate');
      out += u4(c) + u4(next);
      i++;
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) throw new TrustError('ERR_CARD_MALFORMED', 'string holds a lone surrogate');
    out += SHORT[c] ?? u4(c);
  }
  return out + '"';
}

/**
 * `repr(float(n))` of CPython (`float_repr_style == 'short'`): the shortest digits that round-trip
 * — the same digits as ECMAScript's Number::toString — laid out the Python way: with `decpt` the
 * position of the decimal point (value = 0.d1d2…dn × 10^decpt), exponent notation when
 * decpt ≤ -4 or decpt > 16 (`1e-05`, `1e+16`, `1.5e+300`: sign always, at least two exponent
 * digits), otherwise positional with at least one digit after the point (`7.0`, `0.0001`,
 * `1234567890123456.0`); `-0.0` keeps its sign.
 */
export function pyFloat(n: number): string {
  if (!Number.isFinite(n)) throw new TrustError('ERR_CARD_MALFORMED', 'NaN and Infinity are not JSON numbers');
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const sign = n < 0 ? '-' : '';
  // toExponential() without a digit count gives the shortest round-trip digits: "d.ddde±x"
  const [mantissa, exp] = Math.abs(n).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1;
  if (decpt <= -4 || decpt > 16) {
    const e = decpt - 1;
    const abs = Math.abs(e);
    return `${sign}${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${e < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}
