/** `cardtrust daemon`: the sandbox daemon, wire-compatible with AgentCube PicoD. */
import type { Command } from '../command.js';

export const daemon: Command = {
  path: ['daemon'],
  summary: 'run the sandbox daemon (PicoD-compatible HTTP API)',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    workspace: { type: 'string' },
    'session-id': { type: 'string' },
    'bootstrap-public-key': { type: 'string' },
    issuer: { type: 'string' },
    audience: { type: 'string' },
    redis: { type: 'string' },
    'max-timeout': { type: 'string' },
    auth: { type: 'string' },
    'svid-dir': { type: 'string' },
    'workload-api': { type: 'string' },
    'svid-wait': { type: 'string' },
    'allowed-client-id': { type: 'string', multiple: true },
    'allowed-trust-domain': { type: 'string', multiple: true },
  },
  positionals: { min: 0, max: 0 },
  help: `Usage: cardtrust daemon [--port <n>] [--host <addr>] [--workspace <dir>]
                        [--session-id <id>] [--bootstrap-public-key <file>]
                        [--issuer <iss>] [--audience <aud>] [--redis <url>]
                        [--max-timeout <duration>]
                        [--auth jwt|mtls|both] [--svid-dir <dir> | --workload-api <addr>]
                        [--svid-wait <duration>]
                        [--allowed-client-id <spiffe-id>…] [--allowed-trust-domain <td>…]

Runs the sandbox daemon: AgentCube PicoD's HTTP API (GET /health, POST /init,
POST /api/execute, POST/GET/DELETE /api/files) with a stricter workspace jail,
process-group timeouts, capped output and a minimal child environment. POST
/init registers the session key of a bootstrap token signed by the control
plane's bootstrap key; /api/* then needs "Authorization: Bearer <session
token>" (--auth jwt, the default). With --auth mtls the daemon serves HTTPS
with mutual TLS: the client's X509-SVID is verified against the bundle in
--svid-dir, its SPIFFE ID must be allowed, and that is the authentication (no
/init, no session token); --auth both needs the client certificate and the
session token. See docs/sessions.md and docs/mtls.md. Stops on SIGTERM or SIGINT: stops accepting,
lets in-flight requests finish (up to 10 s), kills running commands, exit 0.

Options:
  --port <n>                    TCP port (default 8080, as PicoD; 0 = any free port)
  --host <addr>                 address to listen on (default 0.0.0.0)
  --workspace <dir>             the directory commands and files live in; created
                                if missing (default: the current directory)
  --session-id <id>             tokens must carry sub = this id (default: any
                                session, for warm-pool daemons)
  --bootstrap-public-key <file> the control plane's bootstrap public key: PEM
                                SPKI or a JWK, EC P-256 (ES256) or RSA (RS256);
                                default: the key itself in the environment
                                variable CARDTRUST_BOOTSTRAP_PUBLIC_KEY. Required
                                unless --auth mtls
  --issuer <iss>                the iss tokens must carry (default cardtrust)
  --audience <aud>              the aud tokens must carry (default cardtrust-sandbox)
  --redis <url>                 redis://host:port for a replay guard shared by
                                several daemons (default: in memory, one daemon)
  --max-timeout <duration>      the longest execute timeout a request may ask for,
                                a Go duration (default 5m; AgentCube's SDK sends 120s)
  --auth <mode>                 jwt (default): bootstrap and session tokens;
                                mtls: the verified client certificate alone;
                                both: the client certificate and the tokens
  --svid-dir <dir>              the daemon's SVID (svid.pem, svid_key.pem,
                                svid_bundle.pem, as spiffe-helper and 'cardtrust
                                ca issue' write them), reloaded when it rotates.
                                mtls and both need it or --workload-api
  --workload-api <addr>         the daemon's SVID from the SPIFFE Workload API:
                                unix:///path, tcp://IP:port, or 'default' for
                                $SPIFFE_ENDPOINT_SOCKET; updates are streamed
  --svid-wait <duration>        wait this long for the SVID files at start (Go
                                duration, default 30s); then refuse to start
  --allowed-client-id <id>      a SPIFFE ID that may call (repeatable)
  --allowed-trust-domain <td>   any SPIFFE ID of this trust domain may call
                                (repeatable); mtls and both need one of the two
  -h, --help                    show this help

Examples:
  cardtrust daemon --workspace /workspace --bootstrap-public-key bootstrap_pub.pem
  CARDTRUST_BOOTSTRAP_PUBLIC_KEY="$(cat bootstrap_pub.pem)" cardtrust daemon --port 9000 --redis redis://127.0.0.1:6379
  cardtrust daemon --auth mtls --svid-dir /run/spiffe --allowed-trust-domain example.org
`,
  run: (args, io) => import('../actions/daemon.js').then((m) => m.run(args, io)),
};
