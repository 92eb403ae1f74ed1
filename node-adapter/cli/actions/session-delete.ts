/** `cardtrust session delete`: end a session at the control plane. */
import { ControlPlaneClient } from '../../session/index.js';
import type { ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { EXIT_OK, type ExitCode } from '../errors.js';
import { controlPlaneToken, remoteFailure, urlArg } from '../session-args.js';

/** Runs `cardtrust session delete` (see the command's help text). */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const url = urlArg(values, 'control-plane');
  const token = await controlPlaneToken(values, io);
  await new ControlPlaneClient({ url, token }).deleteSession(positionals[0]!).catch(remoteFailure);
  io.stdout(`deleted ${positionals[0]}\n`);
  return EXIT_OK;
}
