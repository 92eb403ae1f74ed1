/** `cardtrust session create`: a new sandbox session at the control plane. */
import type { Command } from '../command.js';

export const sessionCreate: Command = {
  path: ['session', 'create'],
  summary: 'create a sandbox session (a bootstrap token) at the control plane',
  options: {
    'control-plane': { type: 'string' },
    'token-file': { type: 'string' },
    'session-id': { type: 'string' },
    'bootstrap-out': { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  help: `Usage: cardtrust session create --control-plane <url> [--token-file <file>]
                              [--session-id <id>] [--bootstrap-out <file>]

Asks the control plane (the worker's POST /v1/sessions) for a new session: a
fresh ECDSA P-256 session key, sealed at the control plane, and a bootstrap
token (valid 5 minutes, usable once) that carries its public key. Prints
{"sessionId","bootstrapToken","sessionKeyThumbprint","expiresAt"} as JSON.

Options:
  --control-plane <url>   the worker's base URL (required)
  --token-file <file>     a file holding the control-plane bearer token; default:
                          the CARDTRUST_CONTROL_PLANE_TOKEN environment variable
                          (never a flag value: 'ps' would show it)
  --session-id <id>       the session id to use (default: the worker makes one)
  --bootstrap-out <file>  also write the bootstrap token to <file> (0600), for
                          'cardtrust session init --token-file <file>'
  -h, --help              show this help

Example:
  cardtrust session create --control-plane http://127.0.0.1:8787 --bootstrap-out bootstrap.jwt
`,
  run: (args, io) => import('../actions/session-create.js').then((m) => m.run(args, io)),
};
