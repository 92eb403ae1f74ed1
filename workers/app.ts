/**
 * The verification service as one Fetch-API app (`Request` → `Response`), routed with itty-router.
 * Runtime specifics stay outside: the Worker entry (`index.ts`) turns `env` into a config, and a
 * Node bridge or a benchmark can build the same app with {@link createApp}.
 */
import { FederatedBundleSource } from '../shared/bundle/index.js';
import { Router, type IRequest } from 'itty-router';
import { TrustError } from '../shared/errors.js';
import type { WorkerConfig } from './config.js';
import type { AppContext } from './context.js';
import { isPreflight, preflight, withCors } from './http/cors.js';
import { errorBody, errorResponse } from './http/respond.js';
import { bundleRoute } from './routes/bundles.js';
import { createSessionRoute, deleteSessionRoute, sessionTokenRoute } from './routes/sessions.js';
import { controlPlane } from './control-plane.js';
import { healthRoute } from './routes/health.js';
import { inspectorAssetRoute } from './routes/inspector.js';
import { INSPECTOR_CSS, INSPECTOR_HTML, INSPECTOR_JS } from './inspector/assets.gen.js';
import { fetchRoute, verifyRoute } from './routes/verify.js';
import { createStores, type WorkerStores } from './stores/create-stores.js';
import { cardVerifier, trustBundles } from './verify-card.js';
import { validateJwtSvidRoute, verifyX509SvidRoute } from './routes/svids.js';
import { answerFor, errorCodeOf } from './http/respond.js';
import { outcomeOf, type VerificationOutcome } from './http/outcome.js';
import type { ErrorCode } from '../shared/errors.js';

export interface AppDeps {
  config: WorkerConfig;
  /** Default: built from `config` (Upstash when configured, otherwise in memory). */
  stores?: WorkerStores;
  /** Outbound fetch for agent cards and `jku`; default the global `fetch`. */
  fetch?: typeof fetch;
  /** Verification time; default the wall clock. */
  now?: () => Date;
  /** The rate-limit identity of a request; default `CF-Connecting-IP` (Cloudflare's client address). */
  clientId?: (request: Request) => string;
  /**
   * Called once per request after the response is ready (the Node service's metrics and access
   * log). Never given bodies: only what is safe to log. A throwing observer is ignored.
   */
  observe?: (event: RequestEvent) => void;
}

/** One request, as an observer sees it. */
export interface RequestEvent {
  /** The request answered (to correlate with the caller's own records; never log its body or headers). */
  readonly request: Request;
  readonly method: string;
  /** The matched route's pattern (`/v1/sessions/:id/token`), never the raw path; `unmatched` when none. */
  readonly route: string;
  readonly status: number;
  /** The error code of an error response. */
  readonly code: ErrorCode | undefined;
  /** What a verification route decided. */
  readonly verification: VerificationOutcome | undefined;
  /** Wall time in the app, in milliseconds. */
  readonly durationMs: number;
}

export interface App {
  fetch(request: Request): Promise<Response>;
  readonly context: AppContext;
}

const defaultClientId = (request: Request): string => request.headers.get('cf-connecting-ip') ?? 'unknown';

/**
 * Builds the app.
 *
 * @example
 * const app = createApp({ config: parseWorkerConfig(env) });
 * const res = await app.fetch(new Request('https://verify.example/healthz'));
 */
export function createApp(deps: AppDeps): App {
  const config = deps.config;
  const stores = deps.stores ?? createStores({
    ...(config.upstash ? { upstash: { ...config.upstash, timeoutMs: config.storeTimeoutMs } } : {}),
    ...(config.rateLimit ? { rateLimit: config.rateLimit } : {}),
  });
  const fetchFn = deps.fetch ?? ((input, init) => fetch(input, init));
  const now = deps.now ?? (() => new Date());
  const clientId = deps.clientId ?? defaultClientId;
  const federated =
    config.bundleEndpoints.size > 0
      ? new FederatedBundleSource([...config.bundleEndpoints].map(([trustDomain, url]) => ({ trustDomain, url })), { fetch: fetchFn, timeoutMs: config.fetchTimeoutMs, ...(stores.bundleCache ? { cache: stores.bundleCache } : {}) })
      : undefined;
  const bundles = trustBundles(config, federated);
  const context: AppContext = {
    config,
    stores,
    fetch: fetchFn,
    now,
    federated,
    bundles,
    verify: cardVerifier(config, stores, fetchFn, now, federated, bundles),
    sessions: config.sessions ? controlPlane(config.sessions, stores.sealedKeys, now) : undefined,
  };

  const router = Router<IRequest, [AppContext]>();
  router.get('/healthz', (_req, app) => healthRoute(app));
  // the AgentCard inspector page (docs/inspector.md)
  router.get('/', (req) => inspectorAssetRoute(req, INSPECTOR_HTML));
  router.get('/inspector/app.js', (req) => inspectorAssetRoute(req, INSPECTOR_JS));
  router.get('/inspector/app.css', (req) => inspectorAssetRoute(req, INSPECTOR_CSS));
  router.post('/v1/agent-cards/verify', (req, app) => verifyRoute(req, app));
  router.post('/v1/agent-cards/fetch', (req, app) => fetchRoute(req, app));
  router.get('/v1/bundles/:trustDomain', (req, app) => bundleRoute(req, app, req.params.trustDomain ?? ''));
  router.post('/v1/svids/x509/verify', (req, app) => verifyX509SvidRoute(req, app));
  router.post('/v1/svids/jwt/validate', (req, app) => validateJwtSvidRoute(req, app));
  router.post('/v1/sessions', (req, app) => createSessionRoute(req, app));
  router.post('/v1/sessions/:id/token', (req, app) => sessionTokenRoute(req, app, req.params.id ?? ''));
  router.delete('/v1/sessions/:id', (req, app) => deleteSessionRoute(req, app, req.params.id ?? ''));

  /** Methods registered for a path, in registration order (empty: no such route). */
  const methodsFor = (pathname: string): string[] => {
    const methods: string[] = [];
    for (const [method, pattern] of router.routes) if (pattern.test(pathname) && !methods.includes(method)) methods.push(method);
    return methods;
  };
  /** The pattern of the first route whose path matches (for observers; not the raw path, which may carry ids). */
  const routeOf = (pathname: string): string => {
    for (const [, pattern, , path] of router.routes) if (pattern.test(pathname)) return path ?? 'unmatched';
    return 'unmatched';
  };
  const allowHeader = (methods: string[]): string =>
    [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');

  const limit = async (request: Request): Promise<Response | undefined> => {
    if (!stores.limiter) return undefined;
    const r = await stores.limiter.limit(clientId(request));
    if (r.success) return undefined;
    const retryAfter = Math.max(1, Math.ceil((r.reset - now().getTime()) / 1000));
    return errorBody('ERR_RATE_LIMITED', 'too many requests; retry later', { 'retry-after': String(retryAfter) });
  };

  const handle = async (request: Request, pathname: string): Promise<Response> => {
    if (isPreflight(request)) return preflight(config.cors, request);
    const methods = methodsFor(pathname);
    if (methods.length === 0) throw new TrustError('ERR_ROUTE_NOT_FOUND', `no route for ${pathname}`);
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow: allowHeader(methods) } });
    const head = request.method === 'HEAD' && methods.includes('GET');
    if (!head && !methods.includes(request.method)) {
      return errorBody('ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${pathname}`, { allow: allowHeader(methods) });
    }
    if (pathname.startsWith('/v1/')) {
      const limited = await limit(request);
      if (limited) return limited;
    }
    const routed = head ? new Request(request.url, { method: 'GET', headers: request.headers }) : request;
    const response = (await router.fetch(routed, context)) as Response | undefined;
    if (!response) throw new TrustError('ERR_ROUTE_NOT_FOUND', `no route for ${pathname}`);
    return head ? new Response(null, response) : response;
  };

  return {
    context,
    async fetch(request: Request): Promise<Response> {
      const started = deps.observe ? performance.now() : 0;
      let response: Response;
      let pathname = '';
      try {
        pathname = new URL(request.url).pathname;
        response = await handle(request, pathname);
      } catch (err) {
        response = errorResponse(err);
      }
      if (deps.observe) {
        try {
          deps.observe({
            request,
            method: request.method,
            route: routeOf(pathname),
            status: response.status,
            code: errorCodeOf(response),
            verification: outcomeOf(response),
            durationMs: performance.now() - started,
          });
        } catch {
          // an observer must not change an answer
        }
      }
      // the platform's own Response, unless the transport writes JSON answers' text itself (the Node bridge)
      return answerFor(request, withCors(config.cors, request, response));
    },
  };
}
