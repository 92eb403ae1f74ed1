/** `cardtrust serve`: the verification service (the Worker's app) in Node. */
import type { Command } from '../command.js';

export const serve: Command = {
  path: ['serve'],
  summary: 'run the verification service in Node (the Worker\'s API; Redis, metrics)',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'env-file': { type: 'string' },
    metrics: { type: 'boolean' },
    'metrics-port': { type: 'string' },
    'svid-dir': { type: 'string' },
    'workload-api': { type: 'string' },
    'svid-wait': { type: 'string' },
    'allowed-client-id': { type: 'string', multiple: true },
    'allowed-trust-domain': { type: 'string', multiple: true },
    grace: { type: 'string' },
    'no-access-log': { type: 'boolean' },
  },
  positionals: { min: 0, max: 0 },
  help: `Usage: cardtrust serve [--port <n>] [--host <addr>] [--env-file <file>]
                       [--metrics] [--metrics-port <n>] [--grace <duration>]
                       [--svid-dir <dir> | --workload-api <addr>] [--svid-wait <duration>]
                       [--allowed-client-id <spiffe-id>…] [--allowed-trust-domain <td>…]
                       [--no-access-log]

Runs the verification service: the Worker's HTTP API (the same app, so the same
endpoints, errors and limits; see docs/worker.md) on a Node HTTP server.
Configuration is the Worker's variables (TRUST_BUNDLES, DEFAULT_TRUST_DOMAIN,
RATE_LIMIT, …) read from the environment, or from --env-file (the dotenv format
of wrangler's .dev.vars; a variable set in the environment wins). With
REDIS_URL=redis://host:port the rate limit, jku cache, session keys and
federated bundles live in Redis, shared by every serve process on it; serve
refuses to start if Redis does not answer within 5 s.

One JSON access-log line per request goes to stdout (method, route pattern,
status, error code, duration, client; never bodies or tokens); other messages
go to stderr. SIGTERM or SIGINT stops accepting, lets in-flight requests finish
within --grace, closes Redis and exits 0.

Options:
  --port <n>               TCP port (default 8787; 0 picks a free one)
  --host <addr>            address to listen on (default 127.0.0.1)
  --env-file <file>        read the variables from this dotenv file
  --metrics                serve GET /metrics (Prometheus text) on this port too
  --metrics-port <n>       serve GET /metrics on its own port (same host) instead
  --grace <duration>       bound on finishing in-flight requests at shutdown
                           (a Go duration: 500ms, 10s; default 10s)
  --svid-dir <dir>         serve HTTPS with mutual TLS, with the SVID and bundle
                           files in <dir> (spiffe-helper layout; rotated live)
  --workload-api <addr>    the same, from the SPIFFE Workload API (unix:///path,
                           or 'default' for $SPIFFE_ENDPOINT_SOCKET)
  --svid-wait <duration>   how long to wait for the first SVID (default 30s)
  --allowed-client-id <id> with mTLS: a client SPIFFE ID that may call; repeatable
  --allowed-trust-domain <td>
                           with mTLS: clients of this trust domain may call;
                           repeatable (mTLS needs one of these two)
  --no-access-log          no access-log lines
  -h, --help               show this help

Examples:
  cardtrust serve --env-file .dev.vars
  REDIS_URL=redis://127.0.0.1:6379 cardtrust serve --env-file .dev.vars --metrics-port 9464
`,
  run: (args, io) => import('../actions/serve.js').then((m) => m.run(args, io)),
};
