/** `cardtrust ca init`: a dev root and intermediate CA for one trust domain. */
import type { Command } from '../command.js';

export const caInit: Command = {
  path: ['ca', 'init'],
  summary: 'create a dev root and intermediate CA for a trust domain',
  options: {
    'trust-domain': { type: 'string' },
    dir: { type: 'string' },
    force: { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  help: `Usage: cardtrust ca init --trust-domain <td> [--dir <dir>] [--force]

Creates a development certificate authority for one SPIFFE trust domain: a
self-signed root CA (10 years) and an intermediate CA (5 years), both ECDSA P-256,
name-constrained to spiffe://<td>. Writes into <dir>:
  root.pem, root_key.pem                  root CA certificate and PKCS#8 key (0600)
  intermediate.pem, intermediate_key.pem  intermediate CA certificate and key (0600)
  bundle.pem                              the trust bundle (the root), PEM
  bundle.spiffe.json                      the trust bundle as a SPIFFE bundle (JWKS)

Options:
  --trust-domain <td>  the trust domain, e.g. example.org (required)
  --dir <dir>          CA folder (default .cardtrust)
  --force              replace an existing CA in <dir> (otherwise ERR_FILE_EXISTS)
  -h, --help           show this help

Example:
  cardtrust ca init --trust-domain example.org --dir .cardtrust
`,
  run: (args, io) => import('../actions/ca-init.js').then((m) => m.run(args, io)),
};
