/**
 * The serve rows' two references, each a bare `node:http` server in its own process (run by
 * `bench/serve.ts` with this process's loader):
 * - `fixed`: reads the body and answers a fixed JSON text. The transport alone: sockets, Node's
 *   HTTP parser and writer, syscalls.
 * - `verify`: the least a Node verification service can do per request: read the body,
 *   `JSON.parse` it, `verifyAgentCard` it against the bundle, `JSON.stringify` the report. No
 *   routing, no content-type, size or I-JSON checks, no rate limit, no error handling.
 *
 * Environment: MODE (`fixed` | `verify`), PORT, and for `verify` TRUST_DOMAIN and ROOT_PEM.
 * Prints `up` when it listens.
 */
import { createServer, type RequestListener } from 'node:http';
import { verifyAgentCard } from '../../shared/agentcard/index.js';
import { BundleSet, TrustBundle } from '../../shared/bundle/index.js';

const mode = process.env.MODE;
const port = Number(process.env.PORT);
const trustDomain = process.env.TRUST_DOMAIN ?? '';

function fixed(): RequestListener {
  return (req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"verified":true}');
    });
  };
}

function verify(): RequestListener {
  const bundles = new BundleSet([TrustBundle.fromPem(trustDomain, process.env.ROOT_PEM ?? '')]);
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void verifyAgentCard(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>, { bundles, trustDomain, mode: 'strict', at: new Date() }).then((report) => {
        const text = JSON.stringify(report);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
  };
}

if (mode !== 'fixed' && mode !== 'verify') throw new Error(`reference-server: MODE must be fixed or verify, not ${mode}`);
createServer(mode === 'fixed' ? fixed() : verify()).listen(port, '127.0.0.1', () => console.log('up'));
process.on('SIGTERM', () => process.exit(0));
