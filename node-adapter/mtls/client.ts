/**
 * mTLS clients over an X.509 source: present the current SVID, verify the server's chain by the
 * X509-SVID rules against the bundle of the server's trust domain, authorize its SPIFFE ID, and
 * only then hand the connection to HTTP — nothing is written to a server before it is verified.
 * SPIFFE certificates carry no DNS names: there is no hostname check; the SPIFFE ID is the identity.
 */
import { request as httpsRequest, Agent as HttpsAgent, type AgentOptions, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import { connect as tlsConnect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { TrustError, parseSpiffeId, verifyX509Svid, type BundleSource } from '../spiffe/core.js';
import { peerCertificateChain } from '../http/conn-info.js';
import type { X509Source } from '../spiffe/types.js';
import type { Authorizer } from './authorize.js';
import { PeerVerifier, type VerifiedPeer } from './peer.js';
import { peerOf, rememberPeer } from './server.js';

/** Default deadline for connect + handshake + verification of one connection. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default deadline for a whole `mtlsFetch` exchange (connect, headers and body). */
export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

export interface MtlsClientOptions {
  readonly source: X509Source;
  /** Which servers may be talked to, by verified SPIFFE ID. */
  readonly authorize: Authorizer;
  /** Deadline for connect, handshake and verification; default 10 s. */
  readonly connectTimeoutMs?: number;
}

// options an https.Agent would honour and that would change who is trusted: refused, not ignored
const TRUST_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'checkServerIdentity', 'secureContext', 'minVersion', 'maxVersion', 'ciphers'] as const;

function refuseTrustOptions(where: string, options: object): void {
  for (const name of TRUST_OPTIONS) {
    if (name in options && (options as Record<string, unknown>)[name] !== undefined) {
      throw new TrustError('ERR_INPUT_INVALID', `mtls: ${where}: option ${name} cannot be honoured (the X509 source and the authorizer decide what is presented and trusted)`);
    }
  }
}

/**
 * An `https.Agent` for mTLS: every new connection presents the source's current SVID and is
 * handed to the request only after the server's chain verified and its ID was authorized.
 * Keep-alive connections stay as they were verified; TLS sessions are not resumed, so every new
 * connection verifies a full chain.
 *
 * @example
 * const agent = new MtlsAgent({ source, authorize: authorizeId('spiffe://example.org/api') })
 * https.get('https://127.0.0.1:8443/', { agent }, (res) => …)
 */
export class MtlsAgent extends HttpsAgent {
  readonly #source: X509Source;
  readonly #verifier: PeerVerifier;
  readonly #connectTimeoutMs: number;
  #context: { generation: number; context: SecureContext } | undefined;

  constructor(options: MtlsClientOptions & Omit<AgentOptions, (typeof TRUST_OPTIONS)[number]>) {
    if (!options || typeof options !== 'object') throw new TrustError('ERR_INPUT_INVALID', 'mtls: MtlsAgent needs { source, authorize }');
    refuseTrustOptions('MtlsAgent', options);
    const { source, authorize, connectTimeoutMs, ...agentOptions } = options;
    super({ ...agentOptions, maxCachedSessions: 0 });
    this.#verifier = new PeerVerifier(source, 'serverAuth', authorize);
    this.#source = source;
    this.#connectTimeoutMs = connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  #secureContext(): SecureContext {
    const material = this.#source.current();
    if (this.#context?.generation !== material.generation) {
      this.#context = {
        generation: material.generation,
        context: createSecureContext({ key: material.svid.privateKeyPem, cert: material.svid.certificatePem, minVersion: 'TLSv1.3' }),
      };
    }
    return this.#context.context;
  }

  /** Opens, verifies and authorizes one connection (Node's agent callback form). */
  override createConnection(requestOptions: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    const options = requestOptions as Record<string, unknown>;
    const cb = once(callback ?? (() => {}));
    const done = (err: Error | null, socket?: TLSSocket) => cb(err, socket as unknown as Duplex);
    let socket: TLSSocket;
    try {
      refuseTrustOptions('request', options);
      const host = String(options['host'] ?? 'localhost');
      const servername = typeof options['servername'] === 'string' && options['servername'] !== '' ? options['servername'] : host;
      socket = tlsConnect({
        host,
        port: Number(options['port'] ?? 443),
        ...(isIP(servername) ? {} : { servername }),
        secureContext: this.#secureContext(),
        minVersion: 'TLSv1.3',
        ALPNProtocols: ['http/1.1'],
        // the server's chain is verified below by the core, by SPIFFE rules, before any byte is sent
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
      });
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
      return undefined;
    }
    const timer = setTimeout(() => {
      const err = new TrustError('ERR_FETCH_TIMEOUT', `mtls: no verified connection within ${this.#connectTimeoutMs} ms`);
      socket.destroy(err);
    }, this.#connectTimeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      done(err instanceof TrustError ? err : new TrustError('ERR_FETCH_FAILED', `mtls: connection failed: ${describeSocketError(err)}`, { cause: err }));
    });
    socket.once('secureConnect', () => {
      this.#verifier.verifySocket(socket).then(
        (peer) => {
          clearTimeout(timer);
          rememberPeer(socket, peer);
          done(null, socket);
        },
        (err: unknown) => {
          clearTimeout(timer);
          socket.destroy();
          done(err as Error);
        },
      );
    });
    return undefined;
  }
}

function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let called = false;
  return (...args) => {
    if (called) return;
    called = true;
    fn(...args);
  };
}

function describeSocketError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  // TLS alerts from the peer (it refused our certificate) name themselves in the code
  return code ? `${code}${/alert/i.test(err.message) ? ` (${err.message.replace(/^.*?:(error:)?/, '').slice(0, 160)})` : ''}` : err.message.slice(0, 160);
}

export interface MtlsFetchInit extends MtlsClientOptions {
  readonly method?: string;
  readonly headers?: Record<string, string> | Headers;
  readonly body?: string | Uint8Array;
  readonly signal?: AbortSignal;
  /** Deadline for the whole exchange, the body included; default 10 s. */
  readonly timeoutMs?: number;
  /** `error` (default): a 3xx answer is `ERR_FETCH_REDIRECT_NOT_ALLOWED`; `manual`: it is returned. Redirects are never followed. */
  readonly redirect?: 'error' | 'manual';
  /** Reuse connections across calls; default a new agent per call (closed when the body is read). */
  readonly agent?: MtlsAgent;
}

/** A fetch `Response` with the verified identity of the server that sent it. */
export type MtlsResponse = Response & { readonly peer: VerifiedPeer };

const INIT_KEYS = new Set(['source', 'authorize', 'connectTimeoutMs', 'method', 'headers', 'body', 'signal', 'timeoutMs', 'redirect', 'agent']);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` over mTLS: `https:` only; the server must present an X509-SVID that verifies under the
 * source's bundle for its trust domain and that `authorize` accepts. Any option that would change
 * trust, and any option this function does not know, is refused rather than ignored.
 *
 * @example
 * const res = await mtlsFetch('https://127.0.0.1:8443/api', { source, authorize: authorizeId('spiffe://example.org/api') })
 * console.log(res.status, res.peer.id.toString(), await res.text())
 */
export async function mtlsFetch(url: string | URL, init: MtlsFetchInit): Promise<MtlsResponse> {
  if (!init || typeof init !== 'object') throw new TrustError('ERR_INPUT_INVALID', 'mtlsFetch: { source, authorize } is required');
  for (const key of Object.keys(init)) {
    if (!INIT_KEYS.has(key)) throw new TrustError('ERR_INPUT_INVALID', `mtlsFetch: option ${key} cannot be honoured`);
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch (err) {
    throw new TrustError('ERR_INPUT_INVALID', 'mtlsFetch: not a URL', { cause: err });
  }
  if (target.protocol !== 'https:') throw new TrustError('ERR_INPUT_INVALID', `mtlsFetch: only https: URLs can be fetched over mTLS (got ${target.protocol})`);
  if (target.username || target.password) throw new TrustError('ERR_INPUT_INVALID', 'mtlsFetch: URLs with credentials are refused');
  const redirect = init.redirect ?? 'error';
  if (redirect !== 'error' && redirect !== 'manual') throw new TrustError('ERR_INPUT_INVALID', `mtlsFetch: redirect ${String(redirect)} cannot be honoured (redirects are never followed)`);
  if (init.agent !== undefined && !(init.agent instanceof MtlsAgent)) throw new TrustError('ERR_INPUT_INVALID', 'mtlsFetch: agent must be an MtlsAgent');
  const ownAgent = init.agent === undefined;
  const agent = init.agent ?? new MtlsAgent({ source: init.source, authorize: init.authorize, ...(init.connectTimeoutMs ? { connectTimeoutMs: init.connectTimeoutMs } : {}) });
  const timeoutMs = init.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  const headers: Record<string, string> = {};
  if (init.headers) new Headers(init.headers).forEach((v, k) => (headers[k] = v));

  const mapError = (err: unknown): Error => {
    if (timeout.aborted) return new TrustError('ERR_FETCH_TIMEOUT', `mtlsFetch: no answer from ${target.origin} within ${timeoutMs} ms`, { cause: err });
    if (init.signal?.aborted) return err as Error;
    if (err instanceof TrustError) return err;
    return new TrustError('ERR_FETCH_FAILED', `mtlsFetch: ${target.origin}: ${describeSocketError(err as Error)}`, { cause: err });
  };

  let res: IncomingMessage;
  try {
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest(target, { method: init.method ?? 'GET', headers, agent, signal }, resolve);
      req.once('error', reject);
      req.end(init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : Buffer.from(init.body));
    });
  } catch (err) {
    if (ownAgent) agent.destroy();
    throw mapError(err);
  }
  const peer = peerOf(res.socket as TLSSocket);
  if (!peer) {
    res.destroy();
    if (ownAgent) agent.destroy();
    throw new TrustError('ERR_INTERNAL', 'mtlsFetch: the response came on a connection that was not verified');
  }
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400 && redirect === 'error') {
    res.destroy();
    if (ownAgent) agent.destroy();
    throw new TrustError('ERR_FETCH_REDIRECT_NOT_ALLOWED', `mtlsFetch: ${target.origin} answered ${status} (redirects are not followed)`);
  }
  if (ownAgent) res.once('close', () => agent.destroy());
  const response = toFetchResponse(res, init.method ?? 'GET');
  // the deadline covers the body too: reading it then fails with ERR_FETCH_TIMEOUT
  if (response.body) signal.addEventListener('abort', () => res.destroy(mapError(signal.reason)), { once: true });
  Object.defineProperty(response, 'peer', { value: peer, enumerable: true });
  return response as MtlsResponse;
}

/** A Node response as a fetch `Response` (the body streamed; none for HEAD, 1xx, 204, 205, 304). */
export function toFetchResponse(res: IncomingMessage, method: string): Response {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  let body: ReadableStream<Uint8Array> | null = null;
  if (NULL_BODY.has(status) || method.toUpperCase() === 'HEAD') res.resume();
  else {
    res.once('error', () => {});
    body = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
  }
  return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
}

/**
 * A `fetch` (GET) whose every connection is authenticated by the server's X509-SVID against
 * `bundles` and required to be `serverId`, without a client certificate — what the `https_spiffe`
 * federation profile needs. Nothing is sent before the server verified.
 */
export function serverAuthenticatedFetch(serverId: string, bundles: BundleSource): typeof fetch {
  const want = parseSpiffeId(serverId);
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method: 'GET',
          headers: { accept: 'application/json' },
          ...(init.signal ? { signal: init.signal } : {}),
          createConnection: (_opts: unknown, callback: (err: Error | null, socket: Duplex) => void) => {
            const socket = tlsConnect({
              host,
              port: Number(url.port || 443),
              ...(isIP(host) ? {} : { servername: url.hostname }),
              // the server is authenticated below by its SVID, not by web PKI or hostname
              rejectUnauthorized: false,
              checkServerIdentity: () => undefined,
            });
            socket.once('error', (err) => callback(err, socket));
            socket.once('secureConnect', () => {
              verifyX509Svid(peerCertificateChain(socket), bundles, { usage: 'serverAuth' }).then(
                ({ id }) => {
                  if (id.toString() !== want.toString()) {
                    socket.destroy();
                    return callback(new TrustError('ERR_PEER_NOT_AUTHORIZED', `mtls: the server is ${id.toString()}, not ${want.toString()}`), socket);
                  }
                  callback(null, socket);
                },
                (err: unknown) => {
                  socket.destroy();
                  const code = err instanceof TrustError ? err.code : 'ERR_INTERNAL';
                  callback(new TrustError('ERR_PEER_CERTIFICATE_INVALID', `mtls: the server certificate was refused: ${code}: ${(err as Error).message}`, { cause: err }), socket);
                },
              );
            });
            return undefined;
          },
        } as Parameters<typeof httpsRequest>[1],
        resolve,
      );
      req.once('error', reject);
      req.end();
    });
    return toFetchResponse(res, 'GET');
  }) as typeof fetch;
}
