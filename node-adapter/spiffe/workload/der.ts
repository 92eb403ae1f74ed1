/** Concatenated DER certificates (how the Workload API carries chains and bundles) split apart. */
import { TrustError } from '../core.js';

/** Most certificates in one Workload API chain or bundle. */
export const MAX_DER_CERTIFICATES = 1000;

/**
 * Splits concatenated DER SEQUENCEs. Anything that is not a whole sequence of definite-length
 * SEQUENCEs is `ERR_X509_MALFORMED`.
 */
export function splitDerCertificates(bytes: Uint8Array, what: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (out.length >= MAX_DER_CERTIFICATES) throw new TrustError('ERR_X509_MALFORMED', `workloadapi: ${what}: more than ${MAX_DER_CERTIFICATES} certificates`);
    if (bytes[i] !== 0x30 || i + 2 > bytes.length) throw new TrustError('ERR_X509_MALFORMED', `workloadapi: ${what}: not concatenated DER certificates`);
    const first = bytes[i + 1]!;
    let length: number;
    let header: number;
    if (first < 0x80) {
      length = first;
      header = 2;
    } else {
      const n = first & 0x7f;
      if (n === 0 || n > 4 || i + 2 + n > bytes.length) throw new TrustError('ERR_X509_MALFORMED', `workloadapi: ${what}: bad DER length`);
      length = 0;
      for (let k = 0; k < n; k++) length = length * 256 + bytes[i + 2 + k]!;
      header = 2 + n;
    }
    const end = i + header + length;
    if (end > bytes.length) throw new TrustError('ERR_X509_MALFORMED', `workloadapi: ${what}: a certificate runs past the end`);
    out.push(bytes.subarray(i, end));
    i = end;
  }
  if (out.length === 0) throw new TrustError('ERR_X509_MALFORMED', `workloadapi: ${what}: empty`);
  return out;
}
