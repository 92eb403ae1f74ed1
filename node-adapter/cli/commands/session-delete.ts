/** `cardtrust session delete`: end a session at the control plane. */
import type { Command } from '../command.js';

export const sessionDelete: Command = {
  path: ['session', 'delete'],
  summary: "delete a session (its sealed key) at the control plane",
  options: {
    'control-plane': { type: 'string' },
    'token-file': { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  help: `Usage: cardtrust session delete <session-id> --control-plane <url> [--token-file <file>]

Deletes the session at the control plane (DELETE /v1/sessions/<id>): its sealed
key is removed, so no further session token can be minted for it. Tokens already
minted stay valid until they expire (at most 5 minutes).

Options:
  --control-plane <url>  the worker's base URL (required)
  --token-file <file>    a file holding the control-plane bearer token; default:
                         the CARDTRUST_CONTROL_PLANE_TOKEN environment variable
  -h, --help             show this help

Example:
  cardtrust session delete demo --control-plane http://127.0.0.1:8787
`,
  run: (args, io) => import('../actions/session-delete.js').then((m) => m.run(args, io)),
};
