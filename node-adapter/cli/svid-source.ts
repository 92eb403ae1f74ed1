/** `--svid-dir` and `--svid-wait`: the workload's SVID files for commands that speak mTLS. */
import { resolve } from 'node:path';
import { FileX509Source } from '../spiffe/file-source.js';
import { TrustError } from '../spiffe/core.js';
import { optionalString, type ParsedArgs } from './args.js';
import type { CliIo } from './command.js';
import { parseGoDuration } from '../daemon/duration.js';
import { CliError, EXIT_USAGE, usageError } from './errors.js';

/** Default wait for SVID files a sidecar writes late. */
export const DEFAULT_SVID_WAIT = '30s';

/**
 * Opens `--svid-dir` (the spiffe-helper layout `ca issue` writes: svid.pem, svid_key.pem,
 * svid_bundle.pem), waiting up to `--svid-wait`; files that never arrive or stay invalid are an
 * exit-2 error that says why.
 */
export async function openSvidDir(values: ParsedArgs['values'], io: CliIo, log?: (line: string) => void): Promise<FileX509Source> {
  const dir = optionalString(values, 'svid-dir');
  if (dir === undefined) throw new CliError('ERR_USAGE', 'missing required option --svid-dir', EXIT_USAGE);
  const waitText = optionalString(values, 'svid-wait') ?? DEFAULT_SVID_WAIT;
  let waitMs: number;
  try {
    waitMs = parseGoDuration(waitText, '--svid-wait');
  } catch {
    throw usageError(`--svid-wait: invalid duration '${waitText}' (a Go duration such as 500ms, 30s or 2m)`);
  }
  try {
    return await FileX509Source.open(resolve(io.cwd, dir), { waitMs, ...(log ? { log } : {}) });
  } catch (err) {
    if (err instanceof TrustError) throw new CliError(err.code, `--svid-dir ${dir}: ${err.message}`, EXIT_USAGE, { cause: err });
    throw err;
  }
}
