/**
 * X.509 bundles only, over the Workload API's `FetchX509Bundles` stream: for workloads that verify
 * peers without holding an SVID of their own. A `BundleSource` (every trust domain the agent
 * sends, keyed by `spiffe://<td>`); a malformed update is refused and the last good set kept;
 * reconnects with backoff.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';
import { BundleSet, TrustBundle, TrustError, encodePem, parseTrustDomain, type BundleSource, type TrustDomain } from '../core.js';
import { workloadEndpointFrom, type WorkloadEndpoint } from './address.js';
import { createWorkloadApiClient, isPermanent, mapGrpcError, workloadMetadata, type WorkloadApiClient, type X509BundlesResponseMessage } from './client.js';
import { splitDerCertificates } from './der.js';
import { DEFAULT_BACKOFF_INITIAL_MS, DEFAULT_BACKOFF_MAX_MS, DEFAULT_READY_TIMEOUT_MS } from './x509-source.js';

export interface WorkloadBundleSourceOptions {
  readonly address?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
}

export class WorkloadX509BundleSource implements BundleSource {
  readonly endpoint: WorkloadEndpoint;
  readonly #options: WorkloadBundleSourceOptions;
  readonly #client: WorkloadApiClient;
  #bundles: BundleSet | undefined;
  #call: ClientReadableStream<X509BundlesResponseMessage> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #delay: number;
  #closed = false;
  #lastError: TrustError | undefined;
  readonly #waiters = new Set<() => void>();
  readonly #errorListeners = new Set<(e: Error) => void>();

  constructor(options: WorkloadBundleSourceOptions = {}) {
    this.endpoint = workloadEndpointFrom(options.address, options.env ?? process.env);
    this.#options = options;
    this.#delay = options.backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.#client = createWorkloadApiClient(this.endpoint);
    this.#connect();
  }

  static async open(options: WorkloadBundleSourceOptions & { readonly readyTimeoutMs?: number } = {}): Promise<WorkloadX509BundleSource> {
    const source = new WorkloadX509BundleSource(options);
    try {
      await source.ready(options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
  }

  ready(timeoutMs: number = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.#bundles) return Promise.resolve();
    if (this.#closed) return Promise.reject(new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed'));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(done);
        const why = this.#lastError ? ` (${this.#lastError.code}: ${this.#lastError.message})` : '';
        reject(new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', `workloadapi: no X.509 bundles from ${this.endpoint.address} within ${timeoutMs} ms${why}`));
      }, timeoutMs);
      this.#waiters.add(done);
    });
  }

  getBundle(trustDomain: TrustDomain | string): TrustBundle {
    if (this.#closed) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed');
    if (!this.#bundles) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: no X.509 bundles yet');
    return this.#bundles.getBundle(trustDomain);
  }

  onError(listener: (error: Error) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  #connect(): void {
    if (this.#closed) return;
    const call = this.#client.FetchX509Bundles({}, workloadMetadata());
    this.#call = call;
    call.on('data', (message: X509BundlesResponseMessage) => {
      try {
        const set = new BundleSet();
        for (const [tdId, der] of Object.entries(message.bundles ?? {})) {
          const td = parseTrustDomain(tdId);
          const pem = splitDerCertificates(der, `bundle of ${td.name}`).map((c) => encodePem('CERTIFICATE', c)).join('');
          set.add(TrustBundle.fromPem(td, pem));
        }
        this.#bundles = set;
        this.#delay = this.#options.backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
        for (const w of [...this.#waiters]) w();
      } catch (err) {
        this.#report(err instanceof TrustError ? err : new TrustError('ERR_BUNDLE_INVALID', 'workloadapi: the X.509 bundles could not be used', { cause: err }));
      }
    });
    call.on('error', (err: unknown) => {
      if (this.#closed || this.#call !== call) return;
      this.#report(mapGrpcError(err, 'FetchX509Bundles'));
      if (!isPermanent(err)) this.#reconnectLater();
    });
    call.on('end', () => {
      if (!this.#closed && this.#call === call) this.#reconnectLater();
    });
  }

  #report(error: TrustError): void {
    if (!this.#bundles) this.#lastError = error;
    for (const l of [...this.#errorListeners]) {
      try {
        l(error);
      } catch {
        // ignore a failing listener
      }
    }
  }

  #reconnectLater(): void {
    if (this.#closed || this.#retry !== undefined) return;
    this.#call = undefined;
    const max = this.#options.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    const delay = Math.min(max, this.#delay) * (0.8 + Math.random() * 0.4);
    this.#delay = Math.min(max, this.#delay * 2);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#connect();
    }, delay);
    this.#retry.unref?.();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#call?.cancel();
    this.#call = undefined;
    this.#client.close();
    this.#waiters.clear();
    this.#errorListeners.clear();
  }
}
