/**
 * Go `time.ParseDuration` syntax, which PicoD's `timeout` field uses: a sequence of decimal
 * numbers, each with an optional fraction and a unit (`ns`, `us`/`µs`/`μs`, `ms`, `s`, `m`, `h`),
 * e.g. `500ms`, `2m`, `1h30m`, `1.5s`. As in Go, a number without a unit (`10`) is invalid and
 * `0` alone is allowed. A leading sign is parsed as Go does; the daemon refuses durations ≤ 0.
 */
import { TrustError } from '../../shared/errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const GROUP = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Milliseconds of a Go duration string; throws `ERR_REQUEST_INVALID` naming `field`.
 *
 * @example
 * parseGoDuration('1h30m') // 5_400_000
 * parseGoDuration('500ms') // 500
 */
export function parseGoDuration(text: string, field = 'timeout'): number {
  const bad = (why: string) => new TrustError('ERR_REQUEST_INVALID', `daemon: ${field}: invalid duration ${JSON.stringify(text)} (${why})`);
  if (text.length > 64) throw bad('too long');
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad('empty');
  let ms = 0;
  GROUP.lastIndex = 0;
  let at = 0;
  while (at < rest.length) {
    GROUP.lastIndex = at;
    const m = GROUP.exec(rest);
    if (!m) throw bad(/^[\d.]+$/.test(rest.slice(at)) ? 'missing unit, e.g. 30s, 500ms, 2m' : 'expected a number and a unit: ns, us, ms, s, m, h');
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = GROUP.lastIndex;
  }
  if (!Number.isFinite(ms)) throw bad('too large');
  return sign * ms;
}
