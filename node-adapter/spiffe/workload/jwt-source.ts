/**
 * JWT-SVIDs and JWT bundles over the SPIFFE Workload API (go-spiffe's `workloadapi.JWTSource`):
 * `fetchJwtSvid({ audience })` through `FetchJWTSVID`, cached until shortly before it expires;
 * the `FetchJWTBundles` stream kept as a `BundleSource` for `validateJwtSvid`, reconnecting with
 * backoff while the last good bundles keep serving.
 */
import { BundleSet, TrustBundle, TrustError, parseSpiffeId, parseTrustDomain, type BundleSource, type SpiffeId, type TrustDomain } from '../core.js';
import { workloadEndpointFrom, type WorkloadEndpoint } from './address.js';
import { createWorkloadApiClient, mapGrpcError, workloadMetadata, type JwtBundlesResponseMessage, type WorkloadApiClient } from './client.js';
import { DEFAULT_READY_TIMEOUT_MS, ErrorListeners, StreamKeeper } from './stream.js';

/** Deadline of one FetchJWTSVID call. */
export const JWT_FETCH_TIMEOUT_MS = 10_000;
/** A cached JWT-SVID is refetched when less than this much of its life is left (or half its lifetime, if shorter). */
export const JWT_REFRESH_BEFORE_MS = 30_000;
const MAX_CACHED = 64;

export interface JwtSvid {
  readonly id: SpiffeId;
  /** The JWT-SVID, JWS compact serialization. */
  readonly token: string;
  readonly audience: readonly string[];
  readonly expiresAt: Date;
  readonly hint: string;
}

export interface WorkloadJwtSourceOptions {
  readonly address?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly log?: (line: string) => void;
}

/** The JWKS of a JWT bundle from the Workload API (keys by `kid`) as a TrustBundle. */
function jwtBundle(td: TrustDomain, bytes: Buffer): TrustBundle {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new TrustError('ERR_BUNDLE_INVALID', `workloadapi: the JWT bundle of ${td.name} is not JSON`, { cause: err });
  }
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) throw new TrustError('ERR_BUNDLE_INVALID', `workloadapi: the JWT bundle of ${td.name} has no keys array`);
  // a Map, not an object: a kid such as "__proto__" or "toString" is just a key ID
  const authorities = new Map<string, JsonWebKey>();
  for (const key of keys) {
    const use = (key as { use?: unknown })?.use;
    // Workload API §6.2.2: "The server MUST NOT include keys with other uses in the returned JWT
    // bundles"; one that does is ignored (Trust Domain and Bundle §4.2.2), never used for JWTs
    if (use !== undefined && use !== 'jwt-svid') continue;
    const kid = (key as { kid?: unknown })?.kid;
    if (typeof kid !== 'string' || kid === '') throw new TrustError('ERR_BUNDLE_INVALID', `workloadapi: a key of the JWT bundle of ${td.name} has no kid`);
    if (authorities.has(kid)) throw new TrustError('ERR_BUNDLE_INVALID', `workloadapi: kid ${JSON.stringify(kid)} twice in the JWT bundle of ${td.name}`);
    authorities.set(kid, key as JsonWebKey);
  }
  return new TrustBundle(td, { jwtAuthorities: authorities });
}

/** The unverified `sub`, `exp` and `aud` of a JWT (the token comes from our own agent; verifiers use validateJwtSvid). */
function claimsOf(token: string): { sub: unknown; exp: number; aud: string[] } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TrustError('ERR_JWS_MALFORMED', 'workloadapi: the agent returned a JWT-SVID that is not a compact JWS');
  let payload: { sub?: unknown; exp?: unknown; aud?: unknown };
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof payload;
  } catch (err) {
    throw new TrustError('ERR_JWS_MALFORMED', 'workloadapi: the JWT-SVID payload is not JSON', { cause: err });
  }
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) throw new TrustError('ERR_JWT_CLAIM_INVALID', 'workloadapi: the JWT-SVID has no exp');
  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === 'string') : [];
  return { sub: payload.sub, exp: payload.exp, aud };
}

/** google.protobuf.Struct (as proto-loader decodes it) → a plain object. */
function structToObject(struct: unknown): Record<string, unknown> {
  const value = (v: unknown): unknown => {
    const x = v as { kind?: string; [k: string]: unknown };
    switch (x?.kind) {
      case 'nullValue':
        return null;
      case 'numberValue':
      case 'stringValue':
      case 'boolValue':
        return x[x.kind];
      case 'structValue':
        return structToObject(x.structValue);
      case 'listValue':
        return ((x.listValue as { values?: unknown[] })?.values ?? []).map(value);
      default:
        return undefined;
    }
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((struct as { fields?: Record<string, unknown> })?.fields ?? {})) out[k] = value(v);
  return out;
}

export class WorkloadJwtSource implements BundleSource {
  readonly endpoint: WorkloadEndpoint;
  readonly #options: WorkloadJwtSourceOptions;
  readonly #client: WorkloadApiClient;
  readonly #stream: StreamKeeper<JwtBundlesResponseMessage>;
  readonly #errors = new ErrorListeners();
  #bundles: BundleSet | undefined;
  #closed = false;
  readonly #cache = new Map<string, JwtSvid & { readonly lifetimeMs: number }>();
  /** FetchJWTSVID calls made (cache misses), for tests and metrics. */
  fetches = 0;

  constructor(options: WorkloadJwtSourceOptions = {}) {
    this.endpoint = workloadEndpointFrom(options.address, options.env ?? process.env);
    this.#options = options;
    this.#client = createWorkloadApiClient(this.endpoint);
    this.#stream = new StreamKeeper({
      call: 'FetchJWTBundles',
      what: 'JWT bundles',
      address: this.endpoint.address,
      open: () => this.#client.FetchJWTBundles({}, workloadMetadata()),
      handle: (message) => {
        const entries = Object.entries(message.bundles ?? {});
        // Workload API §6.2.2: bundles "MUST contain at least the JWT bundle for the trust domain in
        // which the server resides"; §4.5: a mandatory field with its default value is reported and
        // the message discarded (the last good bundles keep serving)
        if (entries.length === 0) throw new TrustError('ERR_WORKLOAD_API_FAILED', 'workloadapi: a FetchJWTBundles response without bundles was discarded');
        const set = new BundleSet();
        for (const [tdId, bytes] of entries) set.add(jwtBundle(parseTrustDomain(tdId), bytes));
        this.#bundles = set;
      },
      report: (error) => this.#errors.emit(error),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  }

  /** Opens a source and waits for the first JWT bundles. */
  static async open(options: WorkloadJwtSourceOptions & { readonly readyTimeoutMs?: number } = {}): Promise<WorkloadJwtSource> {
    const source = new WorkloadJwtSource(options);
    try {
      await source.ready(options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
  }

  ready(timeoutMs: number = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    return this.#closed ? Promise.reject(new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed')) : this.#stream.ready(timeoutMs);
  }

  /** The JWT bundle of a trust domain (for `validateJwtSvid`). */
  getBundle(trustDomain: TrustDomain | string): TrustBundle {
    if (this.#closed) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed');
    if (!this.#bundles) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: no JWT bundles yet');
    return this.#bundles.getBundle(trustDomain);
  }

  onError(listener: (error: Error) => void): () => void {
    return this.#errors.add(listener);
  }

  /**
   * A JWT-SVID for `audience` (the first the agent returns, or the one for `spiffeId`, or with
   * `hint`), from the cache while more than 30 s (or half its lifetime) is left.
   *
   * @example
   * const { token } = await jwtSource.fetchJwtSvid({ audience: ['reports'] })
   */
  async fetchJwtSvid(request: { readonly audience: string | readonly string[]; readonly spiffeId?: string; readonly hint?: string }): Promise<JwtSvid> {
    if (this.#closed) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed');
    const audience = typeof request.audience === 'string' ? [request.audience] : [...request.audience];
    if (audience.length === 0 || audience.some((a) => typeof a !== 'string' || a === '')) throw new TrustError('ERR_INPUT_INVALID', 'workloadapi: a JWT-SVID needs at least one non-empty audience');
    const wantId = request.spiffeId === undefined ? '' : parseSpiffeId(request.spiffeId).toString();
    const key = JSON.stringify([audience, wantId, request.hint ?? null]);
    const cached = this.#cache.get(key);
    if (cached) {
      const left = cached.expiresAt.getTime() - Date.now();
      if (left > Math.min(JWT_REFRESH_BEFORE_MS, cached.lifetimeMs / 2)) return cached;
      this.#cache.delete(key);
    }
    this.fetches++;
    const response = await new Promise<{ svids: { spiffe_id: string; svid: string; hint: string }[] }>((resolve, reject) => {
      this.#client.FetchJWTSVID({ audience, spiffe_id: wantId }, workloadMetadata(), { deadline: Date.now() + JWT_FETCH_TIMEOUT_MS }, (err, res) =>
        err ? reject(mapGrpcError(err, 'FetchJWTSVID')) : resolve(res ?? { svids: [] }),
      );
    });
    const svids = response.svids ?? [];
    const picked = request.hint !== undefined ? svids.find((s) => s.hint === request.hint) : svids[0];
    if (!picked) throw new TrustError(svids.length === 0 ? 'ERR_WORKLOAD_API_DENIED' : 'ERR_WORKLOAD_API_FAILED', `workloadapi: no JWT-SVID${request.hint !== undefined ? ` with hint ${JSON.stringify(request.hint)}` : ''} for audience ${audience.join(', ')}`);
    const id = parseSpiffeId(picked.spiffe_id);
    const claims = claimsOf(picked.svid);
    // What go-spiffe's FetchJWTSVID checks of each token (jwtsvid.ParseInsecure: the subject, exp,
    // and jwt.Expected{Audience}); the Workload API §6.2.1 has the agent embed the requested audience.
    if (typeof claims.sub !== 'string' || claims.sub !== id.toString()) {
      throw new TrustError('ERR_JWT_CLAIM_INVALID', `workloadapi: the JWT-SVID's sub is not the spiffe_id ${JSON.stringify(id.toString())} the agent gave`);
    }
    const missing = audience.filter((a) => !claims.aud.includes(a));
    if (missing.length > 0) throw new TrustError('ERR_JWT_AUDIENCE_MISMATCH', `workloadapi: the agent's JWT-SVID lacks the audience ${JSON.stringify(missing.slice(0, 8))}`);
    if (claims.exp * 1000 <= Date.now()) throw new TrustError('ERR_JWT_EXPIRED', 'workloadapi: the agent returned an expired JWT-SVID');
    const svid = Object.freeze({ id, token: picked.svid, audience: claims.aud, expiresAt: new Date(claims.exp * 1000), hint: picked.hint, lifetimeMs: claims.exp * 1000 - Date.now() });
    this.#cache.set(key, svid);
    if (this.#cache.size > MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    return svid;
  }

  /**
   * Asks the agent to validate a JWT-SVID (`ValidateJWTSVID`): the SPIFFE ID and claims it
   * returns. Local validation (`validateJwtSvid(token, this, { audience })`) needs no round trip.
   */
  async validateWithAgent(token: string, audience: string): Promise<{ id: SpiffeId; claims: Record<string, unknown> }> {
    if (this.#closed) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed');
    if (typeof token !== 'string' || token === '' || typeof audience !== 'string' || audience === '') throw new TrustError('ERR_INPUT_INVALID', 'workloadapi: a token and an audience are required');
    const res = await new Promise<{ spiffe_id: string; claims: unknown }>((resolve, reject) => {
      this.#client.ValidateJWTSVID({ audience, svid: token }, workloadMetadata(), { deadline: Date.now() + JWT_FETCH_TIMEOUT_MS }, (err, r) =>
        err ? reject(mapGrpcError(err, 'ValidateJWTSVID')) : resolve(r ?? { spiffe_id: '', claims: {} }),
      );
    });
    return { id: parseSpiffeId(res.spiffe_id), claims: structToObject(res.claims) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#stream.close();
    this.#client.close();
    this.#cache.clear();
    this.#errors.clear();
  }
}
