/**
 * SPIFFE IDs and trust domains, exactly per the SPIFFE-ID standard (§2) and with go-spiffe v2's
 * parsing behaviour: no normalisation, no percent-decoding, lowercase scheme and trust domain only.
 */
import { TrustError } from '../errors.js';

/** Longest trust domain name: the RFC 3986 host limit the SPIFFE-ID standard (§2.3) adopts. */
export const MAX_TRUST_DOMAIN_LENGTH = 255;
/** Longest SPIFFE ID, scheme included (SPIFFE-ID standard §2.3). IDs are ASCII, so chars = bytes. */
export const MAX_SPIFFE_ID_LENGTH = 2048;

const SCHEME_PREFIX = 'spiffe://';
// Only parse functions may construct the classes: every instance is valid by construction.
const BRAND: unique symbol = Symbol('spiffeid');

/** A SPIFFE trust domain name such as `example.org`. Obtain one with {@link parseTrustDomain}. */
export class TrustDomain {
  readonly name: string;

  /** @internal use {@link parseTrustDomain} */
  constructor(brand: typeof BRAND, name: string) {
    if (brand !== BRAND) throw new TrustError('ERR_INTERNAL', 'spiffeid: use parseTrustDomain()');
    this.name = name;
    Object.freeze(this);
  }

  /** The bare name, e.g. `example.org`. */
  toString(): string {
    return this.name;
  }

  toJSON(): string {
    return this.name;
  }

  /** The trust domain's own SPIFFE ID string, e.g. `spiffe://example.org`. */
  idString(): string {
    return SCHEME_PREFIX + this.name;
  }

  /** The trust domain's own SPIFFE ID (empty path). */
  id(): SpiffeId {
    return new SpiffeId(BRAND, this, '');
  }

  /** Exact comparison (names are already lowercase, so this is also the standard's comparison). */
  equals(other: TrustDomain | string): boolean {
    return this.name === (typeof other === 'string' ? other : other.name);
  }
}

/** A parsed SPIFFE ID: a trust domain and a path (`''` or `/seg/...`). Obtain one with {@link parseSpiffeId}. */
export class SpiffeId {
  readonly trustDomain: TrustDomain;
  /** `''` for the trust domain's own ID, otherwise `/`-separated segments with a leading `/`. */
  readonly path: string;

  /** @internal use {@link parseSpiffeId} */
  constructor(brand: typeof BRAND, trustDomain: TrustDomain, path: string) {
    if (brand !== BRAND) throw new TrustError('ERR_INTERNAL', 'spiffeid: use parseSpiffeId()');
    this.trustDomain = trustDomain;
    this.path = path;
    Object.freeze(this);
  }

  /** The URI form, e.g. `spiffe://example.org/ns/prod/sa/web`. */
  toString(): string {
    return SCHEME_PREFIX + this.trustDomain.name + this.path;
  }

  toJSON(): string {
    return this.toString();
  }

  /** True when the ID belongs to `td`. */
  memberOf(td: TrustDomain | string): boolean {
    return this.trustDomain.equals(typeof td === 'string' ? parseTrustDomain(td) : td);
  }

  /** True when both IDs are the same string. */
  equals(other: SpiffeId | string): boolean {
    return this.toString() === (typeof other === 'string' ? other : other.toString());
  }
}

function quote(s: string): string {
  // Messages stay bounded even for hostile input; JSON quoting keeps control characters visible.
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

function tdCharRule(c: number): string | undefined {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x5f) return undefined;
  switch (c) {
    case 0x3a:
      return 'trust domain cannot contain a port';
    case 0x40:
      return 'trust domain cannot contain userinfo';
    case 0x25:
      return 'percent-encoding is not allowed';
    case 0x3f:
      return 'query is not allowed';
    case 0x23:
      return 'fragment is not allowed';
  }
  if (c >= 0x41 && c <= 0x5a) return 'trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores (uppercase found)';
  return 'trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores';
}

function pathCharRule(c: number): string | undefined {
  if (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2e ||
    c === 0x2d ||
    c === 0x5f
  )
    return undefined;
  switch (c) {
    case 0x3f:
      return 'query is not allowed';
    case 0x23:
      return 'fragment is not allowed';
    case 0x25:
      return 'percent-encoding is not allowed';
  }
  return 'path segment characters are limited to letters, numbers, dots, dashes, and underscores';
}

/** Returns the rule a path breaks, or undefined. `path` is `''` or starts with `/`. */
function pathRule(path: string): string | undefined {
  if (path === '') return undefined;
  if (path.charCodeAt(0) !== 0x2f) return 'path must have a leading slash';
  let segStart = 0;
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 0x2f;
    if (c === 0x2f) {
      const seg = path.slice(segStart + 1, i);
      if (seg === '') return i === path.length ? 'path cannot have a trailing slash' : 'path cannot contain empty segments';
      if (seg === '.' || seg === '..') return 'path cannot contain dot segments';
      segStart = i;
      continue;
    }
    const rule = pathCharRule(c);
    if (rule) return rule;
  }
  return undefined;
}

function idError(s: string, rule: string): TrustError {
  return new TrustError('ERR_SPIFFE_ID_INVALID', `spiffeid: invalid SPIFFE ID ${quote(s)}: ${rule}`);
}

function tdError(s: string, rule: string): TrustError {
  return new TrustError('ERR_TRUST_DOMAIN_INVALID', `spiffeid: invalid trust domain ${quote(s)}: ${rule}`);
}

/**
 * Parses a SPIFFE ID string. Throws `ERR_SPIFFE_ID_INVALID` naming the broken rule.
 *
 * @example
 * const id = parseSpiffeId('spiffe://example.org/ns/prod/sa/web')
 * id.trustDomain.name // 'example.org'
 * id.path             // '/ns/prod/sa/web'
 */
export function parseSpiffeId(s: string): SpiffeId {
  if (typeof s !== 'string') throw new TrustError('ERR_SPIFFE_ID_INVALID', 'spiffeid: SPIFFE ID must be a string');
  if (s === '') throw idError(s, 'cannot be empty');
  if (s.length > MAX_SPIFFE_ID_LENGTH) throw idError(s, `longer than ${MAX_SPIFFE_ID_LENGTH} bytes`);
  // Case-sensitive on purpose: the standard's scheme is `spiffe`, and go-spiffe rejects `SPIFFE://`.
  if (!s.startsWith(SCHEME_PREFIX)) throw idError(s, 'scheme is missing or invalid');
  let i = SCHEME_PREFIX.length;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2f) break;
    const rule = tdCharRule(c);
    if (rule) throw idError(s, rule);
  }
  const name = s.slice(SCHEME_PREFIX.length, i);
  if (name === '') throw idError(s, 'trust domain is missing');
  if (name.length > MAX_TRUST_DOMAIN_LENGTH) throw idError(s, `trust domain is longer than ${MAX_TRUST_DOMAIN_LENGTH} bytes`);
  const path = s.slice(i);
  const rule = pathRule(path);
  if (rule) throw idError(s, rule);
  return new SpiffeId(BRAND, new TrustDomain(BRAND, name), path);
}

/**
 * Parses a trust domain from a bare name (`example.org`) or a SPIFFE ID (`spiffe://example.org/x`),
 * as go-spiffe's `TrustDomainFromString` does. Throws `ERR_TRUST_DOMAIN_INVALID`.
 *
 * @example
 * parseTrustDomain('example.org').idString()             // 'spiffe://example.org'
 * parseTrustDomain('spiffe://example.org/workload').name // 'example.org'
 */
export function parseTrustDomain(s: string): TrustDomain {
  if (typeof s !== 'string') throw new TrustError('ERR_TRUST_DOMAIN_INVALID', 'spiffeid: trust domain must be a string');
  if (s === '') throw tdError(s, 'trust domain is missing');
  if (s.includes(':/')) {
    try {
      return parseSpiffeId(s).trustDomain;
    } catch (err) {
      const reason = err instanceof TrustError ? err.message.replace(/^spiffeid: invalid SPIFFE ID "(?:[^"\\]|\\.)*": /, '') : 'invalid';
      throw new TrustError('ERR_TRUST_DOMAIN_INVALID', `spiffeid: invalid trust domain ${quote(s)}: ${reason}`, { cause: err });
    }
  }
  if (s.length > MAX_TRUST_DOMAIN_LENGTH) throw tdError(s, `longer than ${MAX_TRUST_DOMAIN_LENGTH} bytes`);
  for (let i = 0; i < s.length; i++) {
    const rule = tdCharRule(s.charCodeAt(i));
    if (rule) throw tdError(s, rule);
  }
  return new TrustDomain(BRAND, s);
}

/** Internal: accepts a parsed value or a string. */
export function toSpiffeId(id: SpiffeId | string): SpiffeId {
  return id instanceof SpiffeId ? id : parseSpiffeId(id);
}

/** Internal: accepts a parsed value or a string (bare name or SPIFFE ID). */
export function toTrustDomain(td: TrustDomain | string): TrustDomain {
  return td instanceof TrustDomain ? td : parseTrustDomain(td);
}
