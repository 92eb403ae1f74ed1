/**
 * Where a command that speaks mTLS gets its SVID: `--svid-dir` (the spiffe-helper files) or
 * `--workload-api <address>` (the SPIFFE Workload API; `default` means $SPIFFE_ENDPOINT_SOCKET),
 * exactly one of them, waiting up to `--svid-wait` for the first valid SVID.
 */
import { resolve } from 'node:path';
import { FileX509Source } from '../spiffe/file-source.js';
import { TrustError } from '../spiffe/core.js';
import type { X509Source } from '../spiffe/types.js';
import { optionalString, type ParsedArgs } from './args.js';
import type { CliIo } from './command.js';
import { parseGoDuration } from '../daemon/duration.js';
import { CliError, EXIT_USAGE, usageError } from './errors.js';

/** Default wait for SVID files a sidecar writes late, or for the agent's first SVID. */
export const DEFAULT_SVID_WAIT = '30s';

/** The options every mTLS command takes for its SVID. */
export const SVID_SOURCE_OPTIONS = {
  'svid-dir': { type: 'string' },
  'workload-api': { type: 'string' },
  'svid-wait': { type: 'string' },
} as const;

/** True when the arguments name an SVID source. */
export function hasSvidSource(values: ParsedArgs['values']): boolean {
  return values['svid-dir'] !== undefined || values['workload-api'] !== undefined;
}

/**
 * Opens the source the arguments name; anything that keeps it from a valid SVID within
 * `--svid-wait` is an exit-2 error that says why.
 */
export async function openSvidSource(values: ParsedArgs['values'], io: CliIo, log?: (line: string) => void): Promise<X509Source> {
  const dir = optionalString(values, 'svid-dir');
  const address = optionalString(values, 'workload-api');
  if (dir !== undefined && address !== undefined) throw usageError('give --svid-dir or --workload-api, not both');
  if (dir === undefined && address === undefined) throw new CliError('ERR_USAGE', 'missing required option --svid-dir or --workload-api', EXIT_USAGE);
  const waitText = optionalString(values, 'svid-wait') ?? DEFAULT_SVID_WAIT;
  let waitMs: number;
  try {
    waitMs = parseGoDuration(waitText, '--svid-wait');
  } catch {
    throw usageError(`--svid-wait: invalid duration '${waitText}' (a Go duration such as 500ms, 30s or 2m)`);
  }
  const what = dir !== undefined ? `--svid-dir ${dir}` : `--workload-api ${address}`;
  try {
    if (dir !== undefined) return await FileX509Source.open(resolve(io.cwd, dir), { waitMs, ...(log ? { log } : {}) });
    const { WorkloadX509Source } = await import('../spiffe/workload/x509-source.js');
    return await WorkloadX509Source.open({
      ...(address === 'default' ? {} : { address: address! }),
      env: io.env,
      readyTimeoutMs: waitMs,
      ...(log ? { log } : {}),
    });
  } catch (err) {
    if (err instanceof TrustError) throw new CliError(err.code, `${what}: ${err.message}`, EXIT_USAGE, { cause: err });
    throw err;
  }
}
