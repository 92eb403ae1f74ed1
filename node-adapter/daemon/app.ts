/**
 * The sandbox daemon as one Fetch-API app (`Request` → `Response`), routed with itty-router like
 * the worker (workers/app.ts): routes registered in one place, one error path answering
 * `{ "error": { "code", "message" } }` with `statusFor(code)` — except a refused token, which is
 * 401 with its precise code. It speaks AgentCube PicoD's HTTP API (docs/sessions.md).
 */
import { Router, type IRequest } from 'itty-router';
import { TrustError } from '../../shared/errors.js';
import { answerFor, errorBody, errorResponse, json } from '../../shared/http/respond.js';
import { MAX_BODY_BYTES, parseJsonBytes } from '../../shared/http/body.js';
import type { RateLimiter, ReplayGuard } from '../../shared/store/types.js';
import type { ConnInfo, FetchHandler } from '../http/index.js';
import { AuthFailure, DaemonAuth } from './auth.js';
import { ChildRegistry } from './execute.js';
import { readCappedBody } from './read-body.js';
import { executeRoute, type ExecuteLimits } from './routes-execute.js';
import { deleteRoute, downloadRoute, listRoute, uploadRoute } from './routes-files.js';
import { TokenBucketLimiter } from './token-bucket.js';
import { Workspace } from './workspace.js';

export interface DaemonOptions {
  /** The workspace directory (created if missing). */
  workspace: string;
  /** When set, bootstrap and session tokens must carry `sub` = this id; unset for warm-pool daemons. */
  sessionId?: string;
  /** The control plane's bootstrap public key: CryptoKey, JWK, or PEM SPKI; ES256 or RS256. Required unless `auth` is `mtls`. */
  bootstrapKey?: CryptoKey | JsonWebKey | string;
  /** Required unless `auth` is `mtls`. */
  issuer?: string;
  /** Required unless `auth` is `mtls`. */
  audience?: string;
  /** Required unless `auth` is `mtls`. */
  replayGuard?: ReplayGuard;
  /** Default: a token bucket of 2/s with a burst of 5, one for the daemon. */
  initLimiter?: RateLimiter;
  /** Default 300 s (allows the 120 s AgentCube's SDK sends on every call). */
  maxTimeoutMs?: number;
  /** Default 60 s (PicoD). */
  defaultTimeoutMs?: number;
  /** Per output stream; default 1 MiB. */
  maxOutputBytes?: number;
  /** Upload request body cap; default 32 MiB (PicoD's). */
  maxUploadBytes?: number;
  /**
   * `jwt` (default): `/init` with a bootstrap token, then a session token on every `/api/*`
   * request. `mtls`: the verified TLS client (its SPIFFE ID in `conn.tls.peerSpiffeId`, set by the
   * mTLS server after verification and authorization) is the credential; there is no `/init`.
   * `both`: a verified TLS client and the `jwt` flow.
   */
  auth?: DaemonAuthMode;
  now?: () => Date;
  version?: string;
  /** Tests only: use path-based checks even where /proc/self/fd exists. */
  forcePathMode?: boolean;
}

export type DaemonAuthMode = 'jwt' | 'mtls' | 'both';

export interface DaemonApp {
  fetch: FetchHandler;
  state(): { initialized: boolean; thumbprint?: string };
  /** The workspace root (resolved) and whether lookups are descriptor-relative. */
  readonly workspace: { root: string; fdRelative: boolean };
  /** Kills the process groups of running commands (their requests then answer). */
  killCommands(): void;
  /** Kills running children and closes the workspace. */
  close(): Promise<void>;
}

export const DAEMON_DEFAULTS = {
  maxTimeoutMs: 300_000,
  defaultTimeoutMs: 60_000,
  maxOutputBytes: 1024 * 1024,
  maxUploadBytes: 32 * 1024 * 1024,
  initPerSecond: 2,
  initBurst: 5,
} as const;

interface Ctx {
  conn: ConnInfo;
}

/**
 * A session token that carries `body_sha256` binds the request body, as PicoD checks it
 * (pkg/picod/auth.go AuthMiddleware: the lowercase hex SHA-256 of the raw body, 401 when it
 * differs). The body is read once (capped) and handed on to the route as a fresh Request.
 */
async function withBodySha256(request: Request, expected: string, max: number): Promise<Request> {
  const bytes = await readCappedBody(request, max);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  if (hex !== expected) throw new AuthFailure(new TrustError('ERR_JWT_CLAIM_INVALID', 'daemon: the request body does not match the body_sha256 claim of the session token'));
  return new Request(request.url, { method: request.method, headers: request.headers, body: bytes.byteLength > 0 ? (bytes as Uint8Array<ArrayBuffer>) : null, signal: request.signal });
}

/** Go's `Duration.String()` for the uptime, e.g. `1h2m3.5s`, `250ms`. */
function goDurationString(ms: number): string {
  if (ms < 1000) return `${Number(ms.toFixed(3))}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Number(((ms % 60_000) / 1000).toFixed(3));
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/**
 * Builds the daemon app.
 *
 * @example
 * const app = await createDaemonApp({ workspace: './ws', bootstrapKey: pem, issuer: 'cardtrust', audience: 'cardtrust-sandbox', replayGuard: new MemoryReplayGuard() });
 * const served = await serveFetch(app.fetch, { port: 8080, maxBodyBytes: DAEMON_DEFAULTS.maxUploadBytes });
 */
export async function createDaemonApp(opts: DaemonOptions): Promise<DaemonApp> {
  const mode: DaemonAuthMode = opts.auth ?? 'jwt';
  if (mode !== 'jwt' && mode !== 'mtls' && mode !== 'both') throw new TrustError('ERR_CONFIG_INVALID', `daemon: auth must be jwt, mtls or both (got ${JSON.stringify(opts.auth)})`);
  if (mode !== 'mtls') {
    for (const name of ['bootstrapKey', 'issuer', 'audience', 'replayGuard'] as const) {
      if (opts[name] === undefined) throw new TrustError('ERR_CONFIG_INVALID', `daemon: auth ${mode} needs ${name}; refusing to start`);
    }
  }
  const maxUploadBytes = opts.maxUploadBytes ?? DAEMON_DEFAULTS.maxUploadBytes;
  const limits: ExecuteLimits = {
    defaultTimeoutMs: opts.defaultTimeoutMs ?? DAEMON_DEFAULTS.defaultTimeoutMs,
    maxTimeoutMs: opts.maxTimeoutMs ?? DAEMON_DEFAULTS.maxTimeoutMs,
    maxOutputBytes: opts.maxOutputBytes ?? DAEMON_DEFAULTS.maxOutputBytes,
    maxBodyBytes: maxUploadBytes,
  };
  if (limits.defaultTimeoutMs > limits.maxTimeoutMs) limits.defaultTimeoutMs = limits.maxTimeoutMs;
  const workspace = await Workspace.open(opts.workspace, { forcePathMode: opts.forcePathMode === true });
  const children = new ChildRegistry();
  const auth =
    mode === 'mtls'
      ? undefined
      : new DaemonAuth({
          bootstrapKey: opts.bootstrapKey!, issuer: opts.issuer!, audience: opts.audience!, replayGuard: opts.replayGuard!,
          initLimiter: opts.initLimiter ?? new TokenBucketLimiter({ perSecond: DAEMON_DEFAULTS.initPerSecond, burst: DAEMON_DEFAULTS.initBurst }),
          ...(opts.sessionId !== undefined ? { sessionId: opts.sessionId } : {}),
          ...(opts.now ? { now: opts.now } : {}),
        });
  // the mTLS server verified and authorized the client before the request got here; an app wired
  // to a listener that did not (plain HTTP) refuses every request that needs a peer
  const requirePeer = (conn: ConnInfo): void => {
    if (mode === 'jwt') return;
    if (!conn.tls?.authorized || !conn.tls.peerSpiffeId) {
      throw new TrustError('ERR_PEER_CERTIFICATE_REQUIRED', `daemon: auth ${mode} needs a verified client certificate (mTLS)`);
    }
  };
  const started = performance.now();
  const version = opts.version ?? '0.0.0';

  const initRoute = async (request: Request, conn: ConnInfo): Promise<Response> => {
    if (!auth) throw new TrustError('ERR_ROUTE_NOT_FOUND', 'daemon: no /init in mtls mode: the verified client certificate is the credential');
    requirePeer(conn);
    const retryAfter = await auth.limitInit();
    if (retryAfter !== undefined) return errorBody('ERR_RATE_LIMITED', 'daemon: too many /init requests; retry later', { 'retry-after': String(retryAfter) });
    // the bootstrap token: in the JSON body {"token"}, or, as PicoD's InitHandler reads it, in
    // `Authorization: Bearer <token>` with any body (pkg/picod/auth.go, PR #352)
    const bytes = await readCappedBody(request, MAX_BODY_BYTES);
    const header = request.headers.get('authorization');
    const bearer = header === null ? undefined : /^Bearer +(\S+) *$/i.exec(header)?.[1];
    let token: unknown = bearer;
    if (bytes.byteLength > 0 && bearer === undefined) {
      const body = parseJsonBytes(bytes, 'request body');
      token = (body as { token?: unknown } | null)?.token;
      if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof token !== 'string' || token === '') {
        throw new TrustError('ERR_REQUEST_INVALID', 'daemon: the body must be {"token": "<bootstrap token>"} (or send Authorization: Bearer <bootstrap token>)');
      }
    }
    if (typeof token !== 'string') {
      throw new AuthFailure(new TrustError('ERR_UNAUTHENTICATED', header === null ? 'daemon: no bootstrap token: send {"token": "…"} or Authorization: Bearer <bootstrap token>' : 'daemon: Authorization must be "Bearer <bootstrap token>"'));
    }
    const result = await auth.init(token);
    // PicoD answers {"message", "success": true} (pkg/picod/auth.go InitResponse); both are kept
    const message = result.status === 'initialized' ? 'Server initialized successfully. This Picod instance is now locked to your public key.' : 'Server already initialized with this session key.';
    return json({ ...result, success: true, message });
  };
  const authed = (route: (request: Request) => Promise<Response>) => async (request: Request, ctx: Ctx): Promise<Response> => {
    requirePeer(ctx.conn);
    const checked = auth ? await auth.authenticate(request) : {};
    if (checked.bodySha256 === undefined) return route(request);
    return route(await withBodySha256(request, checked.bodySha256, maxUploadBytes));
  };

  const router = Router<IRequest, [Ctx]>();
  router.get('/health', () => json({ status: 'ok', service: 'cardtrust-daemon', version, uptime: goDurationString(performance.now() - started) }));
  router.post('/init', (req, ctx) => initRoute(req, ctx.conn));
  // PicoD registers its InitHandler in the /api group (pkg/picod/server.go: api.POST("/init"))
  router.post('/api/init', (req, ctx) => initRoute(req, ctx.conn));
  router.post('/api/execute', authed((req) => executeRoute(req, workspace, limits, children)));
  router.post('/api/files', authed((req) => uploadRoute(req, workspace, maxUploadBytes)));
  router.get('/api/files', authed((req) => listRoute(req, workspace)));
  router.get('/api/files/*', authed((req) => downloadRoute(req, workspace)));
  router.delete('/api/files/*', authed((req) => deleteRoute(req, workspace)));

  const methodsFor = (pathname: string): string[] => {
    const methods: string[] = [];
    for (const [method, pattern] of router.routes) if (pattern.test(pathname) && !methods.includes(method)) methods.push(method);
    return methods;
  };

  const handle = async (request: Request, conn: ConnInfo): Promise<Response> => {
    const { pathname } = new URL(request.url);
    const methods = methodsFor(pathname);
    if (methods.length === 0) throw new TrustError('ERR_ROUTE_NOT_FOUND', `daemon: no route for ${pathname}`);
    const head = request.method === 'HEAD' && methods.includes('GET');
    if (!head && !methods.includes(request.method)) {
      return errorBody('ERR_METHOD_NOT_ALLOWED', `daemon: ${request.method} is not allowed on ${pathname}`, { allow: [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ') });
    }
    const response = (await router.fetch(request, { conn })) as Response | undefined;
    if (!response) throw new TrustError('ERR_ROUTE_NOT_FOUND', `daemon: no route for ${pathname}`);
    return head ? new Response(null, response) : response;
  };

  return {
    workspace: { root: workspace.root, fdRelative: workspace.fdRelative },
    state: () => auth?.state ?? { initialized: false },
    async fetch(request: Request, conn: ConnInfo = {}): Promise<Response> {
      let response: Response;
      try {
        response = await handle(request, conn);
      } catch (err) {
        response =
          err instanceof AuthFailure
            ? json({ error: { code: err.error.code, message: err.error.message } }, 401, { 'www-authenticate': 'Bearer' })
            : errorResponse(err);
      }
      // the platform's own Response, unless the transport writes JSON answers' text itself (the bridge)
      return answerFor(request, response);
    },
    killCommands: () => children.killAll(),
    async close() {
      children.killAll();
      await workspace.close();
    },
  };
}
