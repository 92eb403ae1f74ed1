/**
 * Fetches an AgentCard from an agent's well-known location, as a hostile-input client must:
 * https only, exact-origin allowlist, no cross-origin redirects, a byte cap enforced while
 * streaming, and one deadline over the whole exchange. Each failure has its own code.
 */
import { TrustError } from '../../shared/errors.js';
import { parseJsonBytes, readCapped } from '../http/body.js';

/** The well-known paths, in the order tried: the current name, then the legacy one on 404. */
export const AGENT_CARD_PATHS = ['/.well-known/agent-card.json', '/.well-known/agent.json'] as const;

export interface FetchAgentCardOptions {
  /** Exact origins (`https://agent.example`) that may be fetched. Empty: nothing may. */
  allowedOrigins: ReadonlySet<string>;
  fetch: typeof fetch;
  /** Deadline for the whole exchange (all paths and redirects). Default 10 s. */
  timeoutMs?: number;
  /** Byte cap on the card. Default 1 MiB. */
  maxBytes?: number;
  /** Same-origin redirects followed per path. Default 3. */
  maxRedirects?: number;
}

export interface FetchedAgentCard {
  card: unknown;
  /** The URL the card was finally read from (after same-origin redirects). */
  url: string;
  /** Which well-known path answered. */
  path: (typeof AGENT_CARD_PATHS)[number];
}

/**
 * The origin to fetch from, checked against the allowlist. `url` must be an `https:` origin
 * (a trailing `/` is accepted); paths, queries, fragments and credentials are refused.
 *
 * @example
 * agentOrigin('https://agent.example', new Set(['https://agent.example'])) // 'https://agent.example'
 */
export function agentOrigin(url: string, allowedOrigins: ReadonlySet<string>): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new TrustError('ERR_REQUEST_INVALID', '"url" is not a valid URL', { cause: err });
  }
  if (parsed.protocol !== 'https:') throw new TrustError('ERR_FETCH_ORIGIN_NOT_ALLOWED', 'only https: origins may be fetched');
  if (parsed.username || parsed.password) throw new TrustError('ERR_REQUEST_INVALID', '"url" must not carry credentials');
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.hash || url.includes('?') || url.includes('#')) {
    throw new TrustError('ERR_REQUEST_INVALID', '"url" must be an origin such as https://agent.example (no path, query or fragment)');
  }
  if (!allowedOrigins.has(parsed.origin)) {
    throw new TrustError('ERR_FETCH_ORIGIN_NOT_ALLOWED', `origin ${parsed.origin} is not in FETCH_ALLOWED_ORIGINS`);
  }
  return parsed.origin;
}

/**
 * Fetches and parses the card at `origin`'s well-known path, falling back to the legacy path on 404.
 * Throws `ERR_FETCH_ORIGIN_NOT_ALLOWED`, `ERR_FETCH_REDIRECT_NOT_ALLOWED`, `ERR_FETCH_TIMEOUT`,
 * `ERR_FETCH_TOO_LARGE`, `ERR_FETCH_NOT_FOUND`, `ERR_FETCH_FAILED` or `ERR_CARD_MALFORMED`.
 *
 * @example
 * const { card, path } = await fetchAgentCard('https://agent.example', { allowedOrigins, fetch });
 */
export async function fetchAgentCard(url: string, options: FetchAgentCardOptions): Promise<FetchedAgentCard> {
  const origin = agentOrigin(url, options.allowedOrigins);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const maxRedirects = options.maxRedirects ?? 3;

  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TrustError('ERR_FETCH_TIMEOUT', `no agent card from ${origin} within ${timeoutMs} ms`);
      reject(err);
      controller.abort(err);
    }, timeoutMs);
  });
  timedOut.catch(() => {});

  try {
    for (const path of AGENT_CARD_PATHS) {
      const res = await get(origin + path, origin, options.fetch, controller.signal, timedOut, maxRedirects);
      if (res.response.status === 404) {
        res.response.body?.cancel().catch(() => {});
        continue;
      }
      if (!res.response.ok) {
        res.response.body?.cancel().catch(() => {});
        throw new TrustError('ERR_FETCH_FAILED', `${res.url} answered HTTP ${res.response.status}`);
      }
      const length = res.response.headers.get('content-length');
      if (length !== null && /^\d+$/.test(length) && Number(length) > maxBytes) {
        res.response.body?.cancel().catch(() => {});
        throw new TrustError('ERR_FETCH_TOO_LARGE', `agent card at ${res.url} exceeds ${maxBytes} bytes`);
      }
      const bytes = await readCapped(res.response.body, maxBytes, 'ERR_FETCH_TOO_LARGE', timedOut).catch((err: unknown) => {
        throw err instanceof TrustError ? err : new TrustError('ERR_FETCH_FAILED', `reading the agent card from ${res.url} failed`, { cause: err });
      });
      const card = parseJsonBytes(bytes, `agent card at ${res.url}`, 'ERR_CARD_MALFORMED');
      return { card, url: res.url, path };
    }
    throw new TrustError('ERR_FETCH_NOT_FOUND', `${origin} has no agent card at ${AGENT_CARD_PATHS.join(' or ')}`);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

async function get(
  start: string,
  origin: string,
  fetchFn: typeof fetch,
  signal: AbortSignal,
  timedOut: Promise<never>,
  maxRedirects: number,
): Promise<{ response: Response; url: string }> {
  let url = start;
  for (let hop = 0; ; hop++) {
    let response: Response;
    try {
      response = await Promise.race([
        fetchFn(url, { method: 'GET', redirect: 'manual', signal, headers: { accept: 'application/json' } }),
        timedOut,
      ]);
    } catch (err) {
      if (err instanceof TrustError) throw err;
      if (signal.aborted && signal.reason instanceof TrustError) throw signal.reason;
      throw new TrustError('ERR_FETCH_FAILED', `fetching ${url} failed`, { cause: err });
    }
    if (response.status < 300 || response.status > 399 || response.status === 304) return { response, url };
    response.body?.cancel().catch(() => {});
    const location = response.headers.get('location');
    if (!location) throw new TrustError('ERR_FETCH_FAILED', `${url} answered HTTP ${response.status} without a Location`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch (err) {
      throw new TrustError('ERR_FETCH_REDIRECT_NOT_ALLOWED', `${url} redirected to an invalid URL`, { cause: err });
    }
    if (next.origin !== origin || next.username || next.password) {
      throw new TrustError('ERR_FETCH_REDIRECT_NOT_ALLOWED', `${url} redirected to another origin (${next.origin})`);
    }
    if (hop >= maxRedirects) throw new TrustError('ERR_FETCH_REDIRECT_NOT_ALLOWED', `more than ${maxRedirects} redirects from ${start}`);
    url = next.href;
  }
}
