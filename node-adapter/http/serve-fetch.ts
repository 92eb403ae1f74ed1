/**
 * Serving a Fetch handler on a Node HTTP(S) server, with a graceful close: stop accepting, let
 * in-flight requests finish within a bound, then destroy what is left.
 */
import { createServer, type Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { toRequestListener, type FetchHandler, type ListenerOptions } from './request-listener.js';

export interface ServeOptions {
  /** A server to attach to (e.g. an https or mTLS server); default a new `http.Server`. */
  server?: Server | HttpsServer;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  maxBodyBytes?: number;
  /** How a socket becomes ConnInfo (see ListenerOptions). */
  connInfo?: ListenerOptions['connInfo'];
}

export interface ServedFetch {
  server: Server | HttpsServer;
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** Stops accepting, waits up to `graceMs` (default 5000) for in-flight requests, then destroys the rest. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Listens and serves `handler`.
 *
 * @example
 * const served = await serveFetch((req) => new Response('ok'), { port: 0 });
 * await fetch(served.url); await served.close();
 */
export async function serveFetch(handler: FetchHandler, options: ServeOptions = {}): Promise<ServedFetch> {
  const listener = toRequestListener(handler, {
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.connInfo ? { connInfo: options.connInfo } : {}),
  });
  const server = options.server ?? createServer();
  server.on('request', listener);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const scheme = 'setSecureContext' in server ? 'https' : 'http';
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `${scheme}://${shownHost}:${address.port}`,
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        // idle keep-alive connections would hold close() open; a connection whose in-flight
        // request finishes becomes idle, so sweep again until everything is gone
        const sweep = setInterval(() => server.closeIdleConnections(), 25);
        server.close(() => {
          clearTimeout(timer);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
