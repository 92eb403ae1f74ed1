/** `cardtrust session init`: initialize a sandbox daemon with a bootstrap token. */
import { initializeSandbox } from '../../session/index.js';
import { optionalString, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { remoteFailure, tokenArg, urlArg } from '../session-args.js';

/** Runs `cardtrust session init` (see the command's help text). */
export async function run({ values }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const daemon = urlArg(values, 'daemon');
  const token = await tokenArg(values, io, 'bootstrap token');
  if (token === undefined) throw usageError('missing the bootstrap token: --token <jwt>|- or --token-file <file>');
  const retries = intArg(optionalString(values, 'retries'), '--retries', 0, 20, 4);
  const timeoutMs = intArg(optionalString(values, 'timeout'), '--timeout', 1, 600, 10) * 1000;
  const r = await initializeSandbox(daemon, token, { retries, timeoutMs }).catch(remoteFailure);
  io.stdout(`${r.status} ${r.thumbprint}\n`);
  return EXIT_OK;
}

function intArg(text: string | undefined, flag: string, min: number, max: number, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^\d{1,4}$/.test(text) || Number(text) < min || Number(text) > max) throw usageError(`${flag}: expected an integer from ${min} to ${max}`);
  return Number(text);
}
