/**
 * What an X.509 source gives a TLS endpoint, in go-spiffe's `X509Source` model: "my current SVID
 * and the bundles I trust", read from memory on every handshake, replaced as a whole on rotation.
 */
import type { BundleSet, BundleSource, Certificate, SpiffeId, TrustBundle, TrustDomain } from './core.js';

/** An X509-SVID with its private key, validated (the key matches the leaf, the leaf verifies under its bundle). */
export interface X509Svid {
  /** The SPIFFE ID of the leaf. */
  readonly id: SpiffeId;
  /** Leaf first, then the intermediates the workload presents (not the root). */
  readonly chain: readonly Certificate[];
  /** The chain as PEM, leaf first (what Node's TLS `cert` option takes). */
  readonly certificatePem: string;
  /** The PKCS#8 private key as PEM (what Node's TLS `key` option takes). */
  readonly privateKeyPem: string;
  /** The leaf's notAfter. */
  readonly expiresAt: Date;
}

/** One consistent generation of a source: an SVID and the bundles it was validated with. */
export interface X509Material {
  readonly svid: X509Svid;
  /** The bundles trusted: the SVID's own trust domain and any federated ones. */
  readonly bundles: BundleSet;
  /** Increases by one on every swap; TLS layers key their caches on it. */
  readonly generation: number;
}

/**
 * "My current SVID and the bundles I trust". A {@link BundleSource}, so the same object verifies
 * peers with `verifyX509Svid`.
 */
export interface X509Source extends BundleSource {
  /** The current SVID; `ERR_SVID_SOURCE_UNAVAILABLE` after `close()`. */
  getX509Svid(): X509Svid;
  /** The bundle of a trust domain; `ERR_BUNDLE_NOT_FOUND` for one the source does not trust. */
  getBundle(trustDomain: TrustDomain | string): TrustBundle;
  /** The current generation, SVID and bundles together. */
  current(): X509Material;
  /** Subscribes to swaps; returns the unsubscribe function. */
  onUpdate(listener: (material: X509Material) => void): () => void;
  /** Subscribes to refused updates; returns the unsubscribe function. */
  onError(listener: (error: Error) => void): () => void;
  /** Stops watching; idempotent. No reload or timer fires after it resolves. */
  close(): Promise<void>;
  readonly closed: boolean;
}
