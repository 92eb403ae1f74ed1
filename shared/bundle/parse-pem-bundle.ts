import type { TrustDomain } from '../spiffe/id.js';
import { TrustBundle } from './trust-bundle.js';

/**
 * A bundle of the CA certificates in a PEM text, for `trustDomain`. Text between PEM blocks is
 * ignored (as OpenSSL does); stray or broken markers are `ERR_PEM_MALFORMED`; a block that is not
 * a CERTIFICATE, or no certificate at all, is `ERR_BUNDLE_INVALID`.
 *
 * @example
 * const bundle = parsePemBundle(await readFile('svid_bundle.pem', 'utf8'), 'example.org')
 */
export function parsePemBundle(pem: string, trustDomain: TrustDomain | string): TrustBundle {
  return TrustBundle.fromPem(trustDomain, pem);
}
