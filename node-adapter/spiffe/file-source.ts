/**
 * An X.509 source over the files a SPIFFE sidecar writes (spiffe-helper's layout: `svid.pem` leaf
 * and intermediates, `svid_key.pem`, `svid_bundle.pem`, and optional federated bundles), with
 * rotation that never serves a half-written or invalid SVID.
 *
 * Rotation: the directory is watched (atomic renames and the Kubernetes `..data` symlink swap both
 * show up as events on the directory, not on the files), bursts are coalesced by a debounce, and
 * a periodic resync re-reads the files in case an event was lost. Every change is validated before
 * it is swapped in (key matches leaf, leaf verifies under the new bundle); a change that fails
 * keeps the last good material and emits an error; content identical to what is served (or to the
 * last refused content) is skipped. Handshakes read only memory.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { TrustError } from './core.js';
import { BaseX509Source } from './base-source.js';
import { validateX509Material, type X509MaterialInput } from './material.js';

export const DEFAULT_SVID_FILE = 'svid.pem';
export const DEFAULT_SVID_KEY_FILE = 'svid_key.pem';
export const DEFAULT_SVID_BUNDLE_FILE = 'svid_bundle.pem';
/** How long `open()` waits for valid files by default. */
export const DEFAULT_SVID_WAIT_MS = 30_000;
/** Quiet time after the last file event before a reload. */
export const DEFAULT_DEBOUNCE_MS = 100;
/** A burst of events never delays a reload longer than this. */
export const MAX_DEBOUNCE_WAIT_MS = 1_000;
/** Safety-net re-read of the files, for lost events. */
export const DEFAULT_RESYNC_MS = 30_000;
const POLL_MS = 100;

export interface FileX509SourceOptions {
  /** Default `svid.pem`: the leaf first, then intermediates. */
  readonly certFileName?: string;
  /** Default `svid_key.pem`: the leaf's private key (PKCS#8 PEM, or SEC1/PKCS#1). */
  readonly keyFileName?: string;
  /** Default `svid_bundle.pem`: the CA certificates of the SVID's trust domain. */
  readonly bundleFileName?: string;
  /** Federated bundles: trust domain name → PEM file (relative to the directory, or absolute). */
  readonly federatedBundles?: Readonly<Record<string, string>>;
  /** How long `open()` waits for the files to appear and validate; default 30 s. 0: one attempt. */
  readonly waitMs?: number;
  /** Debounce after a file event; default 100 ms. */
  readonly debounceMs?: number;
  /** Periodic re-read; default 30 s. */
  readonly resyncMs?: number;
  /** Where the source reports what it did (files appeared, rotated, refused); default silent. */
  readonly log?: (line: string) => void;
}

interface ReadFiles {
  readonly input: X509MaterialInput;
  readonly fingerprint: string;
}

export class FileX509Source extends BaseX509Source {
  readonly dir: string;
  readonly #files: { cert: string; key: string; bundle: string; federated: Array<[string, string]> };
  readonly #debounceMs: number;
  readonly #resyncMs: number;
  readonly #log: (line: string) => void;
  #watcher: FSWatcher | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #burstStart = 0;
  #resync: ReturnType<typeof setInterval> | undefined;
  #servedFingerprint = '';
  #refusedFingerprint = '';
  #reloading: Promise<void> | undefined;
  #again = false;
  #reloads = 0;

  private constructor(dir: string, options: FileX509SourceOptions) {
    super();
    this.dir = dir;
    const at = (name: string) => (isAbsolute(name) ? name : join(dir, name));
    this.#files = {
      cert: at(options.certFileName ?? DEFAULT_SVID_FILE),
      key: at(options.keyFileName ?? DEFAULT_SVID_KEY_FILE),
      bundle: at(options.bundleFileName ?? DEFAULT_SVID_BUNDLE_FILE),
      federated: Object.entries(options.federatedBundles ?? {}).map(([td, file]) => [td, at(file)]),
    };
    this.#debounceMs = nonNegative('debounceMs', options.debounceMs, DEFAULT_DEBOUNCE_MS);
    this.#resyncMs = nonNegative('resyncMs', options.resyncMs, DEFAULT_RESYNC_MS);
    this.#log = options.log ?? (() => {});
  }

  /**
   * Opens the directory: waits (bounded by `waitMs`) for the files to exist and validate, then
   * watches it. Fails with `ERR_SVID_SOURCE_UNAVAILABLE`, naming the last reason, when they never do.
   *
   * @example
   * const source = await FileX509Source.open('/run/spiffe', { waitMs: 10_000, log: console.error })
   * source.onError((err) => console.error(err.message)) // a refused rotation; the old SVID is kept
   */
  static async open(dir: string, options: FileX509SourceOptions = {}): Promise<FileX509Source> {
    const source = new FileX509Source(resolve(dir), options);
    const waitMs = nonNegative('waitMs', options.waitMs, DEFAULT_SVID_WAIT_MS);
    const started = Date.now();
    let waited = false;
    for (;;) {
      let reason: unknown;
      try {
        const read = await source.#read();
        const { svid, bundles } = await validateX509Material(read.input);
        source.#servedFingerprint = read.fingerprint;
        source.swap(svid, bundles);
        if (waited) source.#log(`x509source: SVID files in ${source.dir} appeared after ${Date.now() - started} ms`);
        break;
      } catch (err) {
        reason = err;
      }
      if (source.closed) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'x509source: closed while waiting for the SVID files');
      if (Date.now() - started >= waitMs) {
        await source.close();
        const why = reason instanceof TrustError ? `${reason.code}: ${reason.message}` : String((reason as Error)?.message ?? reason);
        throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', `x509source: no valid SVID in ${source.dir} after ${waitMs} ms (${why})`, { cause: reason });
      }
      if (!waited) source.#log(`x509source: waiting up to ${waitMs} ms for the SVID files in ${source.dir}`);
      waited = true;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    source.#arm();
    if (source.#resyncMs > 0) {
      source.#resync = setInterval(() => {
        if (!source.#watcher) source.#arm();
        // refused content is retried here (a certificate not yet valid becomes valid with time)
        source.#refusedFingerprint = '';
        void source.reload();
      }, source.#resyncMs);
      source.#resync.unref();
    }
    return source;
  }

  /** How many reloads ran (validations attempted): for tests and metrics. */
  get reloads(): number {
    return this.#reloads;
  }

  /**
   * Re-reads the files now and swaps if they changed and validate. Resolves when done; never
   * rejects (a refusal is an error event). Concurrent calls coalesce into one more run.
   */
  reload(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      try {
        do {
          this.#again = false;
          await this.#reloadOnce();
        } while (this.#again && !this.closed);
      } finally {
        this.#reloading = undefined;
      }
    })();
    return this.#reloading;
  }

  async #reloadOnce(): Promise<void> {
    let read: ReadFiles;
    try {
      read = await this.#read();
    } catch (err) {
      // a file missing for a moment (between a remove and a rename) is not a new SVID
      this.#refuse(err, 'read');
      return;
    }
    if (this.closed) return;
    if (read.fingerprint === this.#servedFingerprint || read.fingerprint === this.#refusedFingerprint) return;
    this.#reloads++;
    try {
      const { svid, bundles } = await validateX509Material(read.input);
      if (this.closed) return;
      this.#servedFingerprint = read.fingerprint;
      this.#refusedFingerprint = '';
      this.swap(svid, bundles);
      this.#log(`x509source: rotated to ${svid.id.toString()} (serial ${svid.chain[0]!.serialNumber}, expires ${svid.expiresAt.toISOString()})`);
    } catch (err) {
      if (this.closed) return;
      this.#refusedFingerprint = read.fingerprint;
      this.#refuse(err, 'validate');
    }
  }

  #refuse(err: unknown, stage: 'read' | 'validate'): void {
    const error =
      err instanceof TrustError
        ? new TrustError(err.code, `x509source: kept the current SVID; the new files in ${this.dir} were refused: ${err.message}`, { cause: err })
        : new TrustError(stage === 'read' ? 'ERR_FILE_UNREADABLE' : 'ERR_INTERNAL', `x509source: kept the current SVID; could not ${stage} the files in ${this.dir}`, { cause: err });
    this.#log(error.message);
    this.emitError(error);
  }

  async #read(): Promise<ReadFiles> {
    const read = async (path: string) => {
      try {
        return await readFile(path, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new TrustError('ERR_FILE_UNREADABLE', `x509source: cannot read ${path}${code ? ` (${code})` : ''}`, { cause: err });
      }
    };
    // every file is read; the first missing one in a fixed order (cert, key, bundle, federated) is named
    const settled = await Promise.allSettled([
      read(this.#files.cert),
      read(this.#files.key),
      read(this.#files.bundle),
      ...this.#files.federated.map(([, path]) => read(path)),
    ]);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [certificates, privateKey, bundle, ...federated] = settled.map((r) => (r as PromiseFulfilledResult<string>).value);
    const federatedBundles: Record<string, string> = {};
    this.#files.federated.forEach(([td], i) => (federatedBundles[td] = federated[i]!));
    const fingerprint = JSON.stringify([certificates, privateKey, bundle, federated]);
    return { input: { certificates: certificates!, privateKey: privateKey!, bundle: bundle!, federatedBundles }, fingerprint };
  }

  #arm(): void {
    if (this.closed || this.#watcher) return;
    try {
      const watcher = watch(this.dir, { persistent: false }, () => this.#schedule());
      watcher.on('error', () => {
        // the directory went away (or was replaced): re-arm shortly, and on every resync
        watcher.close();
        if (this.#watcher === watcher) this.#watcher = undefined;
        setTimeout(() => {
          this.#arm();
          this.#schedule();
        }, POLL_MS).unref();
      });
      this.#watcher = watcher;
    } catch {
      this.#watcher = undefined; // retried by the resync
    }
  }

  #schedule(): void {
    if (this.closed) return;
    const now = Date.now();
    if (this.#debounce === undefined) this.#burstStart = now;
    else clearTimeout(this.#debounce);
    const delay = now - this.#burstStart >= MAX_DEBOUNCE_WAIT_MS ? 0 : this.#debounceMs;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      void this.reload();
    }, delay);
  }

  protected override async onClose(): Promise<void> {
    if (this.#debounce !== undefined) clearTimeout(this.#debounce);
    this.#debounce = undefined;
    if (this.#resync !== undefined) clearInterval(this.#resync);
    this.#resync = undefined;
    this.#watcher?.close();
    this.#watcher = undefined;
    // a reload in flight finishes reading, sees the source closed, and discards what it read
    await this.#reloading;
  }
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TrustError('ERR_CONFIG_INVALID', `x509source: ${name} must be a non-negative number of milliseconds`);
  return value;
}
