/** What `svid verify` and `jwt-svid validate` print. */
import type { TrustError } from './core.js';
import type { CliIo } from './command.js';
import { EXIT_FAILED, type ExitCode } from './errors.js';
import { formatDuration } from './duration.js';

/** `2030-01-01T00:00:00.000Z (in 3h 20m)` or `… (expired 2d ago)`. */
export function expiry(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  return `${at.toISOString()} (${ms >= 0 ? `in ${formatDuration(ms)}` : `expired ${formatDuration(-ms)} ago`})`;
}

/** A credential that did not verify: the JSON answer (with --json) and one line on stderr; exit 1. */
export function failed(io: CliIo, what: string, err: TrustError, json: boolean): ExitCode {
  if (json) io.stdout(`${JSON.stringify({ verified: false, error: { code: err.code, message: err.message } }, null, 2)}\n`);
  io.stderr(`cardtrust: ${err.code}: ${what}: not verified: ${err.message}\n`);
  return EXIT_FAILED;
}
