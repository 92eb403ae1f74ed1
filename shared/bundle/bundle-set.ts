import { TrustError } from '../errors.js';
import { type TrustDomain, toTrustDomain } from '../spiffe/id.js';
import type { BundleSource } from './source.js';
import { TrustBundle } from './trust-bundle.js';

/**
 * Bundles of several trust domains (federation), one per trust domain; a {@link BundleSource}.
 *
 * @example
 * const set = new BundleSet([parseSpiffeBundle(ours, 'example.org'), TrustBundle.fromPem('partner.test', pem)])
 * await verifyX509Svid(chain, set) // the bundle is chosen by the leaf's trust domain
 */
export class BundleSet implements BundleSource {
  readonly #bundles = new Map<string, TrustBundle>();

  constructor(bundles: Iterable<TrustBundle> = []) {
    for (const b of bundles) this.add(b);
  }

  /** Adds a bundle, replacing any earlier bundle of the same trust domain. */
  add(bundle: TrustBundle): this {
    if (!(bundle instanceof TrustBundle)) throw new TrustError('ERR_BUNDLE_INVALID', 'spiffebundle: not a TrustBundle');
    this.#bundles.set(bundle.trustDomain.name, bundle);
    return this;
  }

  /** Removes the bundle of a trust domain; true when there was one. */
  delete(trustDomain: TrustDomain | string): boolean {
    return this.#bundles.delete(toTrustDomain(trustDomain).name);
  }

  has(trustDomain: TrustDomain | string): boolean {
    return this.#bundles.has(toTrustDomain(trustDomain).name);
  }

  /** The bundle of `trustDomain`, or `ERR_BUNDLE_NOT_FOUND`. */
  getBundle(trustDomain: TrustDomain | string): TrustBundle {
    const td = toTrustDomain(trustDomain);
    const bundle = this.#bundles.get(td.name);
    if (!bundle) throw new TrustError('ERR_BUNDLE_NOT_FOUND', `spiffebundle: no bundle for trust domain ${JSON.stringify(td.name)}`);
    return bundle;
  }

  /** Every bundle, ordered by trust domain name. */
  bundles(): TrustBundle[] {
    return [...this.#bundles.values()].sort((a, b) => (a.trustDomain.name < b.trustDomain.name ? -1 : 1));
  }

  get size(): number {
    return this.#bundles.size;
  }
}
