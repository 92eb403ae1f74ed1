/** `cardtrust svid verify`: verify an X509-SVID chain against trust bundles. */
import type { Command } from '../command.js';

export const svidVerify: Command = {
  path: ['svid', 'verify'],
  summary: 'verify an X509-SVID (a PEM chain) against trust bundles',
  options: {
    bundle: { type: 'string', multiple: true },
    'trust-domain': { type: 'string' },
    'expect-id': { type: 'string' },
    usage: { type: 'string' },
    at: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  help: `Usage: cardtrust svid verify <svid.pem> --bundle <bundle>… [--trust-domain <td>]
                             [--expect-id <spiffe-id>] [--usage client|server]
                             [--at <time>] [--json]

Verifies an X509-SVID: the PEM file holds the leaf first, then any intermediates
(as SPIRE and spiffe-helper write svid.pem). The chain is verified against the
bundle of the leaf's trust domain with the X509-SVID rules and RFC 5280 path
validation, then the leaf's SPIFFE ID against the policy. Prints the SPIFFE ID,
its expiry and the verified path; exit 0 when verified, 1 when not (the
certificates are malformed, the chain does not verify or the ID is not
allowed), 2 on bad usage or a file that cannot be read.

Options:
  --bundle <file>        a trust bundle (bundle.spiffe.json or PEM); repeatable
  --trust-domain <td>    the SVID must belong to this trust domain; also names
                         a bundle whose roots carry no spiffe://<td> URI SAN
  --expect-id <id>       the SVID must have exactly this SPIFFE ID
  --usage <u>            the leaf must allow this extended key usage: client
                         (clientAuth) or server (serverAuth); default any
  --at <time>            verify as of this ISO 8601 time (default: now)
  --json                 print the result as JSON (the HTTP API's answer)
  -h, --help             show this help

Example:
  cardtrust svid verify .cardtrust/svids/agent/a/svid.pem --bundle .cardtrust/bundle.spiffe.json
`,
  run: (args, io) => import('../actions/svid-verify.js').then((m) => m.run(args, io)),
};
