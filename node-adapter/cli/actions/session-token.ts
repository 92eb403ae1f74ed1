/** `cardtrust session token`: a short-lived session token from the control plane. */
import { ControlPlaneClient } from '../../session/index.js';
import { optionalString, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { EXIT_OK, type ExitCode } from '../errors.js';
import { controlPlaneToken, remoteFailure, urlArg, writeSecret } from '../session-args.js';

/** Runs `cardtrust session token` (see the command's help text). */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const url = urlArg(values, 'control-plane');
  const token = await controlPlaneToken(values, io);
  const out = optionalString(values, 'out');
  const minted = await new ControlPlaneClient({ url, token }).sessionToken(positionals[0]!).catch(remoteFailure);
  if (out !== undefined) await writeSecret(io, out, minted.token);
  io.stdout(`${JSON.stringify(minted, null, 2)}\n`);
  return EXIT_OK;
}
