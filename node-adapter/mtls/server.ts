/**
 * mTLS servers over an X.509 source: TLS 1.3 at least, a client certificate requested on every
 * handshake, the client's chain verified by the core (X509-SVID rules against the bundle of the
 * client's trust domain) and its SPIFFE ID authorized before any listener sees the connection.
 *
 * Listeners of `secureConnection` (and so an HTTPS server's request handlers) only ever see
 * verified, authorized peers; `peerOf(socket)` gives the identity. A refused HTTPS client gets a
 * `401`/`403` JSON error with the code and the connection closed; a refused raw TLS client is
 * disconnected. Either way a log line names the peer.
 *
 * Rotation: on every source update the server calls `setSecureContext` with the new SVID and
 * every option it was created with (TLS settings, session ticket keys, session id context), so
 * resumption survives rotations; open connections are not touched.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { connInfoOf, type ConnInfo } from '../http/conn-info.js';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { TrustError } from '../spiffe/core.js';
import { statusFor } from '../../shared/http/status.js';
import type { X509Material, X509Source } from '../spiffe/types.js';
import type { Authorizer } from './authorize.js';
import { PeerVerifier, refusalReason, type VerifiedPeer } from './peer.js';

/** TLS settings kept across rotations (anything else is fixed by the mTLS layer). */
export type MtlsTlsSettings = Pick<SecureContextOptions, 'ciphers' | 'ecdhCurve' | 'sigalgs' | 'maxVersion' | 'sessionTimeout'>;

export interface RefusedPeer {
  readonly code: TrustError['code'];
  /** For `ERR_PEER_CERTIFICATE_INVALID`: the exact X509-SVID code. */
  readonly reason?: string;
  readonly message: string;
  /** The verified SPIFFE ID, when the refusal was authorization. */
  readonly id?: string;
  readonly remoteAddress?: string;
}

export interface MtlsServerOptions {
  readonly source: X509Source;
  /** Who may connect, by verified SPIFFE ID (`authorizeAny()` for every verified peer). */
  readonly authorize: Authorizer;
  /** Called for every refused client; default a line on stderr naming the peer and the code. */
  readonly onRefused?: (refused: RefusedPeer) => void;
  readonly tls?: MtlsTlsSettings;
  /** Session ticket keys (48 bytes), kept across rotations; default random per server. */
  readonly ticketKeys?: Buffer;
  /** Handshake timeout; default Node's 120 s. */
  readonly handshakeTimeout?: number;
}

const PEERS = new WeakMap<TLSSocket, VerifiedPeer>();

/** The verified peer of a connection (or of a request's connection) an mTLS server accepted. */
export function peerOf(socketOrRequest: TLSSocket | IncomingMessage): VerifiedPeer | undefined {
  const socket = 'socket' in socketOrRequest && (socketOrRequest as IncomingMessage).socket ? (socketOrRequest as IncomingMessage).socket : socketOrRequest;
  return PEERS.get(socket as TLSSocket);
}

/** Records a verified peer for a socket (the client side shares the map). */
export function rememberPeer(socket: TLSSocket, peer: VerifiedPeer): void {
  PEERS.set(socket, peer);
}

export interface MtlsServerExtras {
  /** The verified peer of an accepted socket or request. */
  peerOf(socketOrRequest: TLSSocket | IncomingMessage): VerifiedPeer | undefined;
  /** How many times the secure context was replaced. */
  readonly rotations: number;
}

export type MtlsHttpsServer = HttpsServer & MtlsServerExtras;
export type MtlsTlsServer = TlsServer & MtlsServerExtras;

function defaultRefusedLog(r: RefusedPeer): void {
  const who = r.id ?? (r.code === 'ERR_PEER_CERTIFICATE_REQUIRED' ? 'a client without a certificate' : 'a client');
  console.error(`cardtrust mtls: refused ${who}${r.remoteAddress ? ` from ${r.remoteAddress}` : ''}: ${r.code}${r.reason ? ` (${r.reason})` : ''}: ${r.message}`);
}

function secureOptions(material: X509Material, options: MtlsServerOptions, ticketKeys: Buffer, sessionIdContext: string) {
  return {
    ...options.tls,
    key: material.svid.privateKeyPem,
    cert: material.svid.certificatePem,
    minVersion: 'TLSv1.3' as const,
    ticketKeys,
    sessionIdContext,
    requestCert: true,
    // the chain is verified by the core after the handshake (SPIFFE rules, per trust domain);
    // Node's own verification would apply hostname-era rules and one flat CA list
    rejectUnauthorized: false,
  };
}

function install<S extends TlsServer>(server: S, options: MtlsServerOptions, ticketKeys: Buffer, sessionIdContext: string, onRefusal: (socket: TLSSocket, status: number, body: string) => void): S & MtlsServerExtras {
  const verifier = new PeerVerifier(options.source, 'clientAuth', options.authorize);
  const onRefused = options.onRefused ?? defaultRefusedLog;
  let rotations = 0;
  const unsubscribe = options.source.onUpdate((material) => {
    server.setSecureContext(secureOptions(material, options, ticketKeys, sessionIdContext));
    // setSecureContext builds a new context; the ticket keys must be the old ones for resumption
    server.setTicketKeys(ticketKeys);
    rotations++;
  });
  server.once('close', unsubscribe);

  const emit = server.emit as (this: S, event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = function (this: S, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'secureConnection') return emit.apply(this, [event, ...args]);
    const socket = args[0] as TLSSocket;
    verifier.verifySocket(socket).then(
      (peer) => {
        if (socket.destroyed) return;
        PEERS.set(socket, peer);
        emit.call(server, 'secureConnection', socket);
      },
      (err: unknown) => {
        const e = err instanceof TrustError ? err : new TrustError('ERR_INTERNAL', 'mtls: peer verification failed', { cause: err });
        const reason = refusalReason(e);
        const id = e.code === 'ERR_PEER_NOT_AUTHORIZED' ? /peer (\S+) is not authorized/.exec(e.message)?.[1] : undefined;
        try {
          onRefused({ code: e.code, message: e.message, ...(reason ? { reason } : {}), ...(id ? { id } : {}), ...(socket.remoteAddress ? { remoteAddress: socket.remoteAddress } : {}) });
        } catch {
          // a failing log hook does not change the refusal
        }
        const body = JSON.stringify({ error: { code: e.code, message: e.message, ...(reason ? { reason } : {}) } });
        onRefusal(socket, e.code === 'ERR_INTERNAL' ? 500 : statusFor(e.code), body);
      },
    );
    return true;
  } as typeof server.emit;

  Object.defineProperty(server, 'rotations', { get: () => rotations, enumerable: true });
  return Object.assign(server, { peerOf }) as S & MtlsServerExtras;
}

function baseOptions(options: MtlsServerOptions) {
  if (!options || !options.source) throw new TrustError('ERR_INPUT_INVALID', 'mtls: createMtlsServer needs a source');
  const ticketKeys = options.ticketKeys ?? randomBytes(48);
  if (ticketKeys.length !== 48) throw new TrustError('ERR_INPUT_INVALID', 'mtls: ticketKeys must be 48 bytes');
  const sessionIdContext = randomBytes(16).toString('hex');
  const material = options.source.current();
  return { ticketKeys, sessionIdContext, tlsOptions: secureOptions(material, options, ticketKeys, sessionIdContext) };
}

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal Server Error', 503: 'Service Unavailable' };

/**
 * An HTTPS server whose every request comes from a verified, authorized SPIFFE peer.
 *
 * @example
 * const server = createMtlsServer({ source, authorize: authorizeMemberOf('example.org') }, (req, res) => {
 *   res.end(`hello ${peerOf(req)!.id}`)
 * })
 * server.listen(8443)
 */
export function createMtlsServer(options: MtlsServerOptions, requestListener?: (req: IncomingMessage, res: import('node:http').ServerResponse) => void): MtlsHttpsServer {
  const { ticketKeys, sessionIdContext, tlsOptions } = baseOptions(options);
  const serverOptions: HttpsServerOptions = { ...tlsOptions, ALPNProtocols: ['http/1.1'], ...(options.handshakeTimeout ? { handshakeTimeout: options.handshakeTimeout } : {}) };
  const server = requestListener ? createHttpsServer(serverOptions, requestListener) : createHttpsServer(serverOptions);
  // refused connections are not the HTTP layer's: close() must not wait for them
  const refused = new Set<TLSSocket>();
  server.on('close', () => refused.forEach((s) => s.destroy()));
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    refused.forEach((s) => s.destroy());
    return close(cb);
  }) as typeof server.close;
  return install(server, options, ticketKeys, sessionIdContext, (socket, status, body) => {
    // the HTTP layer never saw this connection: answer whatever the client sends with the error
    refused.add(socket);
    socket.once('close', () => refused.delete(socket));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
    );
    socket.setTimeout(5000, () => socket.destroy());
  });
}

/**
 * A raw TLS server whose `secureConnection` listeners only see verified, authorized SPIFFE peers;
 * refused clients are disconnected.
 *
 * @example
 * const server = createMtlsTlsServer({ source, authorize: authorizeId('spiffe://example.org/client') }, (socket) => {
 *   socket.end(`hello ${peerOf(socket)!.id}\n`)
 * })
 */
export function createMtlsTlsServer(options: MtlsServerOptions, connectionListener?: (socket: TLSSocket) => void): MtlsTlsServer {
  const { ticketKeys, sessionIdContext, tlsOptions } = baseOptions(options);
  const server = createTlsServer({ ...tlsOptions, ...(options.handshakeTimeout ? { handshakeTimeout: options.handshakeTimeout } : {}) }, connectionListener);
  return install(server, options, ticketKeys, sessionIdContext, (socket) => socket.destroy());
}

/**
 * The ConnInfo of a connection an mTLS server accepted, for Fetch apps behind `serveFetch`:
 * `tls.authorized` and `tls.peerSpiffeId` come from the verified peer, never from Node's own flag.
 *
 * @example
 * await serveFetch(app.fetch, { server: createMtlsServer({ source, authorize }), connInfo: mtlsConnInfo })
 */
export function mtlsConnInfo(socket: Socket): ConnInfo {
  const info = connInfoOf(socket);
  const peer = PEERS.get(socket as TLSSocket);
  const chain = info.tls?.peerCertificateChainDer;
  info.tls = peer
    ? { authorized: true, peerSpiffeId: peer.id.toString(), ...(chain ? { peerCertificateChainDer: chain } : {}) }
    : { authorized: false, ...(chain ? { peerCertificateChainDer: chain } : {}) };
  return info;
}
