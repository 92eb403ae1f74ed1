/** What every X.509 source shares: the current generation, subscriptions, and the closed state. */
import { TrustError, type TrustBundle, type TrustDomain } from './core.js';
import type { BundleSet } from './core.js';
import type { X509Material, X509Source, X509Svid } from './types.js';

export abstract class BaseX509Source implements X509Source {
  #material: X509Material | undefined;
  #closed = false;
  readonly #updateListeners = new Set<(m: X509Material) => void>();
  readonly #errorListeners = new Set<(e: Error) => void>();

  get closed(): boolean {
    return this.#closed;
  }

  current(): X509Material {
    if (this.#closed) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'x509source: the source is closed');
    if (!this.#material) throw new TrustError('ERR_SVID_SOURCE_UNAVAILABLE', 'x509source: no SVID yet');
    return this.#material;
  }

  getX509Svid(): X509Svid {
    return this.current().svid;
  }

  getBundle(trustDomain: TrustDomain | string): TrustBundle {
    return this.current().bundles.getBundle(trustDomain);
  }

  /** Every trusted bundle (for a TLS layer that wants them all). */
  getBundles(): BundleSet {
    return this.current().bundles;
  }

  onUpdate(listener: (material: X509Material) => void): () => void {
    this.#updateListeners.add(listener);
    return () => this.#updateListeners.delete(listener);
  }

  onError(listener: (error: Error) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#updateListeners.clear();
    this.#errorListeners.clear();
    await this.onClose();
  }

  protected onClose(): void | Promise<void> {}

  /** Swaps in validated material and tells the subscribers. */
  protected swap(svid: X509Svid, bundles: BundleSet): X509Material {
    const material: X509Material = Object.freeze({ svid, bundles, generation: (this.#material?.generation ?? 0) + 1 });
    this.#material = material;
    for (const listener of [...this.#updateListeners]) {
      try {
        listener(material);
      } catch (err) {
        this.emitError(err as Error);
      }
    }
    return material;
  }

  protected emitError(error: Error): void {
    for (const listener of [...this.#errorListeners]) {
      try {
        listener(error);
      } catch {
        // a failing error listener must not stop the others
      }
    }
  }
}
