/**
 * A certificate chain described for people and programs: what `POST /v1/svids/x509/verify` and
 * `cardtrust svid verify --json` answer with.
 */
import type { Certificate } from '../x509/types.js';

/** One certificate of a chain, leaf first. */
export interface ChainEntry {
  readonly subject: string;
  /** The first URI SAN when it is a `spiffe://` URI (a leaf's SPIFFE ID, a signing CA's trust domain ID). */
  readonly spiffeId?: string;
  /** ISO 8601. */
  readonly notAfter: string;
  /** Hex SHA-256 of the DER. */
  readonly sha256: string;
}

/** Describes `chain` in order. */
export function describeChain(chain: readonly Certificate[]): Promise<ChainEntry[]> {
  return Promise.all(
    chain.map(async (c) => {
      const uri = c.subjectAltName.uri[0];
      return {
        subject: c.subject.text,
        ...(uri !== undefined && uri.startsWith('spiffe://') ? { spiffeId: uri } : {}),
        notAfter: c.notAfter.toISOString(),
        sha256: await c.fingerprint(),
      };
    }),
  );
}
