/**
 * Syntax of the GeneralName forms path validation reads (RFC 5280 §4.2.1.6, §4.2.1.10): what a
 * well-formed subjectAltName entry and a well-formed name constraint look like. Internal.
 */

// RFC 1034 §3.5 / RFC 1123 §2.1 labels (letters, digits, hyphens inside; ≤ 63 octets). Underscores are
// tolerated: private PKIs and pre-2019 web PKI certificates carry them (docs/x509.md).
const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const DOMAIN = new RegExp(`^(?:${LABEL}\\.)*${LABEL}$`, 'i');

/** A domain name in preferred name syntax: dot-separated labels, no empty label, no trailing dot, ≤ 253 octets. */
export function isDomainName(name: string): boolean {
  return name.length <= 253 && DOMAIN.test(name);
}

/** A subjectAltName dNSName: a domain name, optionally with `*.` as its whole leftmost label. */
export function isDnsSan(name: string): boolean {
  return isDomainName(name.startsWith('*.') ? name.slice(2) : name);
}

/** A subjectAltName rfc822Name: `local@domain`, exactly one `@`, a non-empty local part, a domain name. */
export function isMailbox(name: string): boolean {
  const at = name.indexOf('@');
  if (at <= 0 || at !== name.lastIndexOf('@')) return false;
  // printable ASCII without spaces in the local part (IA5 is already checked to be ASCII)
  if (!/^[\x21-\x7e]+$/.test(name.slice(0, at))) return false;
  return isDomainName(name.slice(at + 1));
}

function isIpv4(host: string): boolean {
  const parts = host.split('.');
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

// RFC 3986 characters: unreserved, reserved and percent-encodings
const URI_CHARS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;

/**
 * A subjectAltName uniformResourceIdentifier: an absolute URI with a scheme and a non-empty
 * scheme-specific part, in RFC 3986 characters; when it has an authority (`scheme://`), the host is
 * a domain name, an IPv4 address or a bracketed IPv6 literal (RFC 5280 §4.2.1.6: "URIs that include
 * an authority MUST include a fully qualified domain name or IP address as the host").
 */
export function isUriSan(uri: string): boolean {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:(.+)$/s.exec(uri);
  if (!m || !URI_CHARS.test(uri)) return false;
  const rest = m[1]!;
  if (!rest.startsWith('//')) return true;
  let authority = /^\/\/([^/?#]*)/.exec(rest)![1]!;
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  if (authority.startsWith('[')) return /^\[[0-9A-Fa-f:.]+\](?::[0-9]*)?$/.test(authority) && authority.includes(':');
  const host = authority.replace(/:[0-9]*$/, '');
  return isIpv4(host) || isDomainName(host);
}

/** A dNSName constraint: `""` (every name) or a domain name. A leading period belongs to URI and email constraints only. */
export function isDnsConstraint(c: string): boolean {
  return c === '' || isDomainName(c);
}

/** A URI constraint: a host (`host.example`) or a domain (`.example`) (RFC 5280 §4.2.1.10). */
export function isUriConstraint(c: string): boolean {
  return isDomainName(c.startsWith('.') ? c.slice(1) : c);
}

/** An rfc822Name constraint: a mailbox, a host, or a domain with a leading period. */
export function isEmailConstraint(c: string): boolean {
  if (c.includes('@')) return isMailbox(c);
  return isDomainName(c.startsWith('.') ? c.slice(1) : c);
}

/** An iPAddress constraint: address and a contiguous prefix mask of the same family (8 or 32 octets). */
export function isIpConstraint(c: Uint8Array): boolean {
  const n = c.length / 2;
  if (n !== 4 && n !== 16) return false;
  let ended = false;
  for (let i = n; i < c.length; i++) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (c[i]! >> bit) & 1;
      if (set && ended) return false;
      if (!set) ended = true;
    }
  }
  return true;
}
