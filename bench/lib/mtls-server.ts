/**
 * The server half of the mTLS bench, in its own process so its CPU is measured apart from the
 * clients: `ours` (createMtlsTlsServer over a StaticX509Source) or `node` (a plain `tls` server
 * verifying client certificates natively with `ca`), both answering `ok\n` and closing. With
 * `--rotate <per second>`, ours swaps its SVID at that rate (alternating two SVIDs).
 * Prints `port <n>` once listening; reads files from the directory given.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { StaticX509Source } from '../../node-adapter/spiffe/index.js';
import { authorizeMemberOf, createMtlsTlsServer } from '../../node-adapter/mtls/index.js';

const [mode, dir, rotateText] = process.argv.slice(2);
const read = (f: string) => readFileSync(join(dir!, f), 'utf8');
const ticketKeys = Buffer.alloc(48, 7);

if (mode === 'node') {
  const server = createServer(
    { key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', ticketKeys },
    (socket) => socket.end('ok\n'),
  );
  server.listen(0, '127.0.0.1', () => console.log(`port ${(server.address() as AddressInfo).port}`));
} else {
  const materials = [
    { certificates: read('server.pem'), privateKey: read('server.key'), bundle: read('ca.pem') },
    { certificates: read('server2.pem'), privateKey: read('server2.key'), bundle: read('ca.pem') },
  ];
  const source = await StaticX509Source.create(materials[0]!);
  const server = createMtlsTlsServer({ source, authorize: authorizeMemberOf('example.org'), onRefused: (r) => console.error(`refused ${r.code}`), ticketKeys }, (socket) => socket.end('ok\n'));
  server.listen(0, '127.0.0.1', () => console.log(`port ${(server.address() as AddressInfo).port}`));
  const perSecond = Number(rotateText ?? 0);
  if (perSecond > 0) {
    let i = 0;
    setInterval(() => void source.update(materials[++i % 2]!), 1000 / perSecond);
  }
}
