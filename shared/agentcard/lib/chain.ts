/**
 * The `chain` of an `x5c` signature's report: each presented certificate described for people
 * (subject, SPIFFE ID, issuer, validity, key type, SHA-256), leaf first, in the order of the
 * header. It describes what was presented, not what verified: it is there whenever the chain
 * parsed, also when it failed (an expired leaf shows its notAfter), and says nothing about trust.
 */
import { LruCache } from '../../lib/cache.js';
import type { Certificate, PublicKeyAlgorithm } from '../../x509/types.js';
import type { AgentCardCertificate } from '../types.js';

function keyType(a: PublicKeyAlgorithm): string {
  switch (a.name) {
    case 'ECDSA':
      return `EC ${a.namedCurve}`;
    case 'RSA':
      return `RSA ${a.modulusBits}`;
    case 'Ed25519':
      return 'Ed25519';
    default:
      return `unsupported (${a.oid})`;
  }
}

async function describe(cert: Certificate): Promise<AgentCardCertificate> {
  const spiffeId = cert.subjectAltName.uri.find((u) => u.startsWith('spiffe://'));
  return {
    subject: cert.subject.der.length > 2 ? cert.subject.text : '',
    ...(spiffeId === undefined ? {} : { spiffeId }),
    issuer: cert.issuer.der.length > 2 ? cert.issuer.text : '',
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    keyType: keyType(cert.publicKey.algorithm),
    sha256: await cert.fingerprint(),
  };
}

// By the parsed certificate list: the protected-header cache hands out the same frozen list for
// the same header text, so a card seen again gets its description without waiting a turn.
const described = new LruCache<readonly Certificate[], readonly AgentCardCertificate[]>(1024);

/** The description of `x5c` (a fresh array of fresh objects per call: reports are the caller's to change). */
export function describeChain(x5c: readonly Certificate[]): AgentCardCertificate[] | Promise<AgentCardCertificate[]> {
  const hit = described.get(x5c);
  if (hit) return hit.map((c) => ({ ...c }));
  return Promise.all(x5c.map(describe)).then((list) => {
    described.set(x5c, list.map((c) => ({ ...c })));
    return list;
  });
}
