/** `cardtrust ca issue`: an X509-SVID from the dev CA. */
import type { Command } from '../command.js';

export const caIssue: Command = {
  path: ['ca', 'issue'],
  summary: 'issue an X509-SVID for a SPIFFE ID from the dev CA',
  options: {
    dir: { type: 'string' },
    ttl: { type: 'string' },
    out: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  help: `Usage: cardtrust ca issue <spiffe-id> [--dir <dir>] [--ttl <duration>] [--out <dir>]

Issues an X509-SVID (ECDSA P-256 key, signed by the intermediate CA) for a SPIFFE
ID in the CA's trust domain, in the layout SPIRE's helper writes:
  svid.pem         the SVID: leaf certificate, then the intermediate
  svid_key.pem     its private key, PKCS#8 PEM (0600)
  svid_bundle.pem  the trust bundle (the root CA), PEM
By default into <dir>/svids/<path of the ID>, e.g. .cardtrust/svids/agent/a/ for
spiffe://example.org/agent/a; existing files there are replaced atomically.

Options:
  --dir <dir>       CA folder (default .cardtrust)
  --ttl <duration>  lifetime: 90s, 30m, 24h, 7d, or groups like 1h30m (default 24h);
                    capped to the intermediate CA's remaining lifetime (with a note)
  --out <dir>       write the three files into <dir> instead
  -h, --help        show this help

Example:
  cardtrust ca issue spiffe://example.org/agent/a --dir .cardtrust --ttl 24h
`,
  run: (args, io) => import('../actions/ca-issue.js').then((m) => m.run(args, io)),
};
