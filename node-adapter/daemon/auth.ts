/**
 * The daemon's two-stage authentication: `POST /init` registers the session public key carried by
 * a bootstrap token (once), and every `/api/*` request carries a session token signed with it.
 */
import { TrustError } from '../../shared/errors.js';
import type { RateLimiter, ReplayGuard } from '../../shared/store/types.js';
import { b64urlDecode } from '../../shared/lib/encoding.js';
import { verifyBootstrapToken, verifySessionToken } from './session-api.js';

/** An authentication failure: answered 401 with the precise code of `error`. */
export class AuthFailure {
  constructor(readonly error: TrustError) {}
}

/** Codes of a token that was checked and refused (401); store and rate-limit errors keep theirs. */
const TOKEN_CODES = /^ERR_(JWS_|JWT_|KEY_UNSUPPORTED$|TOKEN_REPLAYED$|UNAUTHENTICATED$)/;

function asAuthFailure(err: unknown): unknown {
  return err instanceof TrustError && TOKEN_CODES.test(err.code) ? new AuthFailure(err) : err;
}

export interface AuthOptions {
  bootstrapKey: CryptoKey | JsonWebKey | string;
  issuer: string;
  audience: string;
  sessionId?: string;
  replayGuard: ReplayGuard;
  initLimiter: RateLimiter;
  now?: () => Date;
}

interface Registered {
  key: CryptoKey;
  thumbprint: string;
  sessionId: string;
}

export interface InitResult {
  status: 'initialized' | 'already_initialized';
  session_id: string;
  session_key_thumbprint: string;
}

export class DaemonAuth {
  readonly #opts: AuthOptions;
  #registered: Registered | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: AuthOptions) {
    this.#opts = opts;
  }

  get state(): { initialized: boolean; thumbprint?: string } {
    return this.#registered ? { initialized: true, thumbprint: this.#registered.thumbprint } : { initialized: false };
  }

  /** Checks the rate limit of `/init` (one bucket for the daemon); throws `ERR_RATE_LIMITED`. */
  async limitInit(): Promise<number | undefined> {
    const r = await this.#opts.initLimiter.limit('init');
    if (r.success) return undefined;
    return Math.max(1, Math.ceil((r.reset - Date.now()) / 1000));
  }

  /**
   * Registers the session key of a bootstrap token. Idempotent for the key already registered —
   * even when the same token is sent again (its `jti` is then a replay, but of the very request
   * that registered this key, so a retry after a lost response succeeds); another key → 409.
   */
  init(token: string): Promise<InitResult> {
    const run = this.#queue.then(() => this.#init(token));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #init(token: string): Promise<InitResult> {
    const o = this.#opts;
    const registered = this.#registered;
    let replayed = false;
    // once initialized, a replayed jti is judged by the key it carries (below), not refused first
    const guard: ReplayGuard = registered
      ? { claim: async (id, ttl) => ((replayed = !(await o.replayGuard.claim(id, ttl))), true) }
      : o.replayGuard;
    let verified;
    try {
      verified = await verifyBootstrapToken(token, {
        key: o.bootstrapKey, issuer: o.issuer, audience: o.audience, replayGuard: guard,
        ...(o.sessionId !== undefined ? { sessionId: o.sessionId } : {}), ...(o.now ? { now: o.now } : {}),
      });
    } catch (err) {
      throw asAuthFailure(err);
    }
    if (registered) {
      if (verified.thumbprint === registered.thumbprint && verified.sessionId === registered.sessionId) {
        return { status: 'already_initialized', session_id: registered.sessionId, session_key_thumbprint: registered.thumbprint };
      }
      if (replayed) throw new AuthFailure(new TrustError('ERR_TOKEN_REPLAYED', 'daemon: bootstrap token already used'));
      throw new TrustError('ERR_ALREADY_INITIALIZED', `daemon: already initialized with another session key (thumbprint ${registered.thumbprint})`);
    }
    this.#registered = { key: verified.sessionKey, thumbprint: verified.thumbprint, sessionId: verified.sessionId };
    return { status: 'initialized', session_id: verified.sessionId, session_key_thumbprint: verified.thumbprint };
  }

  /**
   * Verifies the request's `Authorization: Bearer <session token>`; returns the token's
   * `body_sha256` claim when it has one (a string), for the caller to check against the body.
   */
  async authenticate(request: Request): Promise<{ bodySha256?: string }> {
    const reg = this.#registered;
    if (!reg) throw new TrustError('ERR_DAEMON_NOT_INITIALIZED', 'daemon: not initialized; POST /init with a bootstrap token first');
    const header = request.headers.get('authorization');
    if (!header) throw new AuthFailure(new TrustError('ERR_UNAUTHENTICATED', 'daemon: missing Authorization header (Bearer <session token>)'));
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m) throw new AuthFailure(new TrustError('ERR_UNAUTHENTICATED', 'daemon: Authorization must be "Bearer <session token>"'));
    const o = this.#opts;
    try {
      await verifySessionToken(m[1]!, { key: reg.key, issuer: o.issuer, audience: o.audience, sessionId: reg.sessionId, ...(o.now ? { now: o.now } : {}) });
    } catch (err) {
      throw asAuthFailure(err);
    }
    // the signature is verified: the payload is the signer's; verifySessionToken returns only the
    // registered claims, so body_sha256 is read from it here
    const payload = JSON.parse(new TextDecoder().decode(b64urlDecode(m[1]!.split('.')[1]!))) as Record<string, unknown>;
    const hash = payload['body_sha256'];
    return typeof hash === 'string' ? { bodySha256: hash } : {};
  }
}
