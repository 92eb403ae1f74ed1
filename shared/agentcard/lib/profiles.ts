/**
 * The canonical payload profiles an AgentCard signature may have been made over. The ecosystem does
 * not agree (see docs/agentcard.md), so verification tries a small fixed list and reports which one
 * matched, and which of the card's fields that profile leaves unsigned.
 */
import { TrustError } from '../../errors.js';
import { canonicalizeJson } from '../../jcs/index.js';
import { number, quote } from '../../jcs/lib/scalars.js';
import { pythonJson } from './python-json.js';
import { AgentCardSchema, type Field, type Message } from './schema.js';
import { quotedBytes, spend, type Budget } from './size.js';

export type { Budget } from './size.js';

/** A canonical payload profile (see docs/agentcard.md#profiles). */
export type AgentCardProfile = 'jcs-clean' | 'a2a-sdk' | 'spec' | 'python-json';

/** Every profile, in the order verification tries them; identical payloads are tried once. */
export const ALL_PROFILES: readonly AgentCardProfile[] = ['jcs-clean', 'a2a-sdk', 'spec', 'python-json'];

/** The profiles verification tries when the caller does not choose (python-json is opt-in). */
export const PROFILES: readonly AgentCardProfile[] = ['jcs-clean', 'a2a-sdk', 'spec'];

export function isProfile(v: unknown): v is AgentCardProfile {
  return typeof v === 'string' && (ALL_PROFILES as readonly string[]).includes(v);
}

export const MAX_DEPTH = 100;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

const hasOwn = Object.prototype.hasOwnProperty;

function isPlainObject(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function dict(): Obj {
  // no prototype: an own "__proto__" member stays a member, never a prototype switch
  return Object.create(null) as Obj;
}

function malformed(message: string): never {
  throw new TrustError('ERR_CARD_MALFORMED', message);
}

/**
 * The card without `signatures`, with empty values (`""`, `null`, `undefined`, `[]`, `{}`) removed
 * recursively; a container that becomes empty is removed too. Exactly the `cleanEmpty` of the A2A
 * SDKs, plus strict validation: only JSON values, nesting at most {@link MAX_DEPTH}.
 * `dropProto` reproduces a JavaScript quirk of @a2a-js/sdk, which loses `"__proto__"` members.
 */
export function cleanCard(card: unknown, dropProto = false): Obj {
  if (!isPlainObject(card)) malformed('an AgentCard must be a JSON object');
  const out = dict();
  for (const key of Object.keys(card)) {
    if (key === 'signatures' || (dropProto && key === '__proto__')) continue;
    const v = clean(card[key], 1, dropProto);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function clean(v: unknown, depth: number, dropProto: boolean): Json | undefined {
  switch (typeof v) {
    case 'undefined':
      return undefined;
    case 'string':
      return v === '' ? undefined : v;
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isFinite(v)) malformed('AgentCard holds a non-finite number');
      return v;
    case 'object': {
      if (v === null) {
        return undefined;
      }
      if (depth >= MAX_DEPTH) malformed(`AgentCard nesting deeper than ${MAX_DEPTH}`);
      if (Array.isArray(v)) {
        const out: Json[] = [];
        for (let i = 0; i < v.length; i++) {
          const c = clean(v[i], depth + 1, dropProto);
          if (c !== undefined) out.push(c);
        }
        return out.length > 0 ? out : undefined;
      }
      if (!isPlainObject(v)) malformed('AgentCard holds a value that is not JSON');
      const out = dict();
      let n = 0;
      for (const key of Object.keys(v)) {
        if (dropProto && key === '__proto__') continue;
        const c = clean(v[key], depth + 1, dropProto);
        if (c !== undefined) {
          out[key] = c;
          n++;
        }
      }
      return n > 0 ? (out as Json) : undefined;
    }
    default:
      return malformed(`AgentCard holds a ${typeof v}, which is not JSON`);
  }
}

/**
 * The jcs-clean payload text in one pass: the same string as `serialize(cleanCard(card))`, without
 * building the cleaned copy first (this runs on every verification). With a `budget`, the walk
 * also spends the exact UTF-8 size of the card as JSON text (`JSON.stringify(card)`, see
 * {@link Budget}; its top-level `signatures` member is the caller's to spend) and throws
 * ERR_CARD_TOO_LARGE once it runs out.
 */
export function cleanCanonical(card: unknown, budget?: Budget): string {
  if (!isPlainObject(card)) malformed('an AgentCard must be a JSON object');
  // pieces are collected and joined once: a flat string, cheap to hash as a cache key later
  const out: string[] = [];
  const written = writeObject(card, 0, budget, true, out);
  if (budget) spend(budget, 2 - (budget.members > 0 ? 1 : 0)); // the card's braces, less the last comma
  return written ? out.join('') : '{}';
}

/** Appends the cleaned object to `out`; false (and nothing appended) when it is empty. */
function writeObject(o: Obj, depth: number, budget: Budget | undefined, top: boolean, out: string[]): boolean {
  // sorted by UTF-16 code units (RFC 8785 §3.2.3)
  const keys = Object.keys(o).sort();
  const start = out.length;
  let members = 0;
  for (const key of keys) {
    if (top && key === 'signatures') continue;
    const v = o[key];
    if (v === undefined) continue; // JSON.stringify skips it too
    // a member costs its name, a colon and (but for the last) a comma
    if (budget) spend(budget, quotedBytes(key) + 2);
    members++;
    const mark = out.length;
    out.push(mark === start ? '{' : ',', quote(key, 'ERR_CARD_MALFORMED'), ':');
    if (!write(v, depth + 1, budget, out)) out.length = mark;
  }
  if (budget) {
    if (top) budget.members += members;
    else spend(budget, members > 0 ? 1 : 2); // braces, less the last comma
  }
  if (out.length === start) return false;
  out.push('}');
  return true;
}

function write(v: unknown, depth: number, budget: Budget | undefined, out: string[]): boolean {
  switch (typeof v) {
    case 'undefined':
      // only array elements get here (members skip it): JSON.stringify writes null
      if (budget) spend(budget, 4);
      return false;
    case 'string':
      if (budget) spend(budget, quotedBytes(v));
      if (v === '') return false;
      out.push(quote(v, 'ERR_CARD_MALFORMED'));
      return true;
    case 'boolean':
      if (budget) spend(budget, v ? 4 : 5);
      out.push(v ? 'true' : 'false');
      return true;
    case 'number': {
      const text = number(v, 'ERR_CARD_MALFORMED');
      if (budget) spend(budget, text.length);
      out.push(text);
      return true;
    }
    case 'object': {
      if (v === null) {
        if (budget) spend(budget, 4);
        return false;
      }
      if (depth >= MAX_DEPTH) malformed(`AgentCard nesting deeper than ${MAX_DEPTH}`);
      if (Array.isArray(v)) {
        if (budget) spend(budget, v.length === 0 ? 2 : v.length + 1); // brackets and commas
        const start = out.length;
        for (let i = 0; i < v.length; i++) {
          const mark = out.length;
          out.push(mark === start ? '[' : ',');
          if (!write(v[i], depth + 1, budget, out)) out.length = mark;
        }
        if (out.length === start) return false;
        out.push(']');
        return true;
      }
      if (!isPlainObject(v)) malformed('AgentCard holds a value that is not JSON');
      return writeObject(v, depth, budget, false, out);
    }
    default:
      return malformed(`AgentCard holds a ${typeof v}, which is not JSON`);
  }
}

/** JCS text of a payload object; a string JCS cannot encode (lone surrogate) makes the card malformed. */
export function serialize(payload: Obj): string {
  return canonicalizeJson(payload, { maxDepth: MAX_DEPTH + 1, code: 'ERR_CARD_MALFORMED' });
}

/** The payload text of `profile` for its payload object: CPython's json.dumps for python-json, else JCS. */
export function profileText(payload: Obj, profile: AgentCardProfile): string {
  return profile === 'python-json' ? pythonJson(payload) : serialize(payload);
}

/**
 * The payload object of `profile`, or `undefined` when the profile cannot represent the card (the
 * SDK's protobuf codec throws on, e.g., a `null` skill). The card must already have passed
 * {@link cleanCard} (so it is a JSON object of bounded depth).
 */
export function profilePayload(card: Obj, profile: AgentCardProfile): Obj | undefined {
  switch (profile) {
    case 'jcs-clean':
    case 'python-json': // the same object, serialized the Python way (profileText)
      return cleanCard(card);
    case 'a2a-sdk': {
      let normalized: Obj;
      try {
        normalized = sdkToJson(card, AgentCardSchema);
      } catch {
        return undefined; // the SDK's codec throws here too: this profile cannot have signed it
      }
      delete normalized.signatures;
      return cleanCard(normalized, true);
    }
    case 'spec':
      return specNormalize(card, AgentCardSchema, true);
  }
}

// ---------------------------------------------------------------------------------------------
// a2a-sdk: AgentCard.toJSON(AgentCard.fromJSON(card)) of @a2a-js/sdk 1.x (ts-proto codec), then
// cleanEmpty. Unknown fields vanish, snake_case aliases become camelCase, scalars are coerced with
// String()/Boolean(), and implicit-presence defaults ("", false, [], {}) are omitted.

const isSet = (v: unknown) => v !== null && v !== undefined;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null;

function read(o: unknown, name: string): unknown {
  // the SDK reads `object.field` on whatever it was given; on null that throws, as here
  return (o as Obj)[name];
}

function pick(o: unknown, field: Field, test: (v: unknown) => boolean): unknown {
  const a = read(o, field.json);
  if (test(a)) return a;
  if (field.alias !== undefined) {
    const b = read(o, field.alias);
    if (test(b)) return b;
  }
  return undefined;
}

function sdkToJson(o: unknown, m: Message): Obj {
  if (o === null || o === undefined) {
    // ts-proto reads repeated fields with `object?.x` and scalars with `object.x`: only a message
    // made of repeated fields alone (StringList) survives a null
    if (m.fields.every((x) => x.kind.t === 'strs' || x.kind.t === 'msgs')) return dict();
    throw new TypeError(`${m.name} is null`);
  }
  const out = dict();
  for (const field of m.fields) {
    const k = field.kind;
    switch (k.t) {
      case 'str': {
        const v = pick(o, field, isSet);
        if (v === undefined) continue;
        const s = String(v);
        if (field.presence === 'opt' || s !== '') out[field.json] = s;
        break;
      }
      case 'bool': {
        const v = pick(o, field, isSet);
        if (v === undefined) continue;
        const b = Boolean(v);
        if (field.presence === 'opt' || b) out[field.json] = b;
        break;
      }
      case 'strs': {
        const v = pick(o, field, Array.isArray) as unknown[] | undefined;
        if (v && v.length > 0) out[field.json] = v.map((e) => String(e));
        break;
      }
      case 'msg': {
        const v = pick(o, field, isSet);
        if (v !== undefined) out[field.json] = sdkToJson(v, k.m);
        break;
      }
      case 'msgs': {
        const v = pick(o, field, Array.isArray) as unknown[] | undefined;
        if (v && v.length > 0) out[field.json] = v.map((e) => sdkToJson(e, k.m));
        break;
      }
      case 'map':
      case 'smap': {
        const v = pick(o, field, isObject);
        if (v === undefined) continue;
        const entries = Object.entries(v as Obj).filter(([key]) => key !== '__proto__'); // lost by `acc[key] =` in the SDK
        if (entries.length === 0) continue;
        const map = dict();
        for (const [key, value] of entries) map[key] = k.t === 'map' ? sdkToJson(value, k.m) : String(value);
        out[field.json] = map;
        break;
      }
      case 'struct': {
        const v = read(o, field.json);
        if (isObject(v)) out[field.json] = v;
        break;
      }
    }
    if (m.oneof && hasOwn.call(out, field.json)) break; // first case set wins
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// spec: A2A §8.4.1 read literally. REQUIRED fields are kept even when empty, proto3 `optional`
// fields are kept when present (even `false`), implicit-presence fields at their default are
// dropped, nulls are dropped; fields outside the schema keep their non-empty values.

function specNormalize(o: Obj, m: Message, top: boolean): Obj {
  const out = dict();
  for (const key of Object.keys(o)) {
    if (top && key === 'signatures') continue;
    const v = o[key];
    if (v === null || v === undefined) continue;
    const field = m.byName.get(key);
    const kept = field ? specField(v, field) : clean(v, 1, false);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function specField(v: unknown, field: Field): unknown {
  const k = field.kind;
  const req = field.presence === 'req';
  switch (k.t) {
    case 'str':
      return v === '' && field.presence === 'imp' ? undefined : v;
    case 'bool':
      return v === false && field.presence === 'imp' ? undefined : v;
    case 'strs':
      if (!Array.isArray(v)) return clean(v, 1, false);
      return v.length === 0 && !req ? undefined : v.filter((e) => e !== null);
    case 'msg': {
      if (!isPlainObject(v)) return clean(v, 1, false);
      const sub = specNormalize(v, k.m, false);
      return Object.keys(sub).length === 0 && !req ? undefined : sub;
    }
    case 'msgs': {
      if (!Array.isArray(v)) return clean(v, 1, false);
      const items = v.filter((e) => e !== null).map((e) => (isPlainObject(e) ? specNormalize(e, k.m, false) : e));
      return items.length === 0 && !req ? undefined : items;
    }
    case 'map':
    case 'smap': {
      if (!isPlainObject(v)) return clean(v, 1, false);
      const map = dict();
      for (const key of Object.keys(v)) {
        const e = v[key];
        if (e === null || e === undefined) continue;
        map[key] = k.t === 'map' && isPlainObject(e) ? specNormalize(e, k.m, false) : e;
      }
      return Object.keys(map).length === 0 && !req ? undefined : map;
    }
    case 'struct':
      return v; // google.protobuf.Struct carries any JSON verbatim
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * JSON Pointers (RFC 6901) of the card's data that `payload` does not carry with the same value.
 * Both sides are compared with empty values removed (empties are not data in any profile); an
 * implicit-presence `false` of the schema that the profile dropped counts as absent, not unsigned.
 */
export function unsignedFields(cleanedCard: Obj, payload: Obj): string[] {
  const out: string[] = [];
  diff(cleanedCard, cleanCard(payload), AgentCardSchema, '', out);
  return out.sort(); // stable whatever the card's member order
}

/** What the schema says about a position: a message, a map of messages, or nothing known. */
type Ctx = Message | { readonly mapOf: Message } | undefined;

function diff(d: unknown, p: unknown, ctx: Ctx, path: string, out: string[]): void {
  if (Array.isArray(d)) {
    if (!Array.isArray(p) || p.length !== d.length) {
      out.push(path || '/');
      return;
    }
    for (let i = 0; i < d.length; i++) diff(d[i], p[i], ctx, `${path}/${i}`, out);
    return;
  }
  if (isPlainObject(d)) {
    if (!isPlainObject(p)) {
      out.push(path || '/');
      return;
    }
    for (const key of Object.keys(d)) {
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (ctx && 'mapOf' in ctx) {
        if (!hasOwn.call(p, key)) out.push(at);
        else diff(d[key], p[key], ctx.mapOf, at, out);
        continue;
      }
      // only the JSON name is the field for comparison: a payload renaming an alias did not sign this key
      const field = ctx?.byName.get(key);
      const known = field && field.json === key ? field : undefined;
      if (!hasOwn.call(p, key)) {
        if (!(known && known.kind.t === 'bool' && known.presence === 'imp' && d[key] === false)) out.push(at);
        continue;
      }
      diff(d[key], p[key], known ? childCtx(known) : undefined, at, out);
    }
    return;
  }
  if (d !== p) out.push(path || '/');
}

function childCtx(field: Field): Ctx {
  const k = field.kind;
  if (k.t === 'msg' || k.t === 'msgs') return k.m;
  if (k.t === 'map') return { mapOf: k.m };
  return undefined;
}
