/** `cardtrust session create`: a new sandbox session at the control plane. */
import { ControlPlaneClient } from '../../session/index.js';
import { optionalString, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { EXIT_OK, type ExitCode } from '../errors.js';
import { controlPlaneToken, remoteFailure, urlArg, writeSecret } from '../session-args.js';

/** Runs `cardtrust session create` (see the command's help text). */
export async function run({ values }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const url = urlArg(values, 'control-plane');
  const token = await controlPlaneToken(values, io);
  const sessionId = optionalString(values, 'session-id');
  const out = optionalString(values, 'bootstrap-out');
  const created = await new ControlPlaneClient({ url, token }).createSession(sessionId !== undefined ? { sessionId } : {}).catch(remoteFailure);
  if (out !== undefined) await writeSecret(io, out, created.bootstrapToken);
  io.stdout(`${JSON.stringify(created, null, 2)}\n`);
  return EXIT_OK;
}
