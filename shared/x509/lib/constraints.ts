/** RFC 5280 §4.2.1.10 name constraints, applied by one CA to the certificates below it. Internal. */
import { describeCertificate } from './describe.js';
import { TrustError } from '../../errors.js';
import type { GeneralSubtrees, Name } from '../types.js';
import type { ParsedCertificate } from './certificate.js';
import { attributes, rdns } from './name.js';
import { isDnsConstraint, isDomainName, isEmailConstraint, isIpConstraint, isMailbox, isUriConstraint } from './name-syntax.js';
import { OID } from './oids.js';

function violation(message: string): TrustError {
  return new TrustError('ERR_X509_NAME_CONSTRAINTS', message);
}

/** Name comparisons one `verifyChain` call may spend on name constraints (names × constraints, summed over every CA it checks). */
export const MAX_NAME_COMPARISONS = 1 << 16;

/** Comparisons made so far in this process (for tests and benchmarks: the work is bounded, not timed). */
export const constraintStats = { comparisons: 0 };

/** Work done on name constraints by one call: the running total against {@link MAX_NAME_COMPARISONS}. */
export interface ConstraintBudget {
  used: number;
}

function inSubtree(name: string, domain: string): boolean {
  return domain === '' || name === domain || (name.length > domain.length && name.endsWith(domain) && name[name.length - domain.length - 1] === '.');
}

/**
 * dNSName constraint as a permitted subtree: true when every name `name` stands for lies in the
 * subtree `constraint` (the domain and all its subdomains; `""` is every name). A wildcard
 * `*.example.com` stands for every `label.example.com`, so it is covered when `example.com` is.
 * Case-insensitive.
 */
export function matchDns(name: string, constraint: string): boolean {
  const n = name.toLowerCase();
  const c = constraint.toLowerCase();
  return inSubtree(n.startsWith('*.') ? n.slice(2) : n, c);
}

/**
 * dNSName constraint as an excluded subtree: true when **any** name `name` stands for lies in the
 * subtree `constraint`. For a wildcard `*.example.com` that is also the case when the constraint is
 * one label below its base (`bad.example.com`): the wildcard covers that host (CVE-2025-61727).
 */
export function matchDnsExcluded(name: string, constraint: string): boolean {
  const n = name.toLowerCase();
  const c = constraint.toLowerCase();
  if (!n.startsWith('*.')) return inSubtree(n, c);
  const base = n.slice(2);
  if (inSubtree(base, c)) return true;
  return c.length > base.length + 1 && c.endsWith('.' + base) && !c.slice(0, c.length - base.length - 1).includes('.');
}

/** Host constraint for URIs and mail domains: `host` exact, `.domain` strict subdomains only. */
function matchHost(host: string, constraint: string): boolean {
  const h = host.toLowerCase();
  const c = constraint.toLowerCase();
  if (c.startsWith('.')) return h.length > c.length && h.endsWith(c);
  return h === c;
}

/** The host of an absolute URI with an authority (`spiffe://td/...` → `td`); undefined when there is none. */
export function uriHost(uri: string): string | undefined {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  if (!m) return undefined;
  let host = m[1]!;
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  host = host.replace(/:[0-9]*$/, '');
  // IP literals cannot be matched against a domain constraint
  if (host === '' || host.startsWith('[') || /^[0-9.]+$/.test(host)) return undefined;
  return isDomainName(host) ? host : undefined;
}

/** rfc822Name constraint: `user@host` exact mailbox, `host` any mailbox there, `.domain` any subdomain host. */
export function matchEmail(mailbox: string, constraint: string): boolean {
  const at = mailbox.lastIndexOf('@');
  const local = mailbox.slice(0, at);
  const host = mailbox.slice(at + 1);
  const cat = constraint.lastIndexOf('@');
  if (cat >= 0) return local === constraint.slice(0, cat) && host.toLowerCase() === constraint.slice(cat + 1).toLowerCase();
  return matchHost(host, constraint);
}

/** iPAddress constraint: address and mask of the same family. */
export function matchIp(ip: Uint8Array, constraint: Uint8Array): boolean {
  const n = ip.length;
  if (constraint.length !== 2 * n) return false;
  for (let i = 0; i < n; i++) if ((ip[i]! & constraint[n + i]!) !== (constraint[i]! & constraint[n + i]!)) return false;
  return true;
}

/** directoryName constraint: the constraint's RDNs are a prefix of the name's (byte-exact RDNs). */
export function matchDirName(name: Uint8Array, constraint: Uint8Array): boolean {
  const a = rdns(name);
  const b = rdns(constraint);
  if (b.length > a.length) return false;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.end - x.start !== y.end - y.start) return false;
    for (let j = 0; j < x.end - x.start; j++) if (name[x.start + j] !== constraint[y.start + j]) return false;
  }
  return true;
}

interface Names {
  dns: readonly string[];
  uri: readonly string[];
  ip: readonly Uint8Array[];
  email: readonly string[];
  dirName: readonly Uint8Array[];
}

function namesOf(cert: ParsedCertificate): Names {
  const san = cert.subjectAltName;
  const dirName: Uint8Array[] = san.dirName.map((n: Name) => n.der);
  const email = [...san.email];
  // an empty subject (SEQUENCE with no RDNs) is not a name to constrain
  if (cert.subject.der.length > 2) {
    dirName.push(cert.subject.der);
    // RFC 5280 §4.2.1.10: emailAddress attributes in the subject are rfc822 names too
    for (const a of attributes(cert.subject.der)) {
      if (a.type === OID.emailAddress) {
        let s = '';
        for (let i = a.value.cs; i < a.value.end; i++) s += String.fromCharCode(cert.subject.der[i]!);
        email.push(s);
      }
    }
  }
  return { dns: san.dns, uri: san.uri, ip: san.ip, email, dirName };
}

function check<T>(
  form: string,
  names: readonly T[],
  permitted: readonly T[] | undefined,
  excluded: readonly T[] | undefined,
  match: (name: T, constraint: T) => boolean,
  show: (name: T) => string,
  matchExcluded: (name: T, constraint: T) => boolean = match,
): void {
  const counted = (m: (name: T, constraint: T) => boolean) => (name: T, c: T) => {
    constraintStats.comparisons++;
    return m(name, c);
  };
  const inExcluded = counted(matchExcluded);
  const inPermitted = counted(match);
  for (const name of names) {
    if (excluded?.some((c) => inExcluded(name, c))) throw violation(`${form} ${show(name)} is in an excluded subtree`);
    if (permitted && permitted.length > 0 && !permitted.some((c) => inPermitted(name, c))) {
      throw violation(`${form} ${show(name)} is outside the permitted subtrees`);
    }
  }
}

/** Throws unless every constraint is well-formed for its form (RFC 5280 §4.2.1.10); checked once per CA. */
const wellFormed = new WeakSet<ParsedCertificate>();
function checkConstraintSyntax(ca: ParsedCertificate, subtrees: readonly (GeneralSubtrees | undefined)[]): void {
  if (wellFormed.has(ca)) return;
  const bad = (form: string, c: string) => violation(`${form} constraint ${JSON.stringify(c.slice(0, 80))} of ${describeCertificate(ca)} is malformed`);
  for (const t of subtrees) {
    if (!t) continue;
    for (const c of t.dns) if (!isDnsConstraint(c)) throw bad('dNSName', c);
    for (const c of t.uri) if (!isUriConstraint(c)) throw bad('URI', c);
    for (const c of t.email) if (!isEmailConstraint(c)) throw bad('rfc822Name', c);
    for (const c of t.ip) if (!isIpConstraint(c)) throw bad('iPAddress', 'with a mask that is not a prefix');
  }
  wellFormed.add(ca);
}

const size = (a: readonly unknown[] | undefined) => a?.length ?? 0;

function checkWellFormed(form: string, names: readonly string[], ok: (n: string) => boolean): void {
  for (const n of names) if (!ok(n)) throw violation(`${form} ${JSON.stringify(n)} cannot be checked against name constraints`);
}

/**
 * Applies `ca`'s name constraints to every certificate in `below` (index 0 = the leaf).
 * Self-issued intermediates are exempt (RFC 5280 §6.1.3 (b)); excluded subtrees win.
 */
export function applyNameConstraints(ca: ParsedCertificate, below: readonly ParsedCertificate[], budget: ConstraintBudget): void {
  const nc = ca.nameConstraints;
  if (!nc) return;
  const p: GeneralSubtrees | undefined = nc.permitted;
  const x: GeneralSubtrees | undefined = nc.excluded;
  if (ca.nameConstraintsCritical && (p?.other || x?.other)) {
    throw violation('critical name constraints use a name form this validator does not support');
  }
  checkConstraintSyntax(ca, [p, x]);
  const constrains = (k: 'dns' | 'uri' | 'email') => (p?.[k].length ?? 0) > 0 || (x?.[k].length ?? 0) > 0;
  const subject: Names[] = [];
  // the cost is known before any comparison: names × constraints per form; over budget, stop first
  let cost = 0;
  for (let i = 0; i < below.length; i++) {
    const cert = below[i]!;
    if (i > 0 && cert.selfIssued) continue;
    const names = namesOf(cert);
    subject.push(names);
    cost +=
      names.dns.length * (size(p?.dns) + size(x?.dns)) +
      names.uri.length * (size(p?.uri) + size(x?.uri)) +
      names.email.length * (size(p?.email) + size(x?.email)) +
      names.ip.length * (size(p?.ip) + size(x?.ip)) +
      names.dirName.length * (size(p?.dirName) + size(x?.dirName));
  }
  if (budget.used + cost > MAX_NAME_COMPARISONS) {
    throw new TrustError(
      'ERR_X509_CONSTRAINTS_TOO_COMPLEX',
      `name constraints of ${describeCertificate(ca)} would need ${budget.used + cost} name comparisons on this path (limit ${MAX_NAME_COMPARISONS})`,
    );
  }
  budget.used += cost;
  for (const names of subject) {
    if (constrains('dns')) checkWellFormed('DNS name', names.dns, (n) => isDomainName(n.startsWith('*.') ? n.slice(2) : n));
    if (constrains('uri')) checkWellFormed('URI', names.uri, (n) => uriHost(n) !== undefined);
    // a malformed mailbox never passes a constraint check
    if (constrains('email')) checkWellFormed('email address', names.email, isMailbox);
    check('DNS name', names.dns, p?.dns, x?.dns, matchDns, (n) => n, matchDnsExcluded);
    check('URI', names.uri, p?.uri, x?.uri, (n, c) => matchHost(uriHost(n)!, c), (n) => n);
    check('email address', names.email, p?.email, x?.email, matchEmail, (n) => n);
    check('IP address', names.ip, p?.ip, x?.ip, matchIp, (n) => (n.length === 4 ? n.join('.') : 'IPv6 address'));
    check(
      'directory name',
      names.dirName,
      p?.dirName.map((n) => n.der),
      x?.dirName.map((n) => n.der),
      matchDirName,
      () => 'name',
    );
  }
}
