/** `cardtrust jwt-svid validate`: validate a JWT-SVID against trust bundles. */
import type { Command } from '../command.js';

export const jwtSvidValidate: Command = {
  path: ['jwt-svid', 'validate'],
  summary: 'validate a JWT-SVID for an audience against trust bundles',
  options: {
    audience: { type: 'string', multiple: true },
    bundle: { type: 'string', multiple: true },
    'trust-domain': { type: 'string' },
    'expect-id': { type: 'string' },
    at: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  help: `Usage: cardtrust jwt-svid validate <token | -> --audience <aud>… --bundle <bundle>…
                                   [--trust-domain <td>] [--expect-id <spiffe-id>]
                                   [--at <time>] [--json]

Validates a JWT-SVID (the token itself, or - to read it from stdin, which keeps
it out of the process list and shell history): the signature with the JWT
authority of the subject's trust domain (kid), the algorithm allowlist, typ, exp,
nbf and iat, and that aud holds one of the --audience values; then the subject
against the policy. Prints the SPIFFE ID, expiry and claims; exit 0 when valid,
1 when not, 2 on bad usage or a file that cannot be read.

Options:
  --audience <aud>       an audience this validator is; repeatable (one must match)
  --bundle <file>        a trust bundle with JWT authorities (bundle.spiffe.json,
                         use "jwt-svid"); repeatable
  --trust-domain <td>    the subject must belong to this trust domain; also names
                         a bundle without X.509 roots (a JWT-only bundle)
  --expect-id <id>       the subject must be exactly this SPIFFE ID
  --at <time>            validate as of this ISO 8601 time (default: now)
  --json                 print the result as JSON (the HTTP API's answer)
  -h, --help             show this help

Example:
  cardtrust jwt-svid validate - --audience spiffe://example.org/api --bundle bundle.spiffe.json < token.jwt
`,
  run: (args, io) => import('../actions/jwt-svid-validate.js').then((m) => m.run(args, io)),
};
