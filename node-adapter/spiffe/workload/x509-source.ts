/**
 * An X.509 source over the SPIFFE Workload API (go-spiffe's `workloadapi.X509Source`): the
 * `FetchX509SVID` stream, each message validated before it is swapped in (the key matches the
 * leaf, the leaf verifies under the delivered bundle, the SPIFFE ID is the leaf's), federated
 * bundles in the bundle set, reconnection with capped exponential backoff and jitter while the
 * last good material keeps serving.
 */
import { createPrivateKey } from 'node:crypto';
import { TrustError, encodePem, parseSpiffeId, parseTrustDomain } from '../core.js';
import { BaseX509Source } from '../base-source.js';
import { validateX509Material } from '../material.js';
import { workloadEndpointFrom, type WorkloadEndpoint } from './address.js';
import { createWorkloadApiClient, workloadMetadata, type WorkloadApiClient, type X509SvidMessage, type X509SvidResponseMessage } from './client.js';
import { DEFAULT_READY_TIMEOUT_MS, StreamKeeper } from './stream.js';
import { splitDerCertificates } from './der.js';

export { DEFAULT_READY_TIMEOUT_MS, DEFAULT_BACKOFF_INITIAL_MS, DEFAULT_BACKOFF_MAX_MS } from './stream.js';

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
  readonly #stream: StreamKeeper<X509SvidResponseMessage>;
  #updates = 0;

  /** Connects at once; `ready()` resolves on the first valid SVID. Prefer {@link WorkloadX509Source.open}. */
  constructor(options: WorkloadX509SourceOptions = {}) {
    super();
    this.endpoint = workloadEndpointFrom(options.address, options.env ?? process.env);
    if (options.hint !== undefined && options.picker !== undefined) throw new TrustError('ERR_CONFIG_INVALID', 'workloadapi: give hint or picker, not both');
    this.#options = options;
    this.#client = createWorkloadApiClient(this.endpoint);
    this.#stream = new StreamKeeper({
      call: 'FetchX509SVID',
      what: 'X509-SVID',
      address: this.endpoint.address,
      open: () => this.#client.FetchX509SVID({}, workloadMetadata()),
      handle: (message) => this.#handle(message),
      report: (error) => this.emitError(error),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
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
    return this.closed ? Promise.reject(new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed')) : this.#stream.ready(timeoutMs);
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

  /** Validates one response and swaps it in; a refusal keeps the current SVID (the keeper reports it). */
  async #handle(message: X509SvidResponseMessage): Promise<void> {
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
    } catch (err) {
      const error = err instanceof TrustError ? err : new TrustError('ERR_WORKLOAD_API_FAILED', 'workloadapi: the X509-SVID response could not be used', { cause: err });
      throw new TrustError(error.code, `workloadapi: kept the current SVID; the update was refused: ${error.message}`, { cause: error });
    }
  }

  protected override async onClose(): Promise<void> {
    await this.#stream.close();
    this.#client.close();
  }
}
