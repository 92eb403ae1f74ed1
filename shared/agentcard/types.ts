/** Options and report of AgentCard signing and verification (field names are a stable contract). */
import type { ErrorCode } from '../errors.js';
import type { BundleSource } from '../bundle/source.js';
import type { Matcher } from '../spiffe/match.js';
import type { CertificateInput } from '../x509/types.js';
import type { AgentCardProfile } from './lib/profiles.js';

export type { AgentCardProfile };

/** JWS algorithms an AgentCard signature may use with an asymmetric key. */
export type AgentCardAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'EdDSA';

/** HMAC algorithms, accepted only with an explicit `symmetricKeys` set. */
export type AgentCardHmacAlgorithm = 'HS256' | 'HS384' | 'HS512';

/**
 * A string cache for JWKS documents fetched from `jku` URLs. Any store fits (the worker backs it
 * with Upstash Redis). A failing cache must throw (a `TrustError` such as `ERR_STORE_UNAVAILABLE`
 * is passed through; anything else becomes `ERR_STORE_UNAVAILABLE`): the signature then fails.
 *
 * @example
 * const cache: JwksCache = new MemoryKeyValueStore({ maxEntries: 100 })
 */
export interface JwksCache {
  get(url: string): Promise<string | undefined>;
  set(url: string, jwksJson: string, ttlSeconds: number): Promise<void>;
}

/** A JWK with its key ID (the DOM's JsonWebKey type has no `kid`). */
export type AgentCardJwk = JsonWebKey & { kid?: string };

/**
 * A JWK set as the caller pins it (`{ keys: [...] }`, RFC 7517 §5), optionally scoped to the
 * identity its keys vouch for.
 *
 * @example
 * const keys = { keys: [agentJwk], spiffeId: 'spiffe://example.org/agent/a' }
 */
export interface AgentCardKeySet {
  readonly keys: readonly AgentCardJwk[];
  /**
   * The SPIFFE ID whose signatures these keys make: a workload's ID, or a trust domain's own ID
   * (`spiffe://example.org`) for keys that speak for the whole trust domain. A signature by one of
   * them is then bound like an `x5c` signer with this ID (`trustDomain`, `expectedId` and `match`
   * are checked against it). Without it the keys carry no identity, and a policy that asks for one
   * leaves their signatures unbound. Not allowed on `symmetricKeys`.
   */
  readonly spiffeId?: string;
}

export interface AgentCardJkuOptions {
  /** Origins (`https://keys.example.com`) whose JWKS may vouch for signatures. Nothing else is fetched. */
  readonly allowedOrigins: readonly string[];
  /** The fetch to use (default `globalThis.fetch`). */
  readonly fetch?: typeof fetch;
  /** Whole-request timeout, body included; default 5000 ms. */
  readonly timeoutMs?: number;
  /** Where fetched JWKS documents are kept; default a bounded in-memory cache. */
  readonly cache?: JwksCache;
  /** Largest JWKS body accepted; default 64 KiB. */
  readonly maxBytes?: number;
  /** How long a fetched JWKS is cached; default 300 s. */
  readonly ttlSeconds?: number;
}

export interface AgentCardLimits {
  /** Largest card (UTF-8 bytes of its JSON); default 1 MiB. */
  readonly maxCardBytes?: number;
  /** Most signatures evaluated; more is `ERR_CARD_TOO_MANY_SIGNATURES`. Default 8. */
  readonly maxSignatures?: number;
  /** Most certificates in an `x5c` header; default 5. */
  readonly maxX5c?: number;
  /** Largest decoded protected header, and largest unprotected header JSON; default 16 KiB. */
  readonly maxHeaderBytes?: number;
}

export type AgentCardMode = 'strict' | 'audit';

export interface VerifyAgentCardOptions {
  /** Trust bundles for `x5c` signers (the bundle of the leaf's trust domain is used). */
  readonly bundles?: BundleSource;
  /**
   * Pinned public keys, selected by the header's `kid` (a key's `alg`, if set, must match): one
   * key set, or several, each with its own `spiffeId` scope.
   */
  readonly keys?: AgentCardKeySet | readonly AgentCardKeySet[];
  /** HMAC keys (`kty: "oct"`), selected by `kid`: the only way HS256/384/512 are accepted. */
  readonly symmetricKeys?: AgentCardKeySet;
  /** `jku` key sets, fetched only from these origins. Without it every `jku` is refused. */
  readonly jku?: AgentCardJkuOptions;
  /** Identity binding: the signer's SPIFFE ID (x5c leaf, or scoped key set) must be in this trust domain. */
  readonly trustDomain?: string;
  /** Identity binding: the signer must have exactly this SPIFFE ID. */
  readonly expectedId?: string;
  /** Identity binding: any further policy over the signer's SPIFFE ID. */
  readonly match?: Matcher;
  /** `strict` (default): an unbound signer does not verify the card. `audit`: reported only. */
  readonly mode?: AgentCardMode;
  /** Validation time for certificates; default now. */
  readonly at?: Date;
  readonly limits?: AgentCardLimits;
  /**
   * The canonical profiles a signature may be made over: exactly these are tried (default
   * `['jcs-clean', 'a2a-sdk', 'spec']`; `python-json` only when listed), always in the order
   * jcs-clean, a2a-sdk, spec, python-json. Unknown or repeated names are ERR_INPUT_INVALID.
   *
   * @example
   * await verifyAgentCard(card, { keys, profiles: ['jcs-clean', 'a2a-sdk', 'spec', 'python-json'] })
   */
  readonly profiles?: readonly AgentCardProfile[];
}

export interface SignAgentCardOptions {
  /** The signing key (ECDSA P-256/384/521, RSA >= 2048 bits (RS or PS), Ed25519), usage `sign`. */
  readonly privateKey: CryptoKey;
  /** The signer's certificates, leaf first (a trailing self-signed root is left out of `x5c`). */
  readonly certificateChain?: string | readonly CertificateInput[];
  /** Default: the RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  readonly kid?: string;
  /** A `jku` URL for the protected header (verifiers use it only from allowlisted origins). */
  readonly jku?: string;
  /** Default: from the key (ES256/384/512 by curve, the RSA key's own scheme and hash, EdDSA). */
  readonly alg?: AgentCardAlgorithm;
  /** Unprotected header members (not signed; never `alg`, `kid`, `jku`, `x5c`, …). */
  readonly header?: Record<string, unknown>;
  /** Canonical form to sign; default `auto` (see docs/agentcard.md). */
  readonly profile?: AgentCardProfile | 'auto';
  /**
   * Sign for several verifiers at once: one signature per profile, same key and header (profiles
   * whose payloads are the same text share one signature). Not together with `profile`.
   *
   * @example
   * await signAgentCard(card, { privateKey, kid, profiles: ['a2a-sdk', 'jcs-clean'] })
   */
  readonly profiles?: readonly AgentCardProfile[];
}

/** Who signed, for a key-set signature whose key set is scoped to a SPIFFE ID (`spiffeId`). */
export interface AgentCardKeySigner {
  readonly spiffeId: string;
  readonly trustDomain: string;
}

/** Who signed, for an `x5c` signature whose chain verified. */
export interface AgentCardSigner extends AgentCardKeySigner {
  /** SHA-256 (hex) of each certificate of the verified path, leaf first, trusted root last. */
  readonly chainFingerprints: string[];
  /** The leaf's notAfter, ISO 8601. */
  readonly notAfter: string;
}

/**
 * One certificate of an `x5c` header, described for people (see {@link AgentCardSignatureReport.chain}).
 * Times are ISO 8601; `sha256` is the lowercase hex SHA-256 of the DER; `keyType` is `EC P-256`,
 * `RSA 2048`, `Ed25519` or `unsupported (<oid>)`; an empty DN is `""`.
 */
export interface AgentCardCertificate {
  readonly subject: string;
  /** The first `spiffe://` URI SAN, as written (not validated here). */
  readonly spiffeId?: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly keyType: string;
  readonly sha256: string;
}

export interface AgentCardSignatureReport {
  readonly index: number;
  readonly kid?: string;
  readonly alg?: string;
  /** The protected header's `typ`, normalized (`application/jose`, `jose` → `JOSE`; `application/JWT`, `jwt` → `JWT`). */
  readonly typ?: 'JOSE' | 'JWT';
  readonly status: 'valid' | 'invalid';
  readonly code?: ErrorCode;
  readonly message?: string;
  readonly keySource?: 'x5c' | 'kid' | 'jku';
  /** What vouched for the key: `spiffe-bundle:<td>`, `keyset:<kid>`, `symmetric:<kid>`, `jku:<url>`. */
  readonly trustRoot?: string;
  /** `x5c`: the verified chain's leaf; `kid`: the scope of the key set whose key verified, if it has one. */
  readonly signer?: AgentCardSigner | AgentCardKeySigner;
  /** The canonical profile the signature verified over. */
  readonly profile?: AgentCardProfile;
  /**
   * `x5c` signatures: the presented certificates, leaf first, as soon as they parse — whether or not
   * the chain verified (an expired chain still shows its dates). A description, not a verdict.
   */
  readonly chain?: AgentCardCertificate[];
}

export interface AgentCardBinding {
  readonly status: 'bound' | 'unbound' | 'not-checked';
  readonly trustDomain?: string;
  readonly expectedId?: string;
  readonly code?: ErrorCode;
  readonly message?: string;
}

export interface AgentCardReport {
  readonly verified: boolean;
  readonly mode: AgentCardMode;
  /** Hex SHA-256 of the canonical payload of `profile` (or of `jcs-clean` when nothing verified). */
  readonly payloadSha256: string;
  readonly profile?: AgentCardProfile;
  /** JSON Pointers of card data the matching profile does not cover (then `verified` is false). */
  readonly unsignedFields?: string[];
  readonly signatures: AgentCardSignatureReport[];
  readonly binding: AgentCardBinding;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}
