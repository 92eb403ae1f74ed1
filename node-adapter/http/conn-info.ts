/**
 * Who is on the other end of a connection, as the Fetch apps see it (hono's `getConnInfo` model):
 * the remote address and, on TLS, the peer's certificate chain. Apps never see Node types.
 */
import type { Socket } from 'node:net';
import type { TLSSocket, DetailedPeerCertificate } from 'node:tls';

export interface ConnInfo {
  remoteAddress?: string;
  remotePort?: number;
  /** Present on TLS connections. `peerSpiffeId` is filled by the mTLS layer from its verified chain. */
  tls?: { authorized: boolean; peerCertificateChainDer?: Uint8Array[]; peerSpiffeId?: string };
}

/** The chain the peer presented (leaf first), as DER; empty when it sent none. */
export function peerCertificateChain(socket: TLSSocket): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let cert = socket.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
  const seen = new Set<string>();
  while (cert && 'raw' in cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(new Uint8Array(cert.raw));
    if (!cert.issuerCertificate || cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  return chain;
}

/** The connection facts of a socket (TLS or not). */
export function connInfoOf(socket: Socket): ConnInfo {
  const info: ConnInfo = {};
  if (socket.remoteAddress !== undefined) info.remoteAddress = socket.remoteAddress;
  if (socket.remotePort !== undefined) info.remotePort = socket.remotePort;
  if ((socket as TLSSocket).encrypted) {
    const tls = socket as TLSSocket;
    const chain = peerCertificateChain(tls);
    info.tls = { authorized: tls.authorized === true, ...(chain.length > 0 ? { peerCertificateChainDer: chain } : {}) };
  }
  return info;
}
