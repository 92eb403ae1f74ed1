/**
 * One Workload API stream kept open, shared by the sources: messages handled one at a time,
 * reconnection with capped exponential backoff and jitter (reset on a good message), InvalidArgument
 * not retried, `ready()` waiting for the first good message and naming the last error when it does
 * not come. Internal.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';
import { TrustError } from '../core.js';
import { isPermanent, mapGrpcError } from './client.js';

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
export const DEFAULT_BACKOFF_INITIAL_MS = 200;
export const DEFAULT_BACKOFF_MAX_MS = 30_000;

export interface StreamKeeperOptions<M> {
  /** The RPC name, for messages (`FetchX509SVID`). */
  readonly call: string;
  /** What `ready()` waits for, for its message (`X509-SVID`, `JWT bundles`). */
  readonly what: string;
  readonly address: string;
  readonly open: () => ClientReadableStream<M>;
  /** Uses a message; throws (a TrustError) to refuse it. The keeper is ready after the first that does not throw. */
  readonly handle: (message: M) => void | Promise<void>;
  /** Every refusal and stream error, for the source's error listeners. */
  readonly report: (error: TrustError) => void;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly log?: (line: string) => void;
}

export class StreamKeeper<M> {
  readonly #o: StreamKeeperOptions<M>;
  #call: ClientReadableStream<M> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #delay: number;
  #queue: Promise<void> = Promise.resolve();
  #lastError: TrustError | undefined;
  #ready = false;
  #closed = false;
  readonly #waiters = new Set<() => void>();

  constructor(options: StreamKeeperOptions<M>) {
    this.#o = options;
    this.#delay = options.backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    this.#connect();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves on the first good message; `ERR_SVID_SOURCE_UNAVAILABLE` (naming the last error) after `timeoutMs`. */
  ready(timeoutMs: number = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.#ready) return Promise.resolve();
    if (this.#closed) return Promise.reject(new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'workloadapi: the source is closed'));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(done);
        const last = this.#lastError;
        reject(
          new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', `workloadapi: no valid ${this.#o.what} from ${this.#o.address} within ${timeoutMs} ms${last ? ` (${last.code}: ${last.message})` : ''}`, last ? { cause: last } : undefined),
        );
      }, timeoutMs);
      this.#waiters.add(done);
    });
  }

  #connect(): void {
    if (this.#closed) return;
    const call = this.#o.open();
    this.#call = call;
    call.on('data', (message: M) => {
      this.#queue = this.#queue.then(() => this.#use(message));
    });
    call.on('error', (err: unknown) => {
      if (this.#closed || this.#call !== call) return;
      this.#fail(mapGrpcError(err, this.#o.call));
      if (isPermanent(err)) this.#o.log?.(`workloadapi: ${this.#o.call} failed: not retried (the request is invalid)`);
      else this.#reconnectLater();
    });
    call.on('end', () => {
      if (!this.#closed && this.#call === call) this.#reconnectLater();
    });
  }

  async #use(message: M): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#o.handle(message);
    } catch (err) {
      if (!this.#closed) this.#fail(err instanceof TrustError ? err : new TrustError('ERR_WORKLOAD_API_FAILED', `workloadapi: a ${this.#o.call} response could not be used`, { cause: err }));
      return;
    }
    if (this.#closed) return;
    this.#ready = true;
    this.#delay = this.#o.backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
    for (const resolve of [...this.#waiters]) resolve();
  }

  #fail(error: TrustError): void {
    // the reason ready() gives when it times out: the latest failure before the first good message
    if (!this.#ready) this.#lastError = error;
    this.#o.report(error);
  }

  #reconnectLater(): void {
    if (this.#closed || this.#retry !== undefined) return;
    this.#call = undefined;
    const max = this.#o.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
    const delay = Math.min(max, this.#delay) * (0.8 + Math.random() * 0.4);
    this.#delay = Math.min(max, this.#delay * 2);
    // before the first good message, ready() reports; afterwards the operator hears of every reconnect
    if (this.#ready) this.#o.log?.(`workloadapi: reconnecting to ${this.#o.address} in ${Math.round(delay)} ms`);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#connect();
    }, delay);
    this.#retry.unref?.();
  }

  /** Stops the stream; idempotent; a message being handled finishes and is then ignored. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#call?.cancel();
    this.#call = undefined;
    this.#waiters.clear();
    await this.#queue;
  }
}

/** Error listeners of a source: each called, none able to stop the others. */
export class ErrorListeners {
  readonly #listeners = new Set<(e: Error) => void>();

  add(listener: (error: Error) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(error: Error): void {
    for (const l of [...this.#listeners]) {
      try {
        l(error);
      } catch {
        // a failing listener does not stop the others
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
