/** `cardtrust card fetch`: fetch an AgentCard over mTLS and prove who served and who signed it. */
import type { Command } from '../command.js';

export const cardFetch: Command = {
  path: ['card', 'fetch'],
  summary: 'fetch an AgentCard over mTLS: the TLS peer, the signer, the verdict',
  options: {
    'svid-dir': { type: 'string' },
    'workload-api': { type: 'string' },
    'svid-wait': { type: 'string' },
    'expect-id': { type: 'string' },
    keys: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  help: `Usage: cardtrust card fetch <https://host:port> (--svid-dir <dir> | --workload-api <addr>)
                            [--expect-id <spiffe-id>] [--keys <jwks.json>…]
                            [--svid-wait <duration>] [--json]

Fetches /.well-known/agent-card.json (the legacy /.well-known/agent.json on
404) over mutual TLS, presenting the SVID in --svid-dir and verifying the
server's X509-SVID against the bundle there (SPIFFE rules, no hostname check).
Then verifies the card's signatures against the same bundle and prints both
identities: the TLS peer (from its verified chain) and the card's signers.
The verdict is same-identity when the card verified and the agent that served
it signed it. Exit 0 on same-identity (and, with --expect-id, when both are
that ID), 1 otherwise (different identity, card not verified, TLS peer refused),
2 on bad usage, unreadable SVID files, or a fetch that failed.

Options:
  --svid-dir <dir>         svid.pem, svid_key.pem and svid_bundle.pem (the layout
                           'cardtrust ca issue' and spiffe-helper write)
  --workload-api <addr>    or the SVID from the SPIFFE Workload API: unix:///path,
                           tcp://IP:port, or 'default' for $SPIFFE_ENDPOINT_SOCKET
  --svid-wait <duration>   wait this long for the first SVID (Go duration; default 30s)
  --expect-id <id>         the TLS peer and the card's signer must both be this
                           SPIFFE ID (the TLS connection is refused otherwise)
  --keys <file>            pinned keys for kid signatures, as in 'card verify'
  --json                   print the result as JSON
  -h, --help               show this help

Example:
  cardtrust card fetch https://127.0.0.1:8443 --svid-dir .cardtrust/svids/ops \\
    --expect-id spiffe://example.org/agent/a
`,
  run: (args, io) => import('../actions/card-fetch.js').then((m) => m.run(args, io)),
};
