import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSpiffeId, parseTrustDomain } from '../../shared/spiffe/index.js';
import { TrustError } from '../../shared/errors.js';

// An independent oracle written straight from the standard's rules, to catch false "valid".
const TD_RE = /^[a-z0-9._-]{1,255}$/;
const SEG_RE = /^[a-zA-Z0-9._-]+$/;
function oracleId(s: string): boolean {
  if (s.length > 2048 || !s.startsWith('spiffe://')) return false;
  const rest = s.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const td = slash < 0 ? rest : rest.slice(0, slash);
  if (!TD_RE.test(td)) return false;
  if (slash < 0) return true;
  return rest
    .slice(slash + 1)
    .split('/')
    .every((seg) => SEG_RE.test(seg) && seg !== '.' && seg !== '..');
}
function oracleTd(s: string): boolean {
  return s.includes(':/') ? oracleId(s) : TD_RE.test(s);
}

function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false; code: string } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (!(err instanceof TrustError)) throw err; // any other exception fails the property
    return { ok: false, code: err.code };
  }
}

const tdChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789.-_'.split(''));
const segChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_'.split(''));
const validTd = fc.string({ unit: tdChar, minLength: 1, maxLength: 40 });
const validSeg = fc.string({ unit: segChar, minLength: 1, maxLength: 12 }).filter((s) => s !== '.' && s !== '..');
const validId = fc.tuple(validTd, fc.array(validSeg, { maxLength: 6 })).map(([td, segs]) => `spiffe://${td}${segs.map((s) => `/${s}`).join('')}`);
// characters that matter to URI parsing, plus a few that must never pass
const nasty = fc.constantFrom(...'/:@?#%[]!$&\'()*+,;=~ \\\u0000\u00e9\u{1F600}ABCZ.'.split(''), '..', '%2e', '//', 'SPIFFE', 'spiffe://');
const mutated = fc
  .tuple(validId, fc.nat(), fc.oneof(nasty, fc.string({ maxLength: 3 })), fc.constantFrom('insert', 'replace', 'delete'))
  .map(([id, pos, s, how]) => {
    const i = pos % (id.length + 1);
    if (how === 'insert') return id.slice(0, i) + s + id.slice(i);
    if (how === 'replace') return id.slice(0, i) + s + id.slice(i + 1);
    return id.slice(0, i) + id.slice(i + 1);
  });

describe('SPIFFE ID parsing, property-based', () => {
  it('valid IDs parse and print back unchanged', () => {
    fc.assert(
      fc.property(validId, (s) => {
        const id = parseSpiffeId(s);
        expect(id.toString()).toBe(s);
        expect(parseTrustDomain(s).equals(id.trustDomain)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['mutated IDs', mutated],
    ['arbitrary strings', fc.string({ maxLength: 60 })],
    ['arbitrary unicode', fc.string({ unit: 'binary', maxLength: 40 })],
    ['scheme-prefixed strings', fc.string({ maxLength: 40 }).map((s) => `spiffe://${s}`)],
  ])('%s: accepted exactly when the standard allows, otherwise a TrustError', (_name, arb) => {
    fc.assert(
      fc.property(arb as fc.Arbitrary<string>, (s) => {
        const r = outcome(() => parseSpiffeId(s));
        expect(r.ok).toBe(oracleId(s));
        if (r.ok) expect(r.value.toString()).toBe(s);
        else expect(r.code).toBe('ERR_SPIFFE_ID_INVALID');
        const t = outcome(() => parseTrustDomain(s));
        expect(t.ok).toBe(oracleTd(s));
        if (!t.ok) expect(t.code).toBe('ERR_TRUST_DOMAIN_INVALID');
      }),
      { numRuns: 500 },
    );
  });

  it('length limits are exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), (n) => {
        const td = 'a'.repeat(n);
        expect(outcome(() => parseTrustDomain(td)).ok).toBe(n <= 255);
        expect(outcome(() => parseSpiffeId(`spiffe://${td}/x`)).ok).toBe(n <= 255);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 2100 }), (n) => {
        const id = 'spiffe://example.org/' + 'a'.repeat(n - 21);
        expect(outcome(() => parseSpiffeId(id)).ok).toBe(n <= 2048);
      }),
    );
  });
});
