import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findDuplicateMember } from '../../shared/json/index.js';

// A JSON tree whose objects are member lists, so that a name can occur twice.
type Tree = null | boolean | number | string | { arr: Tree[] } | { obj: Array<[string, Tree]> };

// names from a small alphabet collide often; some characters force escapes in the text
const name = fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', '\n', 'é', '\u{1F600}', '}', ','), maxLength: 3 });
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    name,
    fc.record({ arr: fc.array(tie('tree'), { maxLength: 4 }) }),
    fc.record({ obj: fc.array(fc.tuple(name, tie('tree')), { maxLength: 4 }) }),
  ),
}));

/** Serializes a tree; `escapeAll` writes every name character as \uXXXX (same names, other text). */
function text(t: Tree, escapeAll: boolean): string {
  if (t === null || typeof t !== 'object') return JSON.stringify(t);
  if ('arr' in t) return `[${t.arr.map((v) => text(v, escapeAll)).join(',')}]`;
  const key = (k: string) => (escapeAll ? `"${escapeUnits(k)}"` : JSON.stringify(k));
  return `{${t.obj.map(([k, v]) => `${key(k)}:${text(v, escapeAll)}`).join(',')}}`;
}

function escapeUnits(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += '\\u' + s.charCodeAt(i).toString(16).padStart(4, '0');
  return out;
}

/** Every name that occurs twice in one object (the reference answer). */
function duplicates(t: Tree, out = new Set<string>()): Set<string> {
  if (t === null || typeof t !== 'object') return out;
  if ('arr' in t) {
    for (const v of t.arr) duplicates(v, out);
    return out;
  }
  const seen = new Set<string>();
  for (const [k, v] of t.obj) {
    if (seen.has(k)) out.add(k);
    seen.add(k);
    duplicates(v, out);
  }
  return out;
}

describe('findDuplicateMember', () => {
  it.each([
    ['no objects', '[1,"a",null,true]', undefined],
    ['unique names', '{"a":1,"b":{"a":2,"c":[{"a":3}]}}', undefined],
    ['the same name in sibling objects', '[{"a":1},{"a":2}]', undefined],
    ['a duplicate at the top', '{"name":"Evil Agent","x":1,"name":"Agent A"}', 'name'],
    ['a duplicate deep in an array', '{"skills":[{"id":"a"},{"id":"b","tags":[],"id":"c"}]}', 'id'],
    ['names equal after unescaping', '{"a":1,"\\u0061":2}', 'a'],
    ['escaped quotes and backslashes', '{"a\\"b":1,"a\\\\":2,"a\\"b":3}', 'a"b'],
    ['a value equal to a name', '{"a":"a","b":"a"}', undefined],
    ['a name that looks like structure', '{"},{":1,"[":{"},{":2}}', undefined],
    ['many names (past the small-object array)', `{${Array.from({ length: 20 }, (_, i) => `"k${i}":${i}`).join(',')},"k3":0}`, 'k3'],
    ['empty names', '{"":1,"":2}', ''],
    ['__proto__ twice', '{"__proto__":1,"__proto__":2}', '__proto__'],
    ['whitespace everywhere', ' { "a" : 1 , "b" : [ { } , { "a" : 2 } ] , "a" : 3 } ', 'a'],
  ])('%s', (_name, input, expected) => {
    JSON.parse(input); // the scanner's precondition: valid JSON
    expect(findDuplicateMember(input)).toBe(expected);
  });

  it('agrees with a reference on random documents, escaped or not', () => {
    fc.assert(
      fc.property(tree, fc.boolean(), (t, escapeAll) => {
        const s = text(t, escapeAll);
        JSON.parse(s);
        const expected = duplicates(t);
        const found = findDuplicateMember(s);
        if (expected.size === 0) expect(found).toBeUndefined();
        else expect(expected.has(found!)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('finds nothing in what JSON.stringify writes', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => findDuplicateMember(JSON.stringify(v)) === undefined), { numRuns: 300 });
  });
});
