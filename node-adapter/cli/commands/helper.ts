/** `cardtrust helper`: what spiffe-helper does, in Node. */
import type { Command } from '../command.js';

export const helper: Command = {
  path: ['helper'],
  summary: 'write the Workload API SVID to files on every rotation (spiffe-helper)',
  options: {
    'workload-api': { type: 'string' },
    dir: { type: 'string' },
    signal: { type: 'string' },
    'svid-wait': { type: 'string' },
    'jwt-audience': { type: 'string', multiple: true },
    'jwt-file': { type: 'string' },
  },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY },
  help: `Usage: cardtrust helper --workload-api <addr> --dir <dir> [--signal <SIG>]
                        [--svid-wait <duration>] [--jwt-audience <aud>… [--jwt-file <name>]]
                        [-- <cmd> [<arg>…]]

Streams the X509-SVID of this workload from the SPIFFE Workload API and, on
every update, writes svid.pem (leaf and intermediates), svid_key.pem (PKCS#8,
mode 0600) and svid_bundle.pem (the CAs of the SVID's trust domain) into
--dir, each atomically (a temporary file, fsync, rename), after validating the
update (the key matches the leaf, the leaf verifies under the bundle). With a
command after --, starts it once the first SVID is written and sends it
--signal (e.g. SIGHUP) after every later update. Runs until SIGTERM or SIGINT
(passed on to the command), then exits 0.

Options:
  --workload-api <addr>   unix:///path, tcp://IP:port, or 'default' for
                          $SPIFFE_ENDPOINT_SOCKET. Required
  --dir <dir>             where the files are written (created 0700). Required
  --signal <SIG>          signal the command gets on renewal (SIGHUP, SIGUSR1…)
  --svid-wait <duration>  how long to wait for the first SVID (default 30s)
  --jwt-audience <aud>    also keep a JWT-SVID for this audience (repeatable) in
                          --jwt-file (default jwt_svid.token, mode 0600),
                          fetched again when half of its lifetime is gone
  --jwt-file <name>       the JWT-SVID file name in --dir
  -h, --help              show this help

Example:
  cardtrust helper --workload-api unix:///run/spire/agent.sock --dir /run/svid \\
    --signal SIGHUP -- nginx -g 'daemon off;'
`,
  run: (args, io) => import('../actions/helper.js').then((m) => m.run(args, io)),
};
