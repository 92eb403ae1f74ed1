/**
 * SPIFFE federation (the SPIFFE Federation standard): fetching a trust domain's bundle from its
 * bundle endpoint, and a `BundleSource` that keeps each federated trust domain's bundle fresh on
 * its refresh hint. Runtime-neutral: `fetch` is the platform's (or the caller's), timers are not
 * used — a bundle is refreshed when it is asked for and due, so it works in a Worker isolate too.
 *
 * Only the `https_web` profile lives here (web PKI TLS, what plain `fetch` does); `https_spiffe`
 * needs an mTLS client and lives in the Node adapter.
 */
import { TrustError } from '../errors.js';
import { readCapped } from '../http/body.js';
import { type TrustDomain, toTrustDomain } from '../spiffe/id.js';
import { parseSpiffeBundle } from './parse-spiffe-bundle.js';
import { serializeSpiffeBundle } from './serialize-spiffe-bundle.js';
import type { BundleSource } from './source.js';
import { MAX_BUNDLE_BYTES, type TrustBundle } from './trust-bundle.js';

export const DEFAULT_BUNDLE_FETCH_TIMEOUT_MS = 10_000;
/** Refresh interval when the bundle carries no `spiffe_refresh_hint`: 5 minutes. */
export const DEFAULT_REFRESH_MS = 300_000;
/** A refresh hint is honoured between these bounds: 30 s and 24 h. */
export const MIN_REFRESH_MS = 30_000;
export const MAX_REFRESH_MS = 86_400_000;
/** Most redirects followed to reach a bundle (Go's `http.Client`, which go-spiffe federation uses, stops after 10). */
export const MAX_BUNDLE_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FetchSpiffeBundleOptions {
  readonly trustDomain: TrustDomain | string;
  /** `https_web` only here (see the Node adapter for `https_spiffe`). */
  readonly profile?: 'https_web';
  readonly fetch?: typeof fetch;
  /** Deadline for the whole exchange, body included; default 10 s. */
  readonly timeoutMs?: number;
  /** Largest body accepted; default 1 MiB. */
  readonly maxBytes?: number;
  /** The bundle held so far: a new one with a lower `spiffe_sequence` is refused. */
  readonly previous?: TrustBundle;
  /**
   * Redirects followed (each target must itself be a valid bundle endpoint URL: `https:`, no
   * userinfo); default 10, 0 refuses every redirect.
   */
  readonly maxRedirects?: number;
}

export interface FetchedSpiffeBundle {
  readonly bundle: TrustBundle;
  /** When to fetch again, from `spiffe_refresh_hint` bounded to [30 s, 24 h], else 5 min. */
  readonly refreshMs: number;
}

/** The refresh interval a bundle asks for, bounded. */
export function refreshIntervalMs(bundle: TrustBundle): number {
  if (bundle.refreshHint === undefined) return DEFAULT_REFRESH_MS;
  return Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, bundle.refreshHint * 1000));
}

/**
 * A bundle endpoint URL as SPIFFE Federation §5.2.1.1 / §5.2.2.1 define it: scheme `https`, no
 * userinfo. `redirect` says whether it is a redirect's target (for the error code and message).
 */
function bundleEndpointUrl(url: string, base: URL | undefined): URL {
  const redirect = base !== undefined;
  let parsed: URL;
  try {
    parsed = new URL(url, base);
  } catch (err) {
    if (redirect) throw new TrustError('ERR_FETCH_REDIRECT_NOT_ALLOWED', 'federation: the redirect target is not a URL', { cause: err });
    throw new TrustError('ERR_INPUT_INVALID', 'federation: the bundle endpoint URL is not a URL', { cause: err });
  }
  if (parsed.protocol !== 'https:') {
    if (redirect) throw new TrustError('ERR_FETCH_REDIRECT_NOT_ALLOWED', `federation: ${base.origin} redirected to a ${parsed.protocol} URL; a bundle endpoint is https:`);
    throw new TrustError('ERR_FETCH_ORIGIN_NOT_ALLOWED', `federation: the https_web profile needs an https: URL (got ${parsed.protocol})`);
  }
  if (parsed.username || parsed.password) {
    if (redirect) throw new TrustError('ERR_FETCH_REDIRECT_NOT_ALLOWED', `federation: ${base.origin} redirected to a URL with credentials`);
    throw new TrustError('ERR_INPUT_INVALID', 'federation: the bundle endpoint URL must not carry credentials');
  }
  return parsed;
}

/**
 * Fetches and parses the bundle at a bundle endpoint URL (`https:` only, capped, one deadline for
 * the whole exchange). Redirects are followed, up to `maxRedirects` (10), when the target is itself
 * a valid bundle endpoint URL (SPIFFE Federation §5.2.1.4, §5.2.2.4: clients SHOULD follow them);
 * every hop goes through the same `fetch`, so the same TLS checks apply to it (for `https_spiffe`,
 * the same endpoint SPIFFE ID). Throws `ERR_FETCH_*` for the exchange (`ERR_FETCH_REDIRECT_NOT_ALLOWED`
 * for a redirect to an invalid URL or too many), `ERR_JSON_MALFORMED`/`ERR_BUNDLE_INVALID` for the
 * document, `ERR_BUNDLE_INVALID` when `spiffe_sequence` goes backwards.
 *
 * @example
 * const { bundle } = await fetchSpiffeBundle('https://example.org/bundle', { trustDomain: 'example.org' })
 */
export async function fetchSpiffeBundle(url: string, options: FetchSpiffeBundleOptions): Promise<FetchedSpiffeBundle> {
  const td = toTrustDomain(options.trustDomain);
  if ((options.profile ?? 'https_web') !== 'https_web') throw new TrustError('ERR_INPUT_INVALID', `federation: profile ${String(options.profile)} is not available here (https_spiffe needs the Node adapter's mTLS client)`);
  let parsed = bundleEndpointUrl(url, undefined);
  const maxRedirects = options.maxRedirects ?? MAX_BUNDLE_REDIRECTS;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw new TrustError('ERR_INPUT_INVALID', 'federation: maxRedirects must be a non-negative integer');
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_BUNDLE_FETCH_TIMEOUT_MS;
  const maxBytes = Math.min(options.maxBytes ?? MAX_BUNDLE_BYTES, MAX_BUNDLE_BYTES);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TrustError('ERR_FETCH_TIMEOUT', `federation: no bundle from ${parsed.origin} within ${timeoutMs} ms`);
      reject(err);
      controller.abort(err);
    }, timeoutMs);
  });
  timedOut.catch(() => {});
  try {
    let response: Response;
    for (let hops = 0; ; hops++) {
      try {
        // redirects are followed here, not by fetch, so that every target is checked first
        response = await Promise.race([fetchFn(parsed.toString(), { method: 'GET', redirect: 'manual', signal: controller.signal, headers: { accept: 'application/json' } }), timedOut]);
      } catch (err) {
        if (err instanceof TrustError) throw err;
        throw new TrustError('ERR_FETCH_FAILED', `federation: fetching ${parsed.origin}${parsed.pathname} failed`, { cause: err });
      }
      // a browser's manual mode hides the target: nothing to check, so nothing to follow
      if (response.type === 'opaqueredirect') {
        throw new TrustError('ERR_FETCH_REDIRECT_NOT_ALLOWED', `federation: ${parsed.origin} redirected and this platform does not expose the target`);
      }
      if (!REDIRECT_STATUSES.has(response.status)) break;
      response.body?.cancel().catch(() => {});
      const location = response.headers.get('location');
      if (location === null || location === '') throw new TrustError('ERR_FETCH_FAILED', `federation: ${parsed.origin} answered ${response.status} without a Location`);
      if (hops >= maxRedirects) {
        throw new TrustError('ERR_FETCH_REDIRECT_NOT_ALLOWED', maxRedirects === 0 ? `federation: ${parsed.origin} answered ${response.status}; redirects are not followed (maxRedirects: 0)` : `federation: more than ${maxRedirects} redirects from ${url.slice(0, 200)}`);
      }
      parsed = bundleEndpointUrl(location, parsed);
    }
    if (response.status >= 300 && response.status < 400) {
      response.body?.cancel().catch(() => {});
      throw new TrustError('ERR_FETCH_FAILED', `federation: ${parsed.origin} answered HTTP ${response.status}`);
    }
    if (response.status === 404) {
      response.body?.cancel().catch(() => {});
      throw new TrustError('ERR_FETCH_NOT_FOUND', `federation: no bundle at ${parsed.toString()}`);
    }
    if (response.status !== 200) {
      response.body?.cancel().catch(() => {});
      throw new TrustError('ERR_FETCH_FAILED', `federation: ${parsed.toString()} answered HTTP ${response.status}`);
    }
    const length = response.headers.get('content-length');
    if (length !== null && /^\d+$/.test(length) && Number(length) > maxBytes) {
      response.body?.cancel().catch(() => {});
      throw new TrustError('ERR_FETCH_TOO_LARGE', `federation: the bundle at ${parsed.toString()} exceeds ${maxBytes} bytes`);
    }
    const bytes = await readCapped(response.body, maxBytes, 'ERR_FETCH_TOO_LARGE', timedOut).catch((err: unknown) => {
      if (err instanceof TrustError) throw err;
      throw new TrustError('ERR_FETCH_FAILED', `federation: reading the bundle from ${parsed.toString()} failed`, { cause: err });
    });
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch (err) {
      throw new TrustError('ERR_JSON_MALFORMED', 'federation: the bundle is not UTF-8', { cause: err });
    }
    const bundle = parseSpiffeBundle(text, td, { maxBytes });
    const before = options.previous?.sequence;
    if (before !== undefined && bundle.sequence !== undefined && bundle.sequence < before) {
      throw new TrustError('ERR_BUNDLE_INVALID', `federation: the bundle of ${td.name} went backwards (spiffe_sequence ${bundle.sequence} after ${before})`);
    }
    return { bundle, refreshMs: refreshIntervalMs(bundle) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

export interface FederatedEndpoint {
  readonly trustDomain: string;
  /** The bundle endpoint URL (`https_web` unless `fetchBundle` says otherwise). */
  readonly url: string;
  /**
   * How to fetch this endpoint's bundle, given the bundle held so far; default `fetchSpiffeBundle`
   * (`https_web`). The Node adapter's `httpsSpiffeEndpoint` supplies the `https_spiffe` profile.
   */
  readonly fetchBundle?: (previous: TrustBundle | undefined) => Promise<FetchedSpiffeBundle>;
}

export interface FederatedBundleStatus {
  readonly trustDomain: string;
  readonly url: string;
  /** When the bundle served was fetched (ms since the epoch), if ever. */
  readonly fetchedAt?: number;
  /** True when the last refresh failed or the bundle is older than its refresh interval times `staleAfter`. */
  readonly stale: boolean;
  readonly lastError?: { readonly code: TrustError['code']; readonly message: string };
  readonly sequence?: number;
}

/** Where fetched bundles are shared between instances (the Worker: Upstash); failures are ignored. */
export interface FederatedBundleCache {
  get(trustDomain: string): Promise<string | undefined>;
  set(trustDomain: string, value: string, ttlSeconds: number): Promise<void>;
}

export interface FederatedBundleSourceOptions {
  readonly fetch?: typeof fetch;
  /** Share fetched bundles (and when they are due) with other instances, e.g. Worker isolates. */
  readonly cache?: FederatedBundleCache;
  readonly timeoutMs?: number;
  /** A bundle counts as stale after this many refresh intervals without a successful refresh; default 2. */
  readonly staleAfter?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

interface Entry {
  readonly endpoint: FederatedEndpoint;
  bundle?: TrustBundle;
  fetchedAt?: number;
  dueAt: number;
  refreshMs: number;
  lastError?: TrustError;
  inflight?: Promise<void>;
}

/**
 * The bundles of federated trust domains, each refreshed from its `https_web` endpoint when it is
 * asked for and due (its refresh hint, bounded), single-flight. A failed refresh keeps the last
 * good bundle (never empties it) and is reported by `status()`; a trust domain whose bundle was
 * never fetched is `ERR_BUNDLE_NOT_FOUND` with the reason.
 *
 * @example
 * const federated = new FederatedBundleSource([{ trustDomain: 'partner.test', url: 'https://partner.test/bundle' }])
 * await verifyX509Svid(chain, federated)
 */
export class FederatedBundleSource implements BundleSource {
  readonly #entries = new Map<string, Entry>();
  readonly #options: FederatedBundleSourceOptions;
  readonly #now: () => number;

  constructor(endpoints: readonly FederatedEndpoint[], options: FederatedBundleSourceOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    for (const endpoint of endpoints) {
      const td = toTrustDomain(endpoint.trustDomain).name;
      if (this.#entries.has(td)) throw new TrustError('ERR_CONFIG_INVALID', `federation: trust domain ${td} configured twice`);
      this.#entries.set(td, { endpoint: { ...endpoint, trustDomain: td }, dueAt: 0, refreshMs: DEFAULT_REFRESH_MS });
    }
  }

  /** Refreshes every trust domain now (e.g. at start-up); never rejects. */
  async refreshAll(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => this.#refresh(e)));
  }

  async getBundle(trustDomain: TrustDomain | string): Promise<TrustBundle> {
    const td = toTrustDomain(trustDomain).name;
    const entry = this.#entries.get(td);
    if (!entry) throw new TrustError('ERR_BUNDLE_NOT_FOUND', `federation: trust domain ${td} is not federated`);
    if (this.#now() >= entry.dueAt) await this.#refresh(entry);
    if (!entry.bundle) {
      const why = entry.lastError ? `: ${entry.lastError.code}: ${entry.lastError.message}` : '';
      throw new TrustError('ERR_BUNDLE_NOT_FOUND', `federation: no bundle of ${td} yet${why}`, entry.lastError ? { cause: entry.lastError } : undefined);
    }
    return entry.bundle;
  }

  /** Refreshes one trust domain now, whatever its due time; never rejects (see `status()`). */
  async refresh(trustDomain: TrustDomain | string): Promise<void> {
    const entry = this.#entries.get(toTrustDomain(trustDomain).name);
    if (entry) await this.#refresh(entry);
  }

  status(): FederatedBundleStatus[] {
    const staleAfter = this.#options.staleAfter ?? 2;
    return [...this.#entries.values()].map((e) => ({
      trustDomain: e.endpoint.trustDomain,
      url: e.endpoint.url,
      ...(e.fetchedAt !== undefined ? { fetchedAt: e.fetchedAt } : {}),
      stale: e.bundle === undefined || e.lastError !== undefined || this.#now() - (e.fetchedAt ?? 0) > staleAfter * e.refreshMs,
      ...(e.lastError ? { lastError: { code: e.lastError.code, message: e.lastError.message } } : {}),
      ...(e.bundle?.sequence !== undefined ? { sequence: e.bundle.sequence } : {}),
    }));
  }

  /** A bundle another instance fetched and shared, still within its refresh interval. */
  async #fromCache(entry: Entry): Promise<boolean> {
    const cache = this.#options.cache;
    if (!cache) return false;
    let hit: { document?: unknown; fetchedAt?: unknown; refreshMs?: unknown };
    try {
      const text = await cache.get(entry.endpoint.trustDomain);
      if (text === undefined) return false;
      hit = JSON.parse(text) as typeof hit;
    } catch {
      return false; // a cache that cannot answer is not a reason to fail: fetch instead
    }
    if (typeof hit.document !== 'string' || typeof hit.fetchedAt !== 'number' || typeof hit.refreshMs !== 'number') return false;
    const dueAt = hit.fetchedAt + hit.refreshMs;
    if (this.#now() >= dueAt || (entry.fetchedAt !== undefined && hit.fetchedAt <= entry.fetchedAt)) return false;
    let bundle: TrustBundle;
    try {
      bundle = parseSpiffeBundle(hit.document, entry.endpoint.trustDomain);
    } catch {
      return false;
    }
    if (entry.bundle?.sequence !== undefined && bundle.sequence !== undefined && bundle.sequence < entry.bundle.sequence) return false;
    entry.bundle = bundle;
    entry.fetchedAt = hit.fetchedAt;
    entry.refreshMs = hit.refreshMs;
    entry.dueAt = dueAt;
    delete entry.lastError;
    return true;
  }

  #refresh(entry: Entry): Promise<void> {
    entry.inflight ??= (async () => {
      try {
        if (await this.#fromCache(entry)) return;
        const { bundle, refreshMs } = entry.endpoint.fetchBundle
          ? await entry.endpoint.fetchBundle(entry.bundle)
          : await fetchSpiffeBundle(entry.endpoint.url, {
              trustDomain: entry.endpoint.trustDomain,
              ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
              ...(this.#options.timeoutMs !== undefined ? { timeoutMs: this.#options.timeoutMs } : {}),
              ...(entry.bundle ? { previous: entry.bundle } : {}),
            });
        if (!bundle.trustDomain || bundle.trustDomain.name !== entry.endpoint.trustDomain) {
          throw new TrustError('ERR_BUNDLE_INVALID', `federation: the endpoint of ${entry.endpoint.trustDomain} returned a bundle of another trust domain`);
        }
        if (entry.bundle?.sequence !== undefined && bundle.sequence !== undefined && bundle.sequence < entry.bundle.sequence) {
          throw new TrustError('ERR_BUNDLE_INVALID', `federation: the bundle of ${entry.endpoint.trustDomain} went backwards (spiffe_sequence ${bundle.sequence} after ${entry.bundle.sequence})`);
        }
        entry.bundle = bundle;
        entry.fetchedAt = this.#now();
        entry.refreshMs = refreshMs;
        entry.dueAt = this.#now() + refreshMs;
        delete entry.lastError;
        const cache = this.#options.cache;
        if (cache) {
          const shared = JSON.stringify({ document: serializeSpiffeBundle(bundle), fetchedAt: entry.fetchedAt, refreshMs });
          await cache.set(entry.endpoint.trustDomain, shared, Math.ceil(refreshMs / 1000)).catch(() => {});
        }
      } catch (err) {
        entry.lastError = err instanceof TrustError ? err : new TrustError('ERR_FETCH_FAILED', 'federation: refresh failed', { cause: err });
        // SPIFFE Federation §6.2: "If attempts to poll the bundle endpoint fail, bundle endpoint
        // clients SHOULD retry at the next polling interval, rather than immediately or
        // aggressively": with a bundle held, the next interval. With none yet there is nothing to
        // serve, so retry after 30 s (at most the interval), still not on every request.
        entry.dueAt = this.#now() + (entry.bundle ? entry.refreshMs : Math.min(entry.refreshMs, MIN_REFRESH_MS));
      } finally {
        entry.inflight = undefined;
      }
    })();
    return entry.inflight;
  }
}
