import { b64Encode } from '../lib/encoding.js';
import { certificateJwk } from './jwk.js';
import type { TrustBundle } from './trust-bundle.js';

/** One entry of a SPIFFE bundle document. */
export interface SpiffeBundleKey {
  readonly use: 'x509-svid' | 'jwt-svid';
  readonly kty: string;
  readonly kid?: string;
  readonly [member: string]: unknown;
}

/** A SPIFFE bundle document (JWK Set with the SPIFFE parameters). */
export interface SpiffeBundleDocument {
  readonly spiffe_sequence?: number;
  readonly spiffe_refresh_hint?: number;
  readonly keys: readonly SpiffeBundleKey[];
}

/**
 * The SPIFFE bundle document of a bundle as a plain object: X.509 authorities first (each an
 * `x509-svid` entry with its key members and a one-certificate `x5c`, no `kid`), then JWT
 * authorities (`jwt-svid` entries with `kid`). Deterministic, so it can back an ETag.
 *
 * @example
 * const doc = spiffeBundleToJwks(bundle)
 * doc.keys.filter((k) => k.use === 'jwt-svid').map((k) => k.kid)
 */
export function spiffeBundleToJwks(bundle: TrustBundle): SpiffeBundleDocument {
  const keys: SpiffeBundleKey[] = [];
  for (const cert of bundle.x509Authorities) keys.push({ use: 'x509-svid', ...certificateJwk(cert), x5c: [b64Encode(cert.der)] });
  for (const [kid, jwk] of bundle.jwtAuthorities) keys.push({ use: 'jwt-svid', kid, ...jwk });
  return {
    ...(bundle.sequence === undefined ? {} : { spiffe_sequence: bundle.sequence }),
    ...(bundle.refreshHint === undefined ? {} : { spiffe_refresh_hint: bundle.refreshHint }),
    keys,
  };
}

/**
 * The SPIFFE bundle document of a bundle as JSON text; `parseSpiffeBundle` reads it back to an
 * equal bundle. The trust domain is not part of the document: convey it separately.
 *
 * @example
 * return new Response(serializeSpiffeBundle(bundle), { headers: { 'content-type': 'application/json' } })
 */
export function serializeSpiffeBundle(bundle: TrustBundle, space?: number): string {
  return JSON.stringify(spiffeBundleToJwks(bundle), null, space);
}
