/**
 * How the CLI fails: one line `cardtrust: ERR_CODE: message` on stderr and an exit code that says
 * whether the command ran and failed (1) or could not run as asked (2: bad usage, unreadable input).
 */
import { TrustError, type ErrorCode } from '../../shared/errors.js';

/** The command did what was asked (for `card verify`: the card verified). */
export const EXIT_OK = 0;
/** The command ran and the answer is no (not verified), or the operation failed. */
export const EXIT_FAILED = 1;
/** Bad usage, or an input file that cannot be read or parsed. */
export const EXIT_USAGE = 2;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_USAGE;

/**
 * A failure the CLI reports and exits on. Carries the exit code next to the TrustError code.
 *
 * @example
 * throw new CliError('ERR_USAGE', 'missing card file', EXIT_USAGE)
 */
export class CliError extends TrustError {
  readonly exitCode: ExitCode;

  constructor(code: ErrorCode, message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

/**
 * A usage error (exit 2).
 *
 * @example
 * if (!id) throw usageError('missing SPIFFE ID')
 */
export function usageError(message: string): CliError {
  return new CliError('ERR_USAGE', message, EXIT_USAGE);
}

/**
 * Runs `fn`, which reads or parses an input named `what`; any failure becomes an exit-2 error whose
 * message names the input. The code of a TrustError is kept; anything else is ERR_INPUT_INVALID.
 *
 * @example
 * const bundle = await asInput('--bundle bundle.pem', () => parsePemBundle(text))
 */
export async function asInput<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof TrustError) throw new CliError(err.code, `${what}: ${err.message}`, EXIT_USAGE, { cause: err });
    throw new CliError('ERR_INPUT_INVALID', `${what}: cannot be parsed`, EXIT_USAGE, { cause: err });
  }
}

/** The one stderr line for a failure, and its exit code. Unknown exceptions never leak their text. */
export function describeFailure(err: unknown): { line: string; exitCode: ExitCode } {
  if (err instanceof CliError) return { line: `cardtrust: ${err.code}: ${err.message}`, exitCode: err.exitCode };
  if (err instanceof TrustError) return { line: `cardtrust: ${err.code}: ${err.message}`, exitCode: EXIT_FAILED };
  return { line: 'cardtrust: ERR_INTERNAL: unexpected error (set CARDTRUST_DEBUG=1 for details)', exitCode: EXIT_FAILED };
}
