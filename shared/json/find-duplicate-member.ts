/**
 * I-JSON (RFC 7493 §2.3): object member names must be unique. `JSON.parse` keeps the last of two
 * equal names while other parsers keep the first (or refuse), so a document with a duplicate means
 * different things to a signer and a verifier: a parser differential is a signature bypass.
 */

/** Member names kept in an array up to this many per object (a linear search beats a Set there). */
const SMALL = 8;

/**
 * The first member name that occurs twice in one object of `text`, at any depth, or `undefined`
 * when every object's names are unique. Names are compared after unescaping (`"a"` and `"\u0061"`
 * are the same name). `text` must already be valid JSON (parse it first): the scanner only tracks
 * strings and brackets, in one pass, and decodes a name only when it holds an escape.
 *
 * @example
 * findDuplicateMember('{"a":1,"b":{"c":1,"c":2}}') // 'c'
 * findDuplicateMember('[{"a":1},{"a":2}]')          // undefined
 */
export function findDuplicateMember(text: string): string | undefined {
  // one entry per open container: the names seen so far (objects) or null (arrays)
  const stack: Array<string[] | Set<string> | null> = [];
  let names: string[] | Set<string> | null = null;
  let expectName = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // the closing quote is the first one not preceded by an odd run of backslashes
      let j = text.indexOf('"', i + 1);
      for (;;) {
        let k = j - 1;
        while (text.charCodeAt(k) === 0x5c /* \ */) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      if (expectName && names !== null) {
        const raw = text.slice(i + 1, j);
        const name = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (Array.isArray(names)) {
          if (names.includes(name)) return name;
          if (names.length < SMALL) names.push(name);
          else {
            names = new Set(names).add(name);
            stack[stack.length - 1] = names;
          }
        } else {
          if (names.has(name)) return name;
          names.add(name);
        }
        expectName = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      names = [];
      stack.push(names);
      expectName = true;
    } else if (c === 0x5b /* [ */) {
      names = null;
      stack.push(null);
      expectName = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      names = stack.length > 0 ? stack[stack.length - 1]! : null;
      expectName = false;
    } else if (c === 0x2c /* , */) {
      expectName = names !== null;
    }
  }
  return undefined;
}
