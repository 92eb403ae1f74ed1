/**
 * `cardtrust`: a dev certificate authority for SPIFFE X509-SVIDs, and AgentCard signing and
 * verification, on the command line. The bin (`node-adapter/bin/cardtrust.ts`, compiled; or the
 * dev launcher `node-adapter/bin/cardtrust.mjs`, from source) calls {@link main}; see docs/cli.md.
 */
import { parseCommandArgs, wantsHelp } from './args.js';
import type { CliIo, Command } from './command.js';
import { CliError, EXIT_OK, EXIT_USAGE, describeFailure, usageError, type ExitCode } from './errors.js';
import { caInit } from './commands/ca-init.js';
import { caIssue } from './commands/ca-issue.js';
import { cardSign } from './commands/card-sign.js';
import { cardVerify } from './commands/card-verify.js';
import { cardFetch } from './commands/card-fetch.js';
import { daemon } from './commands/daemon.js';
import { helper } from './commands/helper.js';
import { serve } from './commands/serve.js';
import { svidVerify } from './commands/svid-verify.js';
import { jwtSvidValidate } from './commands/jwt-svid-validate.js';
import { sessionCreate } from './commands/session-create.js';
import { sessionDelete } from './commands/session-delete.js';
import { sessionExec } from './commands/session-exec.js';
import { sessionInit } from './commands/session-init.js';
import { sessionToken } from './commands/session-token.js';

const COMMANDS: readonly Command[] = [
  caInit,
  caIssue,
  cardSign,
  cardVerify,
  cardFetch,
  svidVerify,
  jwtSvidValidate,
  sessionCreate,
  sessionToken,
  sessionDelete,
  sessionInit,
  sessionExec,
  serve,
  daemon,
  helper,
];

const GROUPS: Readonly<Record<string, string>> = {
  ca: 'a development certificate authority for one SPIFFE trust domain',
  card: 'sign and verify A2A AgentCards',
  svid: 'verify X509-SVIDs',
  'jwt-svid': 'validate JWT-SVIDs',
  session: 'sandbox sessions: the control plane and the sandbox daemon, as a client',
};

const TOP_HELP = `cardtrust: sign and verify A2A AgentCards with SPIFFE X509-SVIDs

Usage: cardtrust <command> <subcommand> [options]

Commands:
${COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(19)}${c.summary}`).join('\n')}

Options:
  -h, --help      this help
  -V, --version   print the version (cardtrust <version>)

Run 'cardtrust <command> <subcommand> --help' for its options.
Exit codes: 0 success (card verified), 1 failed (card not verified),
            2 bad usage or unreadable input;
            'session exec' exits with the command's own exit code.
Errors are one line on stderr: cardtrust: ERR_CODE: message
`;

function groupHelp(group: string): string {
  const cmds = COMMANDS.filter((c) => c.path[0] === group);
  return `cardtrust ${group}: ${GROUPS[group]}

Usage: cardtrust ${group} <subcommand> [options]

Subcommands:
${cmds.map((c) => `  ${(c.path[1] ?? '').padEnd(10)}${c.summary}`).join('\n')}

Run 'cardtrust ${group} <subcommand> --help' for its options.
`;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
  env: process.env,
};

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves to the process exit code.
 * Never throws: failures are printed as one line on stderr.
 *
 * @example
 * process.exitCode = await main(['card', 'verify', 'signed.json', '--bundle', 'bundle.pem'])
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<ExitCode> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    const { line, exitCode } = describeFailure(err);
    io.stderr(`${line}\n`);
    if (io.env.CARDTRUST_DEBUG) io.stderr(`${debugText(err)}\n`);
    return exitCode;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [group, sub, ...rest] = argv;
  if (group === 'help') return argv.length === 1 ? dispatch(['--help'], io) : dispatch([...argv.slice(1), '--help'], io);
  if (group === undefined || group === '--help' || group === '-h') {
    // bare `cardtrust` is a usage mistake: help goes to stderr with exit 2
    io[group === undefined ? 'stderr' : 'stdout'](TOP_HELP);
    return group === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (group === '--version' || group === '-V') {
    io.stdout(`${await version()}\n`);
    return EXIT_OK;
  }
  const single = COMMANDS.find((c) => c.path.length === 1 && c.path[0] === group);
  if (single) return runCommand(single, argv.slice(1), io);
  if (!Object.hasOwn(GROUPS, group)) throw usageError(`unknown command '${group}' (see 'cardtrust --help')`);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io[sub === undefined ? 'stderr' : 'stdout'](groupHelp(group));
    return sub === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const cmd = COMMANDS.find((c) => c.path[0] === group && c.path[1] === sub);
  if (!cmd) throw usageError(`unknown command '${group} ${sub}' (see 'cardtrust ${group} --help')`);
  return runCommand(cmd, rest, io);
}

async function runCommand(cmd: Command, rest: readonly string[], io: CliIo): Promise<ExitCode> {
  if (wantsHelp(rest)) {
    io.stdout(cmd.help);
    return EXIT_OK;
  }
  let args;
  try {
    args = parseCommandArgs(rest, cmd.options, cmd.positionals.min, cmd.positionals.max);
  } catch (err) {
    if (err instanceof CliError) throw usageError(`${err.message} (see 'cardtrust ${cmd.path.join(' ')} --help')`);
    throw err;
  }
  return cmd.run(args, io);
}

async function version(): Promise<string> {
  const { packageVersion } = await import('./package-version.js');
  return `cardtrust ${await packageVersion()}`;
}

function debugText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? (e.stack ?? String(e)) : String(e));
  }
  return parts.join('\ncaused by: ');
}
