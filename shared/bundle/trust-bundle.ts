/**
 * A trust domain's bundle: the X.509 authorities (CA certificates) that anchor its X509-SVIDs and
 * the JWT authorities (public keys by `kid`) that sign its JWT-SVIDs.
 */
import { TrustError } from '../errors.js';
import { type TrustDomain, toTrustDomain } from '../spiffe/id.js';
import { parseCertificate } from '../x509/parse.js';
import { decodePemBlocks } from '../x509/pem.js';
import type { Certificate, CertificateInput } from '../x509/types.js';
import { bytesEqual } from '../lib/encoding.js';
import { type PublicJwk, toPublicJwk } from './jwk.js';
import type { BundleSource } from './source.js';

/** Most authorities (X.509 plus JWT) one bundle may hold: bounded work for hostile input. */
export const MAX_BUNDLE_AUTHORITIES = 1000;
/** Largest bundle document (JSON or PEM) accepted, in bytes. */
export const MAX_BUNDLE_BYTES = 1 << 20;

export interface TrustBundleInit {
  /** CA certificates (DER, PEM or parsed). Duplicates are kept once. */
  readonly x509Authorities?: readonly CertificateInput[];
  /** Public JWKs by key ID (`kid`). EC P-256/384/521, RSA and Ed25519 keys. */
  readonly jwtAuthorities?: Readonly<Record<string, JsonWebKey>> | ReadonlyMap<string, JsonWebKey>;
  /** `spiffe_sequence`: a non-negative integer. */
  readonly sequence?: number;
  /** `spiffe_refresh_hint` in seconds: a non-negative integer. */
  readonly refreshHint?: number;
}

function invalid(message: string, cause?: unknown): TrustError {
  return new TrustError('ERR_BUNDLE_INVALID', `spiffebundle: ${message}`, cause === undefined ? undefined : { cause });
}

function checkCounter(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  // JSON numbers beyond 2^53 have already lost digits; refusing them beats comparing wrong values
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${name} must be a non-negative integer no larger than 2^53-1`);
  return v;
}

/**
 * A trust domain's bundle. It is also a {@link BundleSource} that serves itself for its own trust
 * domain (and `ERR_BUNDLE_NOT_FOUND` for any other).
 *
 * @example
 * const bundle = new TrustBundle('example.org', { x509Authorities: [rootPem] })
 * await verifyX509Svid(svidPem, bundle)
 */
export class TrustBundle implements BundleSource {
  readonly trustDomain: TrustDomain;
  readonly x509Authorities: readonly Certificate[];
  /** Public keys by `kid`, validated; CryptoKeys are imported on first use and cached. */
  readonly jwtAuthorities: ReadonlyMap<string, PublicJwk>;
  readonly sequence: number | undefined;
  readonly refreshHint: number | undefined;

  constructor(trustDomain: TrustDomain | string, init: TrustBundleInit = {}) {
    try {
      this.trustDomain = toTrustDomain(trustDomain);
    } catch (err) {
      throw invalid('the bundle needs a valid trust domain', err);
    }
    const x509 = init.x509Authorities ?? [];
    const jwtEntries = init.jwtAuthorities instanceof Map ? [...init.jwtAuthorities] : Object.entries(init.jwtAuthorities ?? {});
    if (x509.length + jwtEntries.length > MAX_BUNDLE_AUTHORITIES) throw invalid(`more than ${MAX_BUNDLE_AUTHORITIES} authorities`);

    const certs: Certificate[] = [];
    x509.forEach((input, i) => {
      let cert: Certificate;
      try {
        cert = parseCertificate(input);
      } catch (err) {
        throw invalid(`X.509 authority ${i} is not a valid certificate`, err);
      }
      if (!certs.some((c) => bytesEqual(c.der, cert.der))) certs.push(cert);
    });

    const jwt = new Map<string, PublicJwk>();
    for (const [kid, jwk] of jwtEntries) {
      if (typeof kid !== 'string' || kid === '') throw invalid('a JWT authority needs a non-empty key ID');
      if (jwk === null || typeof jwk !== 'object') throw invalid(`JWT authority ${JSON.stringify(kid)} is not a JWK`);
      jwt.set(kid, toPublicJwk(jwk as Record<string, unknown>, `JWT authority ${JSON.stringify(kid)}`));
    }

    this.x509Authorities = Object.freeze(certs);
    this.jwtAuthorities = jwt;
    this.sequence = checkCounter('spiffe_sequence', init.sequence);
    this.refreshHint = checkCounter('spiffe_refresh_hint', init.refreshHint);
    Object.freeze(this);
  }

  /**
   * A bundle of the CA certificates in a PEM text (other text between blocks is ignored; blocks
   * other than CERTIFICATE are refused, since a private key in a trust bundle is a mistake).
   *
   * @example
   * const bundle = TrustBundle.fromPem('example.org', await readFile('bundle.pem', 'utf8'))
   */
  static fromPem(trustDomain: TrustDomain | string, pem: string): TrustBundle {
    if (typeof pem !== 'string') throw invalid('a PEM bundle must be a string');
    if (pem.length > MAX_BUNDLE_BYTES) throw invalid(`the bundle is larger than ${MAX_BUNDLE_BYTES} bytes`);
    const blocks = decodePemBlocks(pem);
    if (blocks.length === 0) throw invalid('no certificates found in the PEM bundle');
    if (blocks.length > MAX_BUNDLE_AUTHORITIES) throw invalid(`more than ${MAX_BUNDLE_AUTHORITIES} authorities`);
    const ders = blocks.map((b, i) => {
      if (b.label !== 'CERTIFICATE') throw invalid(`PEM block ${i} is ${JSON.stringify(b.label)}, not CERTIFICATE`);
      return b.der;
    });
    return new TrustBundle(trustDomain, { x509Authorities: ders });
  }

  /** Itself when `trustDomain` is this bundle's, otherwise `ERR_BUNDLE_NOT_FOUND`. */
  getBundle(trustDomain: TrustDomain | string): TrustBundle {
    const td = toTrustDomain(trustDomain);
    if (!this.trustDomain.equals(td)) {
      throw new TrustError('ERR_BUNDLE_NOT_FOUND', `spiffebundle: no bundle for trust domain ${JSON.stringify(td.name)}`);
    }
    return this;
  }

  /** The JWT authority with this key ID, if any. */
  jwtAuthority(kid: string): PublicJwk | undefined {
    return this.jwtAuthorities.get(kid);
  }

  /** True when the bundle trusts nothing (the standard's "every key revoked"). */
  get empty(): boolean {
    return this.x509Authorities.length === 0 && this.jwtAuthorities.size === 0;
  }
}
