/** `cardtrust session token`: a short-lived session token from the control plane. */
import type { Command } from '../command.js';

export const sessionToken: Command = {
  path: ['session', 'token'],
  summary: 'mint a session token for an initialized sandbox',
  options: {
    'control-plane': { type: 'string' },
    'token-file': { type: 'string' },
    out: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  help: `Usage: cardtrust session token <session-id> --control-plane <url>
                             [--token-file <file>] [--out <file>]

Asks the control plane (POST /v1/sessions/<id>/token) for a session token: an
ES256 JWT signed with the session's key, valid at most 5 minutes, that the
sandbox daemon accepts as 'Authorization: Bearer' on /api/*. Prints
{"token","expiresAt"} as JSON.

Options:
  --control-plane <url>  the worker's base URL (required)
  --token-file <file>    a file holding the control-plane bearer token; default:
                         the CARDTRUST_CONTROL_PLANE_TOKEN environment variable
  --out <file>           also write the session token to <file> (0600)
  -h, --help             show this help

Example:
  cardtrust session token demo --control-plane http://127.0.0.1:8787 --out session.jwt
`,
  run: (args, io) => import('../actions/session-token.js').then((m) => m.run(args, io)),
};
