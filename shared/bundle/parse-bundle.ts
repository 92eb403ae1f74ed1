import { TrustError } from '../errors.js';
import type { TrustDomain } from '../spiffe/id.js';
import { parseSpiffeBundle, type ParseSpiffeBundleOptions } from './parse-spiffe-bundle.js';
import { TrustBundle } from './trust-bundle.js';

/**
 * A bundle from either format, told apart by content: a SPIFFE bundle (JSON JWK Set) or PEM
 * certificates. For configuration values and files whose format the operator chose.
 *
 * @example
 * const bundle = parseBundle(env.TRUST_BUNDLE, 'example.org')
 */
export function parseBundle(text: string, trustDomain: TrustDomain | string, options?: ParseSpiffeBundleOptions): TrustBundle {
  if (typeof text !== 'string') throw new TrustError('ERR_BUNDLE_INVALID', 'spiffebundle: a bundle must be text');
  const head = text.trimStart();
  if (head.startsWith('{')) return parseSpiffeBundle(text, trustDomain, options);
  if (text.includes('-----BEGIN')) return TrustBundle.fromPem(trustDomain, text);
  throw new TrustError('ERR_BUNDLE_INVALID', 'spiffebundle: neither a SPIFFE bundle (JSON) nor PEM certificates');
}
