/**
 * A certificate named for people in messages: its subject DN, and its SPIFFE ID (or first DNS
 * name) when it has one — `O=cardtrust` alone says nothing about which certificate failed.
 */
import type { Certificate } from '../types.js';

export function describeCertificate(cert: Certificate): string {
  const subject = cert.subject.der.length > 2 ? cert.subject.text : '(empty subject)';
  const name = cert.subjectAltName.uri[0] ?? cert.subjectAltName.dns[0];
  return name === undefined ? subject : `${subject} (${name.length > 120 ? `${name.slice(0, 120)}…` : name})`;
}
