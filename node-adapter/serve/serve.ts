/**
 * `cardtrust serve`: the worker's app (`createApp`, one implementation of every endpoint) in Node,
 * through the one Node ↔ Fetch bridge. Configuration is the worker's variables; with `REDIS_URL`
 * the state (rate limit, `jku` cache, sealed session keys, federated bundles) lives in TCP Redis,
 * shared by every `serve` process on it, as Upstash serves the worker.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { TrustError } from '../../shared/errors.js';
import { json } from '../../shared/http/respond.js';
import { createApp, type App, type RequestEvent } from '../../workers/app.js';
import { parseWorkerConfig, type WorkerConfig, type WorkerEnv } from '../../workers/config.js';
import type { WorkerStores } from '../../workers/stores/create-stores.js';
import { serveFetch, DEFAULT_MAX_BODY_BYTES, type ConnInfo, type ServedFetch } from '../http/index.js';
import { createRedisStores, type RedisStores } from '../stores/index.js';
import type { X509Source } from '../spiffe/types.js';
import type { Authorizer } from '../mtls/authorize.js';
import type { RefusedPeer } from '../mtls/server.js';
import { countFailures, ServeMetrics } from './metrics.js';

/** The variable that puts the stores in TCP Redis (`redis://host:port`, `rediss://…`). */
export const REDIS_URL_VARIABLE = 'REDIS_URL';

/** Default bound on finishing in-flight requests at shutdown. */
export const DEFAULT_GRACE_MS = 10_000;

/** One access-log entry: what is safe to log — no bodies, tokens, query strings or raw paths. */
export interface AccessLogEntry {
  readonly time: string;
  readonly method: string;
  /** The route pattern (`/v1/sessions/:id/token`), not the path. */
  readonly route: string;
  readonly status: number;
  readonly code?: string;
  readonly verified?: boolean;
  readonly durationMs: number;
  /** The peer's SPIFFE ID over mTLS, else the remote address. */
  readonly client?: string;
}

export interface StartServeOptions {
  /** The worker's variables (`TRUST_BUNDLES`, `RATE_LIMIT`, …) and `REDIS_URL`. */
  readonly env: WorkerEnv;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Serve `GET /metrics` on the public listener too. Default false. */
  readonly metrics?: boolean;
  /** Serve `GET /metrics` on its own listener on this port (0: any), same host. */
  readonly metricsPort?: number;
  /** mTLS front: the service's SVID and the bundles clients are verified with. */
  readonly mtls?: { readonly source: X509Source; readonly authorize: Authorizer; readonly onRefused?: (r: RefusedPeer) => void };
  /** One call per request; default none. */
  readonly accessLog?: (entry: AccessLogEntry) => void;
  /** Verification time; default the wall clock. */
  readonly now?: () => Date;
  /** Outbound fetch (agent cards, `jku`, federation); default the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** How long to wait for Redis at start before refusing to start; default 5000 ms. */
  readonly redisWaitMs?: number;
}

export interface Serving {
  /** e.g. `http://127.0.0.1:8787` (https with mTLS). */
  readonly url: string;
  /** The metrics listener's URL, when `metricsPort` was given. */
  readonly metricsUrl: string | undefined;
  readonly config: WorkerConfig;
  readonly stores: WorkerStores['kind'];
  /** The counters behind `/metrics`; `undefined` when metrics are not served (nothing is counted then). */
  readonly metrics: ServeMetrics | undefined;
  /** Stops accepting, lets in-flight requests finish within `graceMs` (default 10 s), then closes the stores. */
  close(graceMs?: number): Promise<void>;
}

function redisStores(url: string, config: WorkerConfig, metrics: ServeMetrics | undefined): { stores: WorkerStores; redis: RedisStores } {
  if (!/^rediss?:\/\/[^/\s]+/.test(url)) throw new TrustError('ERR_CONFIG_INVALID', `${REDIS_URL_VARIABLE}: expected redis://host:port or rediss://host:port`);
  const redis = createRedisStores(url, { timeoutMs: config.storeTimeoutMs });
  const counted = <T extends object>(store: T, name: string): T => (metrics ? countFailures(store, name, metrics) : store);
  const stores: WorkerStores = {
    kind: 'redis',
    cache: counted(redis.keyValue('jwks:'), 'jku_cache'),
    replay: counted(redis.replayGuard, 'replay'),
    sealedKeys: counted(redis.sealedKeys, 'sealed_keys'),
    bundleCache: counted(redis.keyValue('bundles:'), 'bundle_cache'),
    ...(config.rateLimit ? { limiter: counted(redis.limiter(config.rateLimit), 'rate_limit') } : {}),
  };
  return { stores, redis };
}

function metricsResponse(metrics: ServeMetrics, request: Request): Promise<Response> {
  return metrics
    .render()
    .then(({ body, contentType }) => new Response(request.method === 'HEAD' ? null : body, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } }));
}

/**
 * Starts the service. Refuses to start (`ERR_CONFIG_INVALID`, `ERR_STORE_UNAVAILABLE`) rather than
 * run with a configuration it cannot honour: an invalid variable, `REDIS_URL` next to Upstash
 * variables, or a Redis that does not answer within `redisWaitMs`.
 *
 * @example
 * const s = await startServe({ env: process.env, port: 8787 });
 * // … SIGTERM:
 * await s.close();
 */
export async function startServe(options: StartServeOptions): Promise<Serving> {
  const env = options.env;
  const config = parseWorkerConfig(env);
  // counted only when served: counters (and prom-client's process collectors) nobody can read are pure cost
  const metrics = options.metrics || options.metricsPort !== undefined ? new ServeMetrics() : undefined;
  const redisUrl = typeof env[REDIS_URL_VARIABLE] === 'string' && env[REDIS_URL_VARIABLE] !== '' ? (env[REDIS_URL_VARIABLE] as string) : undefined;
  if (redisUrl && config.upstash) throw new TrustError('ERR_CONFIG_INVALID', `${REDIS_URL_VARIABLE} and UPSTASH_REDIS_REST_URL are both set: choose one store`);
  let redis: RedisStores | undefined;
  let stores: WorkerStores | undefined;
  if (redisUrl) {
    ({ stores, redis } = redisStores(redisUrl, config, metrics));
    try {
      await redis.ready(options.redisWaitMs ?? 5000);
    } catch (err) {
      await redis.close().catch(() => {});
      // shared state that is not there would silently become per-process: refuse
      throw new TrustError('ERR_STORE_UNAVAILABLE', `${REDIS_URL_VARIABLE}: Redis did not answer within ${(options.redisWaitMs ?? 5000) / 1000} s; refusing to start without the shared stores`, { cause: err });
    }
  }

  // the client of each request, for the rate limit and the access log (set by the bridge's handler)
  const clients = new WeakMap<Request, string>();
  // the app's observer event of each request (route pattern, code), kept for its access-log line
  const lastEvent = new WeakMap<Request, RequestEvent>();
  const log = options.accessLog;
  const app: App = createApp({
    config,
    ...(stores ? { stores } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.now ? { now: options.now } : {}),
    clientId: (request) => clients.get(request) ?? 'unknown',
    // the app observes requests only for someone: the metrics, or the access log
    ...(metrics || log
      ? {
          observe: (event: RequestEvent) => {
            metrics?.observe(event);
            if (log) lastEvent.set(event.request, event);
          },
        }
      : {}),
  });

  const handler = async (request: Request, conn: ConnInfo): Promise<Response> => {
    const started = performance.now();
    const client = conn.tls?.peerSpiffeId ?? conn.remoteAddress ?? 'unknown';
    clients.set(request, client);
    let response: Response;
    let route: string | undefined;
    if (metrics && options.metrics && new URL(request.url).pathname === '/metrics') {
      route = '/metrics';
      response = request.method === 'GET' || request.method === 'HEAD' ? await metricsResponse(metrics, request) : json({ error: { code: 'ERR_METHOD_NOT_ALLOWED', message: `${request.method} is not allowed on /metrics` } }, 405, { allow: 'GET, HEAD' });
    } else {
      response = await app.fetch(request);
    }
    if (log) {
      const event = lastEvent.get(request);
      log({
        time: new Date().toISOString(),
        method: request.method,
        route: route ?? event?.route ?? 'unmatched',
        status: response.status,
        ...(event?.code ? { code: event.code } : {}),
        ...(event?.verification ? { verified: event.verification.verified } : {}),
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        client,
      });
    }
    return response;
  };

  let server: Server | import('node:https').Server | undefined;
  let connInfo: ((socket: Socket) => ConnInfo) | undefined;
  if (options.mtls) {
    const { createMtlsServer, mtlsConnInfo } = await import('../mtls/server.js');
    server = createMtlsServer({ source: options.mtls.source, authorize: options.mtls.authorize, ...(options.mtls.onRefused ? { onRefused: options.mtls.onRefused } : {}) });
    connInfo = mtlsConnInfo;
  }
  const served: ServedFetch[] = [];
  const closeAll = async (graceMs: number) => {
    await Promise.all(served.map((s) => s.close(graceMs)));
    await redis?.close().catch(() => {});
  };
  try {
    // the bridge's cap sits above the app's (1 MiB), so the app answers oversized bodies itself
    // (counted and logged); the bridge's cap only stops a stream that lies about its length
    served.push(
      await serveFetch(handler, {
        host: options.host ?? '127.0.0.1',
        port: options.port ?? 0,
        maxBodyBytes: DEFAULT_MAX_BODY_BYTES + 64 * 1024,
        ...(server ? { server } : {}),
        ...(connInfo ? { connInfo } : {}),
      }),
    );
    if (metrics && options.metricsPort !== undefined) {
      served.push(
        await serveFetch(
          (request) =>
            new URL(request.url).pathname === '/metrics' && (request.method === 'GET' || request.method === 'HEAD')
              ? metricsResponse(metrics, request)
              : json({ error: { code: 'ERR_ROUTE_NOT_FOUND', message: 'this listener serves GET /metrics only' } }, 404),
          { host: options.host ?? '127.0.0.1', port: options.metricsPort },
        ),
      );
    }
  } catch (err) {
    await closeAll(0);
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    url: served[0]!.url,
    metricsUrl: served[1]?.url,
    config,
    stores: stores?.kind ?? app.context.stores.kind,
    metrics,
    close: (graceMs = DEFAULT_GRACE_MS) => {
      // a second, shorter close (a second signal) cuts what is still open
      if (closing && graceMs === 0) for (const s of served) s.server.closeAllConnections();
      return (closing ??= closeAll(graceMs));
    },
  };
}
