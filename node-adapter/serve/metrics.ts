/**
 * The service's Prometheus metrics (prom-client, one registry per service, never the global one):
 * requests by route and status, their latency, verifications by kind, outcome and error code,
 * error responses by code, and store errors by store; plus prom-client's process metrics.
 * Labels are route patterns and codes only — a closed set, so the series count stays bounded.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestEvent } from '../../workers/app.js';

/** Latency buckets in seconds: a warm verification is well under a millisecond; fetches take longer. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class ServeMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #duration: Histogram<'route'>;
  readonly #verifications: Counter<'kind' | 'outcome' | 'code'>;
  readonly #errors: Counter<'code'>;
  readonly #storeErrors: Counter<'store'>;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.#requests = new Counter({ name: 'cardtrust_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status.', labelNames: ['method', 'route', 'status'], registers });
    this.#duration = new Histogram({ name: 'cardtrust_http_request_duration_seconds', help: 'Time in the app per request, by route pattern.', labelNames: ['route'], buckets: BUCKETS, registers });
    this.#verifications = new Counter({
      name: 'cardtrust_verifications_total',
      help: 'Verifications that ran, by kind (agent-card, x509-svid, jwt-svid), outcome (verified, not_verified) and error code (empty when verified).',
      labelNames: ['kind', 'outcome', 'code'],
      registers,
    });
    this.#errors = new Counter({ name: 'cardtrust_http_errors_total', help: 'Error responses, by error code.', labelNames: ['code'], registers });
    this.#storeErrors = new Counter({ name: 'cardtrust_store_errors_total', help: 'Failed store operations, by store (replay, sealed_keys, jku_cache, bundle_cache, rate_limit).', labelNames: ['store'], registers });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'cardtrust_' });
  }

  /** Counts one request (the app's observer). */
  observe(event: RequestEvent): void {
    const route = event.route;
    this.#requests.inc({ method: event.method, route, status: String(event.status) });
    this.#duration.observe({ route }, event.durationMs / 1000);
    if (event.code) this.#errors.inc({ code: event.code });
    const v = event.verification;
    if (v) this.#verifications.inc({ kind: v.kind, outcome: v.verified ? 'verified' : 'not_verified', code: v.code ?? '' });
  }

  /** Counts one failed store operation. */
  storeError(store: string): void {
    this.#storeErrors.inc({ store });
  }

  /** The exposition text and its content type (Prometheus text format 0.0.4). */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/**
 * `store` with every method counted on failure (the error is passed on unchanged: callers still
 * fail closed). Only own and prototype methods that return promises are wrapped.
 */
export function countFailures<T extends object>(store: T, name: string, metrics: ServeMetrics): T {
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) {
          return result.catch((err: unknown) => {
            metrics.storeError(name);
            throw err;
          });
        }
        return result;
      };
    },
  });
}
