/**
 * X.509 bundles only, over the Workload API's `FetchX509Bundles` stream: for workloads that verify
 * peers without holding an SVID of their own. A `BundleSource` (every trust domain the agent
 * sends, keyed by `spiffe://<td>`); a malformed update is refused and the last good set kept;
 * reconnects with backoff.
 */
import { BundleSet, TrustBundle, TrustError, encodePem, parseTrustDomain, type BundleSource, type TrustDomain } from '../core.js';
import { workloadEndpointFrom, type WorkloadEndpoint } from './address.js';
import { createWorkloadApiClient, workloadMetadata, type WorkloadApiClient, type X509BundlesResponseMessage } from './client.js';
import { splitDerCertificates } from './der.js';
import { DEFAULT_READY_TIMEOUT_MS, ErrorListeners, StreamKeeper } from './stream.js';

export interface WorkloadBundleSourceOptions {
  readonly address?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
}

export class WorkloadX509BundleSource implements BundleSource {
  readonly endpoint: WorkloadEndpoint;
  readonly #client: WorkloadApiClient;
  readonly #stream: StreamKeeper<X509BundlesResponseMessage>;
  readonly #errors = new ErrorListeners();
  #bundles: BundleSet | undefined;
  #closed = false;

  constructor(options: WorkloadBundleSourceOptions = {}) {
    this.endpoint = workloadEndpointFrom(options.address, options.env ?? process.env);
    this.#client = createWorkloadApiClient(this.endpoint);
    this.#stream = new StreamKeeper({
      call: 'FetchX509Bundles',
      what: 'X.509 bundles',
      address: this.endpoint.address,
      open: () => this.#client.FetchX509Bundles({}, workloadMetadata()),
      handle: (message) => {
        const entries = Object.entries(message.bundles ?? {});
        // Workload API §5.2.2: bundles "MUST contain at least the trust bundle for the trust domain
        // in which the server resides"; §4.5: a mandatory field with its default value is reported
        // and the message discarded (the last good bundles keep serving)
        if (entries.length === 0) throw new TrustError('ERR_WORKLOAD_API_FAILED', 'workloadapi: a FetchX509Bundles response without bundles was discarded');
        const set = new BundleSet();
        for (const [tdId, der] of entries) {
          const td = parseTrustDomain(tdId);
          const pem = splitDerCertificates(der, `bundle of ${td.name}`).map((c) => encodePem('CERTIFICATE', c)).join('');
          set.add(TrustBundle.fromPem(td, pem));
        }
        this.#bundles = set;
      },
      report: (error) => this.#errors.emit(error),
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
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
    return this.#closed ? Promise.reject(new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed')) : this.#stream.ready(timeoutMs);
  }

  getBundle(trustDomain: TrustDomain | string): TrustBundle {
    if (this.#closed) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed');
    if (!this.#bundles) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: no X.509 bundles yet');
    return this.#bundles.getBundle(trustDomain);
  }

  onError(listener: (error: Error) => void): () => void {
    return this.#errors.add(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#stream.close();
    this.#client.close();
    this.#errors.clear();
  }
}
