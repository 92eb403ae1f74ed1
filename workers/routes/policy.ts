/** The verification policy of a request: `{ trustDomain?, expectedId?, mode? }`, checked strictly. */
import { TrustError } from '../../shared/errors.js';
import { parseSpiffeId, parseTrustDomain } from '../../shared/spiffe/index.js';
import type { WorkerConfig } from '../config.js';

export interface Policy {
  trustDomain: string | undefined;
  expectedId: string | undefined;
  mode: 'strict' | 'audit';
}

const POLICY_KEYS = new Set(['trustDomain', 'expectedId', 'mode']);

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The effective policy: the request's values over the configured defaults. Unknown keys and
 * wrong types are `ERR_REQUEST_INVALID` (a misspelt `trustDomian` must not silently mean "none").
 *
 * @example
 * parsePolicy({ trustDomain: 'example.org', mode: 'audit' }, config)
 */
export function parsePolicy(value: unknown, config: WorkerConfig): Policy {
  if (value !== undefined && !isPlainObject(value)) throw new TrustError('ERR_REQUEST_INVALID', '"policy" must be an object');
  const p = value ?? {};
  for (const key of Object.keys(p)) {
    if (!POLICY_KEYS.has(key)) throw new TrustError('ERR_REQUEST_INVALID', `unknown policy field ${JSON.stringify(key)}`);
  }
  const { trustDomain, expectedId, mode } = p;
  if (trustDomain !== undefined && typeof trustDomain !== 'string') throw new TrustError('ERR_REQUEST_INVALID', '"policy.trustDomain" must be a string');
  if (expectedId !== undefined && typeof expectedId !== 'string') throw new TrustError('ERR_REQUEST_INVALID', '"policy.expectedId" must be a string');
  if (mode !== undefined && mode !== 'strict' && mode !== 'audit') throw new TrustError('ERR_REQUEST_INVALID', '"policy.mode" must be "strict" or "audit"');
  const td = trustDomain === undefined ? config.defaultTrustDomain : parseTrustDomain(trustDomain).name;
  if (expectedId !== undefined) parseSpiffeId(expectedId);
  return { trustDomain: td, expectedId, mode: mode ?? config.defaultMode };
}
