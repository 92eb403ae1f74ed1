/**
 * RFC 8785 JSON Canonicalization Scheme (JCS), written here because the maintained npm package
 * (`canonicalize`) needs Node >= 22 and the algorithm is small: ECMAScript number formatting,
 * JSON.stringify string escaping, object members sorted by UTF-16 code units, no whitespace.
 */
import { TrustError, type ErrorCode } from '../errors.js';
import { number, quote } from './lib/scalars.js';

/** Limits for {@link canonicalizeJson}; the defaults suit documents up to a few MiB. */
export interface JcsOptions {
  /** Deepest nesting of arrays/objects accepted (default 100): recursion must never blow the stack. */
  readonly maxDepth?: number;
  /** Error code for input that is not I-JSON (default `ERR_INPUT_INVALID`). */
  readonly code?: ErrorCode;
}

const DEFAULT_MAX_DEPTH = 100;

/**
 * Canonical JSON text (RFC 8785) of a JSON value: `null`, booleans, finite numbers, strings
 * without lone surrogates, arrays and plain objects. Anything else (undefined, NaN, Infinity,
 * bigint, functions, class instances, lone surrogates, nesting deeper than `maxDepth`) throws
 * `TrustError` with `ERR_INPUT_INVALID` (or the `code` given).
 *
 * @example
 * canonicalizeJson({ b: 1, a: [1e21, -0, 'é'] }) // '{"a":[1e+21,0,"é"],"b":1}'
 */
export function canonicalizeJson(value: unknown, options: JcsOptions = {}): string {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const code = options.code ?? 'ERR_INPUT_INVALID';
  return write(value, 0, maxDepth, code);
}

function write(value: unknown, depth: number, maxDepth: number, code: ErrorCode): string {
  switch (typeof value) {
    case 'string':
      return quote(value, code);
    case 'number':
      return number(value, code);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= maxDepth) throw new TrustError(code, `JSON nesting deeper than ${maxDepth}`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          // a hole in a sparse array reads as undefined and is rejected like any undefined
          out += write(value[i], depth + 1, maxDepth, code);
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new TrustError(code, 'only plain objects are JSON objects');
      // Array.prototype.sort compares strings by UTF-16 code units: exactly RFC 8785 §3.2.3
      const keys = Object.keys(value).sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (i > 0) out += ',';
        out += quote(key, code) + ':' + write((value as Record<string, unknown>)[key], depth + 1, maxDepth, code);
      }
      return out + '}';
    }
    default:
      throw new TrustError(code, `a ${typeof value} is not a JSON value`);
  }
}
