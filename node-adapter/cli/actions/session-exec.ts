/** `cardtrust session exec`: run a command in a sandbox. */
import { ControlPlaneClient, SandboxClient, goDurationMs } from '../../session/index.js';
import { optionalString, stringList, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { usageError, type ExitCode } from '../errors.js';
import { controlPlaneToken, remoteFailure, tokenArg, urlArg } from '../session-args.js';

/** Runs `cardtrust session exec` (see the command's help text); exits with the command's exit code. */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const daemonUrl = urlArg(values, 'daemon');
  const given = await tokenArg(values, io, 'session token');
  const sessionId = optionalString(values, 'session-id');
  let token: string | (() => Promise<string>);
  if (given !== undefined) {
    if (values['control-plane'] !== undefined || sessionId !== undefined) throw usageError('give a session token or --control-plane with --session-id, not both');
    token = given;
  } else {
    if (values['control-plane'] === undefined || sessionId === undefined) {
      throw usageError('missing the session token: --token, --token-file, or --control-plane with --session-id');
    }
    const cp = new ControlPlaneClient({ url: urlArg(values, 'control-plane'), token: await controlPlaneToken(values, io, 'control-plane-token-file') });
    token = async () => (await cp.sessionToken(sessionId)).token;
  }
  const env: Record<string, string> = {};
  for (const pair of stringList(values, 'env')) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw usageError(`--env: expected K=V, got '${pair}'`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const timeout = optionalString(values, 'timeout');
  if (timeout !== undefined && goDurationMs(timeout) === undefined) throw usageError(`--timeout: expected a duration such as 500ms, 30s or 2m, got '${timeout}'`);
  const workingDir = optionalString(values, 'workdir');
  const r = await new SandboxClient({ daemonUrl, token })
    .execute([...positionals], {
      ...(timeout !== undefined ? { timeout } : {}),
      ...(workingDir !== undefined ? { workingDir } : {}),
      ...(Object.keys(env).length > 0 ? { env } : {}),
    })
    .catch(remoteFailure);
  io.stdout(r.stdout);
  io.stderr(r.stderr);
  if (r.truncated) io.stderr('cardtrust: note: output was truncated by the daemon\n');
  if (r.timedOut) io.stderr('cardtrust: note: the command timed out and was killed\n');
  // the command's own exit code, whatever it is (0-255): that is what exec is for
  return r.exitCode as ExitCode;
}
