/** `cardtrust card verify`: verify an AgentCard's signatures and the signer's identity. */
import type { Command } from '../command.js';

export const cardVerify: Command = {
  path: ['card', 'verify'],
  summary: "verify an AgentCard's signatures and signer identity",
  options: {
    bundle: { type: 'string', multiple: true },
    keys: { type: 'string', multiple: true },
    'trust-domain': { type: 'string' },
    'expect-id': { type: 'string' },
    audit: { type: 'boolean' },
    json: { type: 'boolean' },
    at: { type: 'string' },
    profile: { type: 'string', multiple: true },
  },
  positionals: { min: 1, max: 1 },
  help: `Usage: cardtrust card verify <signed.json> [--bundle <bundle>…] [--keys <jwks.json>…]
                             [--trust-domain <td>] [--expect-id <spiffe-id>]
                             [--audit] [--json] [--at <time>]
                             [--profile <profile>…]

Verifies each signature of the card: an x5c chain against the trust bundle of
the signer's trust domain (X509-SVID rules), or a kid against the pinned keys
of --keys; then the JWS signature over the card's canonical form, then the
identity binding. At least one --bundle or --keys is required. Prints a report;
exit 0 when the card is verified, 1 when it is not, 2 on bad usage or
unreadable input.

Options:
  --bundle <file>        a trust bundle: SPIFFE bundle JSON (bundle.spiffe.json)
                         or PEM (bundle.pem); repeat for several trust domains.
                         Its trust domain is read from the root certificates'
                         SPIFFE URI SAN (spiffe://<td>, as cardtrust and SPIRE
                         write them); for a bundle without one, --trust-domain
                         names it
  --keys <file>          pinned public keys: a JWK Set {"keys": [...]}, each key
                         with a kid, optionally scoped with "spiffeId" (a SPIFFE
                         ID, or spiffe://<td> for a trust domain) to the identity
                         they vouch for, or a JSON array of such sets (the
                         worker's TRUSTED_KEYS); repeatable, a kid in one place
                         only. A signature with a kid (and no x5c) verifies with
                         the key of that kid. Unscoped keys carry no identity:
                         under a binding policy their signatures are unbound
  --trust-domain <td>    the trust domain the signer must belong to (identity
                         binding); default: the bundle's, when there is one
                         bundle; none with --keys alone
  --expect-id <id>       the signer must have exactly this SPIFFE ID
  --audit                report an unbound signer without failing (audit mode)
  --json                 print the report as JSON
  --at <time>            verify as of this ISO 8601 time (default: now)
  --profile <profile>    a canonical payload profile a signature may be made
                         over: jcs-clean, a2a-sdk, spec or python-json; repeat
                         for several. The profiles given are exactly the ones
                         tried (default: jcs-clean, a2a-sdk and spec; python-json,
                         for cards signed by a2a-python's json.dumps, only when
                         named)
  -h, --help             show this help

Examples:
  cardtrust card verify card.signed.json --bundle .cardtrust/bundle.spiffe.json
  cardtrust card verify card.signed.json --keys agent-a.jwks.json --trust-domain example.org
  cardtrust card verify py.signed.json --keys py.jwks.json --profile jcs-clean --profile python-json
`,
  run: (args, io) => import('../actions/card-verify.js').then((m) => m.run(args, io)),
};
