/**
 * Every failure in cardtrust is a {@link TrustError} with a stable `code` from this closed list.
 * Callers `switch (err.code)`; messages are for people and may change, codes do not.
 * `docs/errors.md` documents each code and the input that triggers it.
 */
export const ERROR_CODES = [
  // input encodings
  'ERR_PEM_MALFORMED',
  'ERR_JSON_MALFORMED',
  'ERR_BASE64_MALFORMED',
  'ERR_INPUT_INVALID',
  // SPIFFE IDs
  'ERR_SPIFFE_ID_INVALID',
  'ERR_TRUST_DOMAIN_INVALID',
  'ERR_SPIFFE_ID_NOT_AUTHORIZED',
  // X.509 certificates and path validation
  'ERR_X509_MALFORMED',
  'ERR_X509_TOO_LARGE',
  'ERR_X509_VERSION_UNSUPPORTED',
  'ERR_X509_ALGORITHM_UNSUPPORTED',
  'ERR_X509_KEY_UNSUPPORTED',
  'ERR_X509_SIGNATURE_INVALID',
  'ERR_X509_EXPIRED',
  'ERR_X509_NOT_YET_VALID',
  'ERR_X509_CHAIN_UNTRUSTED',
  'ERR_X509_CHAIN_TOO_LONG',
  'ERR_X509_PATH_SEARCH_LIMIT',
  'ERR_X509_ISSUER_NOT_CA',
  'ERR_X509_PATH_LEN_EXCEEDED',
  'ERR_X509_KEY_USAGE_INVALID',
  'ERR_X509_EKU_MISMATCH',
  'ERR_X509_NAME_CONSTRAINTS',
  'ERR_X509_CRITICAL_EXTENSION',
  'ERR_X509_EXTENSION_INVALID',
  'ERR_X509_NAME_INVALID',
  'ERR_X509_CONSTRAINTS_TOO_COMPLEX',
  // X509-SVID
  'ERR_SVID_URI_SAN_INVALID',
  'ERR_SVID_LEAF_IS_CA',
  'ERR_SVID_KEY_USAGE_INVALID',
  'ERR_SVID_CHAIN_EMPTY',
  // trust bundles
  'ERR_BUNDLE_INVALID',
  'ERR_BUNDLE_NOT_FOUND',
  // JOSE: JWS and JWT
  'ERR_JWS_MALFORMED',
  'ERR_JWS_ALGORITHM_NOT_ALLOWED',
  'ERR_JWS_KEY_ALGORITHM_MISMATCH',
  'ERR_JWS_SIGNATURE_INVALID',
  'ERR_JWS_KEY_NOT_FOUND',
  'ERR_JWS_TYP_INVALID',
  'ERR_JWS_CRIT_UNSUPPORTED',
  'ERR_JWS_HEADER_TOO_LARGE',
  'ERR_JWT_EXPIRED',
  'ERR_JWT_NOT_YET_VALID',
  'ERR_JWT_AUDIENCE_MISMATCH',
  'ERR_JWT_CLAIM_INVALID',
  // AgentCards
  'ERR_CARD_MALFORMED',
  'ERR_CARD_TOO_LARGE',
  'ERR_CARD_UNSIGNED',
  'ERR_CARD_TOO_MANY_SIGNATURES',
  'ERR_CARD_X5C_TOO_LONG',
  'ERR_CARD_SIGNER_NOT_BOUND',
  'ERR_CARD_UNSIGNED_FIELDS',
  'ERR_KEY_UNSUPPORTED',
  'ERR_JKU_NOT_ALLOWED',
  'ERR_JKU_FETCH_FAILED',
  // sandbox sessions: bootstrap and session tokens, the control plane, the sandbox daemon
  'ERR_UNAUTHENTICATED',
  'ERR_TOKEN_REPLAYED',
  'ERR_SESSION_NOT_FOUND',
  'ERR_SEALED_KEY_INVALID',
  'ERR_ALREADY_INITIALIZED',
  'ERR_DAEMON_NOT_INITIALIZED',
  'ERR_PATH_OUTSIDE_WORKSPACE',
  'ERR_FILE_NOT_FOUND',
  'ERR_RANGE_NOT_SATISFIABLE',
  'ERR_SESSION_EXISTS',
  // mTLS: the verified TLS peer and the X.509 sources of the Node adapter
  'ERR_PEER_CERTIFICATE_REQUIRED',
  'ERR_PEER_CERTIFICATE_INVALID',
  'ERR_PEER_NOT_AUTHORIZED',
  'ERR_SVID_SOURCE_UNAVAILABLE',
  'ERR_SVID_KEY_MISMATCH',
  // the SPIFFE Workload API (the agent's gRPC endpoint)
  'ERR_WORKLOAD_API_UNAVAILABLE',
  'ERR_WORKLOAD_API_DENIED',
  'ERR_WORKLOAD_API_FAILED',
  // HTTP service and outbound fetches
  'ERR_BODY_TOO_LARGE',
  'ERR_CONTENT_TYPE_UNSUPPORTED',
  'ERR_REQUEST_INVALID',
  'ERR_ROUTE_NOT_FOUND',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_RATE_LIMITED',
  'ERR_FETCH_ORIGIN_NOT_ALLOWED',
  'ERR_FETCH_REDIRECT_NOT_ALLOWED',
  'ERR_FETCH_TIMEOUT',
  'ERR_FETCH_TOO_LARGE',
  'ERR_FETCH_NOT_FOUND',
  'ERR_FETCH_FAILED',
  // command line (cardtrust CLI)
  'ERR_USAGE',
  'ERR_FILE_UNREADABLE',
  'ERR_FILE_EXISTS',
  'ERR_FILE_UNWRITABLE',
  // configuration and storage
  'ERR_CONFIG_INVALID',
  'ERR_STORE_UNAVAILABLE',
  'ERR_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN = new Set<string>(ERROR_CODES);

/**
 * The one error type cardtrust throws.
 *
 * @example
 * try { await verifyX509Svid(chain, bundles) }
 * catch (err) { if (err instanceof TrustError && err.code === 'ERR_X509_EXPIRED') renew() }
 */
export class TrustError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  override get name(): string {
    return 'TrustError';
  }
}

/** True for a string that is one of {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN.has(value);
}

/** True when `err` is a {@link TrustError}, optionally with the given code. */
export function isTrustError(err: unknown, code?: ErrorCode): err is TrustError {
  return err instanceof TrustError && (code === undefined || err.code === code);
}

/**
 * Runs `fn` and turns anything it throws that is not a TrustError into one with `code`,
 * keeping the engine's error only as `cause` so its text never reaches a caller's message.
 */
export async function guard<T>(code: ErrorCode, message: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof TrustError) throw err;
    throw new TrustError(code, message, { cause: err });
  }
}
