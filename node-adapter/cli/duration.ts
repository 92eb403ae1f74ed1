/** Durations on the command line: `90s`, `30m`, `24h`, `7d`, or groups such as `1h30m`. */
import { usageError } from './errors.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
// 100 years: far beyond any CA lifetime, small enough that Date arithmetic stays exact
const MAX_MS = 100 * 365 * UNIT_MS.d;

/**
 * Parses a duration into milliseconds. Units: s, m, h, d; groups largest first, each unit once.
 * Throws ERR_USAGE (naming `flag`) for anything else, zero, or more than 100 years.
 *
 * @example
 * parseDuration('24h') // 86_400_000
 * parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string, flag = '--ttl'): number {
  const bad = () => usageError(`${flag}: invalid duration '${text}' (use e.g. 30m, 24h, 7d)`);
  if (!/^(\d{1,9}d)?(\d{1,9}h)?(\d{1,9}m)?(\d{1,9}s)?$/.test(text) || text === '') throw bad();
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([dhms])/g)) ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  if (ms <= 0) throw usageError(`${flag}: duration must be positive`);
  if (ms > MAX_MS) throw usageError(`${flag}: duration '${text}' is too long`);
  return ms;
}

/**
 * A readable duration for messages: the largest exact units.
 *
 * @example
 * formatDuration(5_400_000) // '1h30m'
 */
export function formatDuration(ms: number): string {
  let rest = Math.floor(ms / 1000);
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out || '0s';
}
