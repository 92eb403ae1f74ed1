/** The trust domain a CA certificate or a bundle speaks for, read from the verifier's own files. */
import { TrustError, parseSpiffeId, type Certificate, type TrustDomain } from './core.js';

/**
 * The trust domain named by a CA certificate's SPIFFE URI SAN (`spiffe://<td>`, no path), as
 * `cardtrust ca init` and SPIRE write them; undefined when it has none.
 *
 * @example
 * caTrustDomain(root)?.name // 'example.org'
 */
export function caTrustDomain(cert: Certificate): TrustDomain | undefined {
  const found = new Map<string, TrustDomain>();
  for (const uri of cert.subjectAltName.uri) {
    if (!uri.startsWith('spiffe://')) continue;
    try {
      const id = parseSpiffeId(uri);
      if (id.path === '') found.set(id.trustDomain.name, id.trustDomain);
    } catch {
      // a malformed SAN names no trust domain; the caller decides whether one is required
    }
  }
  if (found.size > 1) throw new TrustError('ERR_BUNDLE_INVALID', `CA certificate ${cert.subject.text} (URI SANs ${cert.subjectAltName.uri.join(', ')}) names several trust domains`);
  return found.values().next().value;
}

/**
 * The one trust domain all of `certs` name, undefined when none names one; ERR_BUNDLE_INVALID when
 * they disagree (a file mixing trust domains cannot be scoped to one).
 *
 * @example
 * bundleTrustDomain(bundle.x509Authorities)
 */
export function bundleTrustDomain(certs: readonly Certificate[]): TrustDomain | undefined {
  let td: TrustDomain | undefined;
  for (const cert of certs) {
    const t = caTrustDomain(cert);
    if (!t) continue;
    if (td && !td.equals(t)) throw new TrustError('ERR_BUNDLE_INVALID', `the bundle mixes trust domains ${td.name} and ${t.name}`);
    td = t;
  }
  return td;
}
