/**
 * An X.509 source over the SPIFFE Workload API (go-spiffe's `workloadapi.X509Source`): the
 * `FetchX509SVID` stream, each message validated before it is swapped in (the key matches the
 * leaf, the leaf verifies under the delivered bundle, the SPIFFE ID is the leaf's), federated
 * bundles in the bundle set, reconnection with capped exponential backoff and jitter while the
 * last good material keeps serving.
 */
import { createPrivateKey } from 'node:crypto';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { TrustError, encodePem, parseSpiffeId, parseTrustDomain } from '../core.js';
import { BaseX509Source } from '../base-source.js';
import { validateX509Material } from '../material.js';
import { workloadEndpointFrom, type WorkloadEndpoint } from './address.js';
import { createWorkloadApiClient, isPermanent, mapGrpcError, workloadMetadata, type WorkloadApiClient, type X509SvidMessage, type X509SvidResponseMessage } from './client.js';
import { splitDerCertificates } from './der.js';

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
export const DEFAULT_BACKOFF_INITIAL_MS = 200;
export const DEFAULT_BACKOFF_MAX_MS = 30_000;

/** Which SVID to use when the agent returns several. */
export type SvidPicker = (svids: readonly { spiffeId: string; hint: string }[]) => number;

export interface WorkloadX509SourceOptions {
  /** `unix:///path` or `tcp://IP:port`; default `SPIFFE_ENDPOINT_SOCKET`. */
  readonly address?: string;
  /** Pick the SVID with this hint (refused when none has it). */
  readonly hint?: string;
  /** Or pick by function (index into the list); default the first SVID. */
  readonly picker?: SvidPicker;
  /** Reconnect backoff: first delay and cap, in ms (each delay ±20 % jitter). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Where the source reports reconnects and refusals; default silent. */
  readonly log?: (line: string) => void;
  /** Environment for `SPIFFE_ENDPOINT_SOCKET` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function keyPem(der: Buffer): string {
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (err) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', 'workloadapi: x509_svid_key is not a PKCS#8 private key Node can read', { cause: err });
  }
}

const pemOf = (der: Uint8Array, what: string) =>
  splitDerCertificates(der, what)
    .map((c) => encodePem('CERTIFICATE', c))
    .join('');

export class WorkloadX509Source extends BaseX509Source {
  readonly endpoint: WorkloadEndpoint;
  readonly #options: WorkloadX509SourceOptions;
  readonly #client: WorkloadApiClient;
  #call: ClientReadableStream<X509SvidResponseMessage> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #delay: number;
  #queue: Promise<void> = Promise.resolve();
  #firstError: TrustError | undefined;
  readonly #readyWaiters = new Set<() => void>();
  #updates = 0;

  /** Connects at once; `ready()` resolves on the first valid SVID. Prefer {@link WorkloadX509Source.open}. */
  constructor(options: WorkloadX509SourceOptions = {}) {
    super();
    this.endpoint = workloadEndpointFrom(options.address, options.env ?? process.env);
    if (options.hint !== undefined && options.picker !== undefined) throw new TrustError('ERR_CONFIG_INVALID', 'workloadapi: give hint or picker, not both');
    this.#options = options;
    this.#delay = options.backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.#client = createWorkloadApiClient(this.endpoint);
    this.#connect();
  }

  /**
   * Opens a source and waits for its first SVID.
   *
   * @example
   * const source = await WorkloadX509Source.open({ address: 'unix:///run/spire/agent.sock' })
   * const server = createMtlsServer({ source, authorize: authorizeMemberOf('example.org') }, handler)
   */
  static async open(options: WorkloadX509SourceOptions & { readonly readyTimeoutMs?: number } = {}): Promise<WorkloadX509Source> {
    const source = new WorkloadX509Source(options);
    try {
      await source.ready(options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
  }

  /** How many SVID updates were swapped in. */
  get updates(): number {
    return this.#updates;
  }

  /** Resolves when the first valid SVID is in; `ERR_SVID_SOURCE_UNAVAILABLE` (naming the last error) after `timeoutMs`. */
  ready(timeoutMs: number = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.#updates > 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed'));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#readyWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#readyWaiters.delete(done);
        const why = this.#firstError ? ` (${this.#firstError.code}: ${this.#firstError.message})` : '';
        reject(new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', `workloadapi: no valid X509-SVID from ${this.endpoint.address} within ${timeoutMs} ms${why}`, this.#firstError ? { cause: this.#firstError } : undefined));
      }, timeoutMs);
      this.#readyWaiters.add(done);
    });
  }

  #connect(): void {
    if (this.closed) return;
    const call = this.#client.FetchX509SVID({}, workloadMetadata());
    this.#call = call;
    call.on('data', (message: X509SvidResponseMessage) => {
      this.#queue = this.#queue.then(() => this.#handle(message));
    });
    call.on('error', (err: unknown) => {
      if (this.closed || this.#call !== call) return;
      const error = mapGrpcError(err, 'FetchX509SVID');
      this.#report(error);
      if (isPermanent(err)) {
        this.#options.log?.(`${error.message}: not retried (the request is invalid)`);
        this.#firstError = error;
        return;
      }
      this.#reconnectLater();
    });
    call.on('end', () => {
      if (this.closed || this.#call !== call) return;
      this.#reconnectLater();
    });
  }

  #reconnectLater(): void {
    if (this.closed || this.#retry !== undefined) return;
    this.#call = undefined;
    const max = this.#options.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    const delay = Math.min(max, this.#delay) * (0.8 + Math.random() * 0.4);
    this.#delay = Math.min(max, this.#delay * 2);
    // before the first SVID, ready() reports; afterwards the operator hears of every reconnect
    if (this.#updates > 0) this.#options.log?.(`workloadapi: reconnecting to ${this.endpoint.address} in ${Math.round(delay)} ms`);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#connect();
    }, delay);
    this.#retry.unref?.();
  }

  #report(error: TrustError): void {
    // the reason ready() gives when it times out: the latest failure before the first SVID
    if (this.#updates === 0) this.#firstError = error;
    // errors go to onError subscribers (and, before the first SVID, into ready()'s reason)
    this.emitError(error);
  }

  #pick(svids: readonly X509SvidMessage[]): X509SvidMessage {
    if (svids.length === 0) throw new TrustError('ERR_WORKLOAD_API_DENIED', 'workloadapi: the agent returned no X509-SVID for this workload');
    const list = svids.map((s) => ({ spiffeId: s.spiffe_id, hint: s.hint }));
    let index = 0;
    if (this.#options.hint !== undefined) {
      index = list.findIndex((s) => s.hint === this.#options.hint);
      if (index === -1) throw new TrustError('ERR_WORKLOAD_API_FAILED', `workloadapi: no X509-SVID with hint ${JSON.stringify(this.#options.hint)} (hints: ${list.map((s) => JSON.stringify(s.hint)).join(', ')})`);
    } else if (this.#options.picker) {
      index = this.#options.picker(list);
      if (!Number.isInteger(index) || index < 0 || index >= svids.length) throw new TrustError('ERR_WORKLOAD_API_FAILED', 'workloadapi: the picker chose no SVID');
    }
    return svids[index]!;
  }

  async #handle(message: X509SvidResponseMessage): Promise<void> {
    if (this.closed) return;
    try {
      const svid = this.#pick(message.svids ?? []);
      const federatedBundles: Record<string, string> = {};
      for (const [tdId, der] of Object.entries(message.federated_bundles ?? {})) {
        const td = parseTrustDomain(tdId).name;
        federatedBundles[td] = pemOf(der, `federated bundle of ${td}`);
      }
      const { svid: validated, bundles } = await validateX509Material({
        certificates: pemOf(svid.x509_svid, 'x509_svid'),
        privateKey: keyPem(svid.x509_svid_key),
        bundle: pemOf(svid.bundle, 'bundle'),
        federatedBundles,
      });
      if (parseSpiffeId(svid.spiffe_id).toString() !== validated.id.toString()) {
        throw new TrustError('ERR_SVID_URI_SAN_INVALID', `workloadapi: spiffe_id ${JSON.stringify(svid.spiffe_id)} is not the leaf's SPIFFE ID ${validated.id.toString()}`);
      }
      if (this.closed) return;
      this.swap(validated, bundles);
      this.#updates++;
      this.#delay = this.#options.backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
      for (const resolve of [...this.#readyWaiters]) resolve();
    } catch (err) {
      if (this.closed) return;
      const error = err instanceof TrustError ? err : new TrustError('ERR_WORKLOAD_API_FAILED', 'workloadapi: the X509-SVID response could not be used', { cause: err });
      this.#report(new TrustError(error.code, `workloadapi: kept the current SVID; the update was refused: ${error.message}`, { cause: error }));
    }
  }

  protected override async onClose(): Promise<void> {
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    const call = this.#call;
    this.#call = undefined;
    call?.cancel();
    this.#client.close();
    await this.#queue;
  }
}
