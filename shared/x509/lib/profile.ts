/**
 * RFC 5280 §4 profile rules on one certificate of a path: what a conforming CA must (not) put in a
 * certificate, checked on the leaf and every intermediate. The trust anchor is exempt: it is
 * configuration (RFC 5280 §6.1.1 (d)), and real roots break some of these rules (docs/x509.md).
 * The verdict depends only on the certificate's bytes, so it is computed once per certificate.
 * Internal.
 */
import { describeCertificate } from './describe.js';
import { TrustError } from '../../errors.js';
import { KeyUsage } from '../types.js';
import type { ParsedCertificate } from './certificate.js';
import { isDnsSan, isMailbox, isUriSan } from './name-syntax.js';
import { OID } from './oids.js';

const verdicts = new WeakMap<ParsedCertificate, TrustError | null>();

/** Throws the first profile rule `cert` breaks (see {@link profileError}). */
export function checkProfile(cert: ParsedCertificate): void {
  let v = verdicts.get(cert);
  if (v === undefined) {
    v = profileError(cert) ?? null;
    verdicts.set(cert, v);
  }
  if (v) throw new TrustError(v.code, v.message);
}

function criticality(cert: ParsedCertificate, oid: string): boolean | undefined {
  for (const e of cert.extensions) if (e.oid === oid) return e.critical;
  return undefined;
}

/** The rules of issue 8, in its order; undefined when the certificate keeps them all. */
export function profileError(cert: ParsedCertificate): TrustError | undefined {
  const who = `certificate ${cert.subject.der.length > 2 || cert.subjectAltName.uri.length + cert.subjectAltName.dns.length > 0 ? describeCertificate(cert) : `with serial ${cert.serialNumber}`}`;
  const ext = (message: string) => new TrustError('ERR_X509_EXTENSION_INVALID', `${who}: ${message}`);
  const name = (message: string) => new TrustError('ERR_X509_NAME_INVALID', `${who}: ${message}`);
  const isCA = cert.basicConstraints?.ca === true;

  // 1. key identifiers are never critical (§4.2.1.1, §4.2.1.2)
  if (criticality(cert, OID.authorityKeyIdentifier)) return ext('authorityKeyIdentifier is marked critical (RFC 5280 §4.2.1.1)');
  if (criticality(cert, OID.subjectKeyIdentifier)) return ext('subjectKeyIdentifier is marked critical (RFC 5280 §4.2.1.2)');
  // 2. a CA names its key; every certificate but a self-issued one names its issuer's key
  if (isCA && !cert.subjectKeyId) return ext('CA certificate without a subjectKeyIdentifier (RFC 5280 §4.2.1.2)');
  if (!cert.selfIssued && !cert.authorityKeyId) return ext('no authorityKeyIdentifier with a keyIdentifier (RFC 5280 §4.2.1.1)');
  // 3. criticality of the constraint extensions, and name constraints only in CAs
  if (isCA && criticality(cert, OID.basicConstraints) !== true) return ext('CA certificate whose basicConstraints is not critical (RFC 5280 §4.2.1.9)');
  if (criticality(cert, OID.policyConstraints) === false) return ext('policyConstraints is not critical (RFC 5280 §4.2.1.11)');
  const nc = criticality(cert, OID.nameConstraints);
  if (nc !== undefined && !isCA) return ext('nameConstraints in a certificate that is not a CA (RFC 5280 §4.2.1.10)');
  if (nc === false) return ext('nameConstraints is not critical (RFC 5280 §4.2.1.10)');
  // 4. names and serial
  if (/^0*$/.test(cert.serialNumber)) return new TrustError('ERR_X509_MALFORMED', `${who}: serial number zero (RFC 5280 §4.1.2.2: a positive integer)`);
  if (cert.subject.der.length <= 2) {
    if (isCA) return name('CA certificate with an empty subject (RFC 5280 §4.1.2.6)');
    if (criticality(cert, OID.subjectAltName) !== true) return name('empty subject without a critical subjectAltName (RFC 5280 §4.2.1.6)');
  }
  // 5. keyCertSign only with cA
  if (cert.keyUsage !== undefined && cert.keyUsage & KeyUsage.keyCertSign && !isCA) {
    return new TrustError('ERR_X509_KEY_USAGE_INVALID', `${who}: keyCertSign asserted without basicConstraints cA (RFC 5280 §4.2.1.3)`);
  }
  // 6. subjectAltName entries well-formed for their form
  const san = cert.subjectAltName;
  for (const d of san.dns) if (!isDnsSan(d)) return name(`subjectAltName dNSName ${show(d)} is not a domain name in preferred name syntax`);
  for (const e of san.email) if (!isMailbox(e)) return name(`subjectAltName rfc822Name ${show(e)} is not a mailbox (local@domain)`);
  for (const u of san.uri) if (!isUriSan(u)) return name(`subjectAltName URI ${show(u)} is not an absolute URI with a host where it has an authority`);
  // iPAddress entries are 4 or 16 octets: the parser already refuses others (ERR_X509_MALFORMED)
  return undefined;
}

function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}
