/** `cardtrust session exec`: run a command in a sandbox. */
import type { Command } from '../command.js';

export const sessionExec: Command = {
  path: ['session', 'exec'],
  summary: 'run a command in an initialized sandbox',
  options: {
    daemon: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    'control-plane': { type: 'string' },
    'control-plane-token-file': { type: 'string' },
    'session-id': { type: 'string' },
    timeout: { type: 'string' },
    workdir: { type: 'string' },
    env: { type: 'string', multiple: true },
  },
  positionals: { min: 1, max: Number.POSITIVE_INFINITY },
  help: `Usage: cardtrust session exec --daemon <url> <auth> [--timeout <duration>]
                            [--workdir <dir>] [--env K=V]… -- <cmd> [<arg>…]

Runs <cmd> with its arguments (argv, no shell) in the sandbox through the
daemon's POST /api/execute, authenticated with a session token. Prints the
command's stdout and stderr and exits with its exit code (124 when it timed out).

<auth> is one of:
  --token <jwt>|-             a session token, or - to read it from stdin
  --token-file <file>         a file holding a session token
  --control-plane <url> --session-id <id>
                              mint a fresh session token at the control plane
                              (bearer from --control-plane-token-file <file> or
                              CARDTRUST_CONTROL_PLANE_TOKEN)

Options:
  --daemon <url>          the daemon's base URL (required)
  --timeout <duration>    the command's timeout, a Go duration: 500ms, 30s, 2m
                          (default: the daemon's, 60s)
  --workdir <dir>         working directory, relative to the workspace
  --env K=V               an environment variable for the command (repeatable)
  -h, --help              show this help

Example:
  cardtrust session exec --daemon http://127.0.0.1:8080 --token-file session.jwt -- echo hello
`,
  run: (args, io) => import('../actions/session-exec.js').then((m) => m.run(args, io)),
};
