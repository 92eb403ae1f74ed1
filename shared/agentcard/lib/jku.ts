/**
 * `jku` key sets: fetched only from origins the verifier configured (a `jku` alone is signer-chosen
 * and never a trust root), with a timeout, a body cap, no redirects, and a cache. Internal.
 */
import { TrustError } from '../../errors.js';
import { MemoryKeyValueStore } from '../../store/memory-key-value-store.js';
import type { AgentCardJkuOptions, JwksCache } from '../types.js';

export const DEFAULT_JKU_TIMEOUT_MS = 5000;
export const DEFAULT_JKU_MAX_BYTES = 64 * 1024;
export const DEFAULT_JKU_TTL_SECONDS = 300;

const defaultCache: JwksCache = new MemoryKeyValueStore({ maxEntries: 256 });
// concurrent verifications of cards naming the same jku share one fetch (per cache: per configuration)
const inflightByCache = new WeakMap<JwksCache, Map<string, Promise<string>>>();

function failed(message: string, cause?: unknown): TrustError {
  return new TrustError('ERR_JKU_FETCH_FAILED', `jku: ${message}`, cause === undefined ? undefined : { cause });
}

/** Normalized allowed origins; a malformed entry is a configuration error, reported at once. */
export function allowedOrigins(list: readonly string[]): Set<string> {
  if (!Array.isArray(list)) throw new TrustError('ERR_INPUT_INVALID', 'jku.allowedOrigins must be an array of origins');
  const out = new Set<string>();
  for (const entry of list) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch (err) {
      throw new TrustError('ERR_INPUT_INVALID', `jku.allowedOrigins: ${JSON.stringify(String(entry))} is not an origin`, { cause: err });
    }
    if (url.origin === 'null' || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
      throw new TrustError('ERR_INPUT_INVALID', `jku.allowedOrigins: ${JSON.stringify(entry)} is not an origin (scheme://host[:port])`);
    }
    out.add(url.origin);
  }
  return out;
}

/** The URL of `jku` when its origin is allowed; ERR_JKU_NOT_ALLOWED otherwise. */
export function checkJku(jku: string, origins: ReadonlySet<string> | undefined): string {
  let url: URL;
  try {
    url = new URL(jku);
  } catch (err) {
    throw new TrustError('ERR_JKU_NOT_ALLOWED', 'jku: not an absolute URL', { cause: err });
  }
  if (!origins || !origins.has(url.origin) || url.username || url.password || url.hash) {
    throw new TrustError('ERR_JKU_NOT_ALLOWED', `jku: origin ${JSON.stringify(url.origin)} is not allowed`);
  }
  return url.href;
}

/** The JWKS text for `url`: from the cache, else fetched (and then cached). */
export async function jwksText(url: string, options: AgentCardJkuOptions): Promise<string> {
  const cache = options.cache ?? defaultCache;
  const cached = await storeCall(() => cache.get(url));
  if (typeof cached === 'string') return cached;
  let inflight = inflightByCache.get(cache);
  if (!inflight) inflightByCache.set(cache, (inflight = new Map()));
  const pending = inflight;
  let p = pending.get(url);
  if (!p) {
    p = fetchJwks(url, options)
      .then(async (text) => {
        jwksKeys(text); // only a well-formed JWKS is worth caching
        await storeCall(() => cache.set(url, text, options.ttlSeconds ?? DEFAULT_JKU_TTL_SECONDS));
        return text;
      })
      .finally(() => pending.delete(url));
    pending.set(url, p);
  }
  return p;
}

/** The keys of a JWKS document (checked shape; the keys themselves are checked when used). */
export function jwksKeys(text: string): JsonWebKey[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw failed('the JWKS is not JSON', err);
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(keys)) throw failed('the JWKS has no "keys" array');
  return keys.filter((k): k is JsonWebKey => typeof k === 'object' && k !== null && !Array.isArray(k));
}

async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw new TrustError('ERR_STORE_UNAVAILABLE', 'jku: the JWKS cache is unavailable', { cause: err });
  }
}

async function fetchJwks(url: string, options: AgentCardJkuOptions): Promise<string> {
  const doFetch = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (typeof doFetch !== 'function') throw failed('no fetch function available');
  const timeoutMs = options.timeoutMs ?? DEFAULT_JKU_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_JKU_MAX_BYTES;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // the race also covers a fetch that ignores its signal
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(failed(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([download(doFetch, url, controller.signal, maxBytes), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function download(doFetch: typeof fetch, url: string, signal: AbortSignal, maxBytes: number): Promise<string> {
  let res: Response;
  try {
    // redirects are not followed: they could lead off the allowed origin
    res = await doFetch(url, { method: 'GET', redirect: 'manual', signal, headers: { accept: 'application/jwk-set+json, application/json' } });
  } catch (err) {
    throw failed('the request failed', err);
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw failed(`the server answered ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw failed(`the JWKS is larger than ${maxBytes} bytes`);
  }
  if (!res.body) throw failed('the response has no body');
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw failed(`the JWKS is larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw failed('reading the body failed', err);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
  } catch (err) {
    throw failed('the JWKS is not UTF-8', err);
  }
}
