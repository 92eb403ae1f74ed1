/**
 * The `https_spiffe` profile of the SPIFFE Federation standard: the bundle endpoint authenticated
 * by its X509-SVID (verified against a bundle already held for the endpoint's trust domain, and
 * its SPIFFE ID required to be the configured endpoint ID), not by web PKI. The exchange rules
 * (no redirects, cap, deadline, strict parsing, sequence) are the core's `fetchSpiffeBundle`; this
 * module only supplies the authenticated connection, and nothing is sent before it verified.
 */
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { isIP } from 'node:net';
import { fetchSpiffeBundle, type FederatedEndpoint, type FetchedSpiffeBundle } from '../../shared/bundle/federation.js';
import { matchId } from '../../shared/spiffe/match.js';
import { peerCertificateChain } from '../http/conn-info.js';
import { TrustError, parseSpiffeId, verifyX509Svid, type BundleSource, type TrustBundle, type TrustDomain } from './core.js';

export interface FetchSpiffeBundleSpiffeOptions {
  readonly trustDomain: TrustDomain | string;
  /** The SPIFFE ID the endpoint's SVID must carry. */
  readonly endpointSpiffeId: string;
  /** Where the bundle that verifies the endpoint's SVID comes from (the bundle held so far, or the local trust domain's). */
  readonly bundles: BundleSource;
  readonly previous?: TrustBundle;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

/** A `fetch` over one SPIFFE-authenticated TLS connection per call (GET only, no client certificate). */
function spiffeAuthenticatedFetch(endpointId: string, bundles: BundleSource): typeof fetch {
  const want = parseSpiffeId(endpointId);
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method: 'GET',
          headers: { accept: 'application/json' },
          ...(init.signal ? { signal: init.signal } : {}),
          createConnection: (_opts: unknown, callback: (err: Error | null, socket: Duplex) => void) => {
            const socket = tlsConnect({
              host: url.hostname.replace(/^\[|\]$/g, ''),
              port: Number(url.port || 443),
              ...(isIP(url.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: url.hostname }),
              // the endpoint is authenticated below by its SVID, not by web PKI or hostname
              rejectUnauthorized: false,
              checkServerIdentity: () => undefined,
            });
            socket.once('error', (err) => callback(err, socket));
            socket.once('secureConnect', () => {
              verifyX509Svid(peerCertificateChain(socket), bundles, { usage: 'serverAuth' }).then(
                ({ id }) => {
                  try {
                    matchId(want)(id);
                  } catch {
                    socket.destroy();
                    return callback(new TrustError('ERR_PEER_NOT_AUTHORIZED', `federation: the bundle endpoint is ${id.toString()}, not ${want.toString()}`), socket);
                  }
                  callback(null, socket);
                },
                (err: unknown) => {
                  socket.destroy();
                  const code = err instanceof TrustError ? err.code : 'ERR_INTERNAL';
                  callback(new TrustError('ERR_PEER_CERTIFICATE_INVALID', `federation: the bundle endpoint's certificate was refused: ${code}: ${(err as Error).message}`, { cause: err }), socket);
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
    const headers = new Headers();
    for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    const status = res.statusCode ?? 0;
    const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
    if (!body) res.resume();
    return new Response(body, { status, headers });
  }) as typeof fetch;
}

/**
 * Fetches a federated bundle with the `https_spiffe` profile.
 *
 * @example
 * const { bundle } = await fetchSpiffeBundleSpiffe('https://partner.test:8443/bundle', {
 *   trustDomain: 'partner.test', endpointSpiffeId: 'spiffe://partner.test/spire/server', bundles: held,
 * })
 */
export async function fetchSpiffeBundleSpiffe(url: string, options: FetchSpiffeBundleSpiffeOptions): Promise<FetchedSpiffeBundle> {
  if (!options.bundles || typeof options.bundles.getBundle !== 'function') throw new TrustError('ERR_INPUT_INVALID', 'federation: https_spiffe needs the bundles that verify the endpoint');
  try {
    return await fetchSpiffeBundle(url, {
      trustDomain: options.trustDomain,
      fetch: spiffeAuthenticatedFetch(options.endpointSpiffeId, options.bundles),
      ...(options.previous ? { previous: options.previous } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    });
  } catch (err) {
    // the connection's own refusal, passed through fetchSpiffeBundle as ERR_FETCH_FAILED's cause
    const cause = (err as { cause?: unknown }).cause;
    if (err instanceof TrustError && err.code === 'ERR_FETCH_FAILED' && cause instanceof TrustError && cause.code.startsWith('ERR_PEER_')) throw cause;
    throw err;
  }
}

export interface HttpsSpiffeEndpointOptions {
  readonly trustDomain: string;
  readonly url: string;
  readonly endpointSpiffeId: string;
  /**
   * The bundle that authenticates the endpoint on the first fetch (obtained out of band, as the
   * Federation standard requires); later fetches use the bundle last fetched from the endpoint.
   */
  readonly bootstrapBundle: TrustBundle;
  /** Bundles of other trust domains, when the endpoint's SVID is not of the federated domain itself. */
  readonly localBundles?: BundleSource;
  readonly timeoutMs?: number;
}

/**
 * A `FederatedBundleSource` endpoint with the `https_spiffe` profile: each refresh authenticates the
 * endpoint with the bundle held so far for its trust domain (the bootstrap bundle the first time).
 *
 * @example
 * const federated = new FederatedBundleSource([httpsSpiffeEndpoint({ trustDomain: 'partner.test',
 *   url: 'https://spire.partner.test:8443', endpointSpiffeId: 'spiffe://partner.test/spire/server', bootstrapBundle })])
 */
export function httpsSpiffeEndpoint(options: HttpsSpiffeEndpointOptions): FederatedEndpoint {
  const td = options.trustDomain;
  return {
    trustDomain: td,
    url: options.url,
    fetchBundle: (previous) => {
      const held = previous ?? options.bootstrapBundle;
      const bundles: BundleSource = {
        getBundle: (other) => {
          const name = typeof other === 'string' ? other : other.name;
          if (name === held.trustDomain.name) return held;
          if (options.localBundles) return options.localBundles.getBundle(other);
          throw new TrustError('ERR_BUNDLE_NOT_FOUND', `federation: no bundle of ${name} to authenticate the endpoint of ${td}`);
        },
      };
      return fetchSpiffeBundleSpiffe(options.url, {
        trustDomain: td,
        endpointSpiffeId: options.endpointSpiffeId,
        bundles,
        ...(previous ? { previous } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    },
  };
}
