import { TrustError } from '../../errors.js';

/** Rejects a TTL that is not a positive finite number (a zero or NaN TTL would mean "forever" to some stores). */
export function checkTtl(ttl: number, unit: string): void {
  if (!Number.isFinite(ttl) || ttl <= 0) throw new TrustError('ERR_INPUT_INVALID', `TTL must be a positive number of ${unit}`);
}
