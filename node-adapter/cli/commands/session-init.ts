/** `cardtrust session init`: initialize a sandbox daemon with a bootstrap token. */
import type { Command } from '../command.js';

export const sessionInit: Command = {
  path: ['session', 'init'],
  summary: 'initialize a sandbox daemon with a bootstrap token',
  options: {
    daemon: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    retries: { type: 'string' },
    timeout: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  help: `Usage: cardtrust session init --daemon <url> (--token <jwt>|- | --token-file <file>)
                            [--retries <n>] [--timeout <seconds>]

Sends the bootstrap token to the daemon's POST /init, so it registers the
session's public key. Retries (with the same token) after a timeout, a dropped
connection, 429 or 5xx; a daemon already initialized with this token's key is
success, one initialized with another key is ERR_ALREADY_INITIALIZED (exit 1).
Prints the outcome and the registered key's RFC 7638 thumbprint.

Options:
  --daemon <url>         the daemon's base URL (required)
  --token <jwt>|-        the bootstrap token, or - to read it from stdin (a flag
                         value shows in 'ps'; the token is single-use and
                         short-lived, but prefer - or --token-file)
  --token-file <file>    a file holding the bootstrap token
  --retries <n>          attempts after the first (default 4)
  --timeout <seconds>    deadline of each attempt (default 10)
  -h, --help             show this help

Example:
  cardtrust session init --daemon http://127.0.0.1:8080 --token-file bootstrap.jwt
`,
  run: (args, io) => import('../actions/session-init.js').then((m) => m.run(args, io)),
};
