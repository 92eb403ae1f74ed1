import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalizeJson } from '../../shared/jcs/index.js';
import { TrustError } from '../../shared/errors.js';

function double(bits: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${bits}`));
  return view.getFloat64(0);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof TrustError ? err.code : `not a TrustError: ${String(err)}`;
  }
  return undefined;
}

describe('canonicalizeJson: RFC 8785 Appendix B number serialization', () => {
  const table: Array<[string, string]> = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ];
  it.each(table)('0x%s serializes as %s', (bits, expected) => {
    expect(canonicalizeJson(double(bits))).toBe(expected);
    expect(canonicalizeJson([double(bits)])).toBe(`[${expected}]`);
  });

  it.each([
    ['NaN (7fffffffffffffff)', double('7fffffffffffffff')],
    ['Infinity (7ff0000000000000)', double('7ff0000000000000')],
    ['-Infinity', -Infinity],
  ])('rejects %s', (_name, n) => {
    expect(codeOf(() => canonicalizeJson({ n }))).toBe('ERR_INPUT_INVALID');
  });
});

describe('canonicalizeJson: RFC 8785 §3.2 examples', () => {
  it('serializes the §3.2.2 sample (numbers, string escaping, literals)', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        '"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        '"literals": [null, true, false]}',
    );
    const out = canonicalizeJson(input);
    expect(out).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
    // §3.2.4: the UTF-8 of that output, byte for byte
    const hex = Array.from(new TextEncoder().encode(out), (b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(hex).toBe(
      '7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a ' +
        '5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31 65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 5d 2c ' +
        '22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d',
    );
  });

  it('sorts members by UTF-16 code units (§3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalizeJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('orders a supplementary-plane key before U+FB33 (code units, not code points)', () => {
    // U+1F600 is D83D DE00 in UTF-16: below U+FB33 by code unit although above it by code point
    expect(canonicalizeJson({ '\ufb33': 1, '\ud83d\ude00': 2 })).toBe('{"\ud83d\ude00":2,"\ufb33":1}');
  });

  it('sorts integer-like keys as strings, not in property order', () => {
    expect(canonicalizeJson({ 10: 'a', 9: 'b', 1: 'c', b: 1, a: 2 })).toBe('{"1":"c","10":"a","9":"b","a":2,"b":1}');
  });
});

describe('canonicalizeJson: strings', () => {
  it.each([
    ['control characters use short escapes where JSON has them', '\b\t\n\f\r', '"\\b\\t\\n\\f\\r"'],
    ['other C0 controls are \\u00xx lowercase', '\u0000\u0001\u001f\u000b', '"\\u0000\\u0001\\u001f\\u000b"'],
    ['DEL is literal', '\u007f', '"\u007f"'],
    ['U+2028 and U+2029 are literal', '\u2028\u2029', '"\u2028\u2029"'],
    ['quote and backslash are escaped', '"\\', '"\\"\\\\"'],
    ['solidus is not escaped', '/', '"/"'],
    ['non-ASCII is literal', 'é€😀', '"é€😀"'],
    ['surrogate pair is literal', '\ud83d\ude00', '"\ud83d\ude00"'],
  ])('%s', (_name, input, expected) => {
    expect(canonicalizeJson(input)).toBe(expected);
    // for well-formed strings JCS escaping is exactly ECMAScript's JSON.stringify
    expect(canonicalizeJson(input)).toBe(JSON.stringify(input));
  });

  it.each([
    ['lone high surrogate', 'a\ud800'],
    ['lone high surrogate mid-string', '\ud800b'],
    ['lone low surrogate', '\udc00'],
    ['reversed pair', '\ude00\ud83d'],
  ])('rejects a %s in values and keys', (_name, bad) => {
    expect(codeOf(() => canonicalizeJson(bad))).toBe('ERR_INPUT_INVALID');
    expect(codeOf(() => canonicalizeJson({ [bad]: 1 }))).toBe('ERR_INPUT_INVALID');
  });
});

describe('canonicalizeJson: the JSON data model only', () => {
  class Thing {
    x = 1;
  }
  const deep: unknown[] = [];
  let cur = deep;
  for (let i = 0; i < 200; i++) {
    const next: unknown[] = [];
    cur.push(next);
    cur = next;
  }
  it.each([
    ['undefined', undefined],
    ['undefined member', { a: undefined }],
    ['function', () => 1],
    ['bigint', 1n],
    ['symbol', Symbol('s')],
    ['Date', new Date(0)],
    ['class instance', new Thing()],
    ['Map', new Map()],
    ['sparse array', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['nesting deeper than the limit', deep],
  ])('rejects %s', (_name, value) => {
    expect(codeOf(() => canonicalizeJson(value))).toBe('ERR_INPUT_INVALID');
  });

  it('honours maxDepth and a custom error code', () => {
    expect(canonicalizeJson([[[1]]], { maxDepth: 3 })).toBe('[[[1]]]');
    expect(codeOf(() => canonicalizeJson([[[[1]]]], { maxDepth: 3, code: 'ERR_CARD_MALFORMED' }))).toBe('ERR_CARD_MALFORMED');
  });

  it('accepts null-prototype objects and an own "__proto__" member', () => {
    const o = JSON.parse('{"__proto__":{"x":1},"a":null}');
    expect(canonicalizeJson(o)).toBe('{"__proto__":{"x":1},"a":null}');
    const n = Object.create(null) as Record<string, unknown>;
    n.b = true;
    expect(canonicalizeJson(n)).toBe('{"b":true}');
  });
});

describe('canonicalizeJson: properties', () => {
  it('agrees with a sorted-keys JSON.stringify reference for any JSON value and is idempotent', () => {
    // the shape of @a2a-js/sdk's jcsStringify: JSON.stringify for scalars, keys sorted by code units
    const reference = (v: unknown): string =>
      Array.isArray(v)
        ? '[' + v.map(reference).join(',') + ']'
        : v !== null && typeof v === 'object'
          ? '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + reference((v as Record<string, unknown>)[k])).join(',') + '}'
          : JSON.stringify(v);
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const out = canonicalizeJson(v);
        expect(out).toBe(reference(v));
        expect(canonicalizeJson(JSON.parse(out))).toBe(out);
      }),
    );
  });

  it('either succeeds or throws TrustError on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), (v) => {
        try {
          canonicalizeJson(v);
        } catch (err) {
          expect(err).toBeInstanceOf(TrustError);
        }
      }),
    );
  });
});
