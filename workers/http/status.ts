/**
 * The one map from error code to HTTP status. A code without an entry answers 500 (and a test
 * checks that every code has one, so a new code gets a deliberate status).
 *
 * Upstream failures of `/v1/agent-cards/fetch` are 502 (bad gateway: we could not obtain a card),
 * except the timeout, 504. Errors in a card that was read but cannot be evaluated are 422; errors
 * in the request itself are 400; a verification that ran is always 200 with the report.
 */
import type { ErrorCode } from '../../shared/errors.js';

export const STATUS_BY_CODE: Readonly<Partial<Record<ErrorCode, number>>> = {
  // input encodings and request shape
  ERR_PEM_MALFORMED: 400,
  ERR_JSON_MALFORMED: 400,
  ERR_BASE64_MALFORMED: 400,
  ERR_INPUT_INVALID: 400,
  ERR_REQUEST_INVALID: 400,
  ERR_SPIFFE_ID_INVALID: 400,
  ERR_TRUST_DOMAIN_INVALID: 400,
  // verification outcomes: normally inside a 200 report; thrown only when a card cannot be evaluated
  ERR_SPIFFE_ID_NOT_AUTHORIZED: 422,
  ERR_X509_MALFORMED: 422,
  ERR_X509_TOO_LARGE: 422,
  ERR_X509_VERSION_UNSUPPORTED: 422,
  ERR_X509_ALGORITHM_UNSUPPORTED: 422,
  ERR_X509_KEY_UNSUPPORTED: 422,
  ERR_X509_SIGNATURE_INVALID: 422,
  ERR_X509_EXPIRED: 422,
  ERR_X509_NOT_YET_VALID: 422,
  ERR_X509_CHAIN_UNTRUSTED: 422,
  ERR_X509_CHAIN_TOO_LONG: 422,
  ERR_X509_PATH_SEARCH_LIMIT: 422,
  ERR_X509_ISSUER_NOT_CA: 422,
  ERR_X509_PATH_LEN_EXCEEDED: 422,
  ERR_X509_KEY_USAGE_INVALID: 422,
  ERR_X509_EKU_MISMATCH: 422,
  ERR_X509_NAME_CONSTRAINTS: 422,
  ERR_X509_CRITICAL_EXTENSION: 422,
  ERR_SVID_URI_SAN_INVALID: 422,
  ERR_SVID_LEAF_IS_CA: 422,
  ERR_SVID_KEY_USAGE_INVALID: 422,
  ERR_SVID_CHAIN_EMPTY: 422,
  ERR_BUNDLE_INVALID: 422,
  ERR_BUNDLE_NOT_FOUND: 404,
  ERR_JWS_MALFORMED: 422,
  ERR_JWS_ALGORITHM_NOT_ALLOWED: 422,
  ERR_JWS_KEY_ALGORITHM_MISMATCH: 422,
  ERR_JWS_SIGNATURE_INVALID: 422,
  ERR_JWS_KEY_NOT_FOUND: 422,
  ERR_JWS_TYP_INVALID: 422,
  ERR_JWS_CRIT_UNSUPPORTED: 422,
  ERR_JWS_HEADER_TOO_LARGE: 422,
  ERR_JWT_EXPIRED: 401,
  ERR_JWT_NOT_YET_VALID: 401,
  ERR_JWT_AUDIENCE_MISMATCH: 401,
  ERR_JWT_CLAIM_INVALID: 401,
  ERR_CARD_MALFORMED: 422,
  ERR_CARD_TOO_LARGE: 413,
  ERR_CARD_UNSIGNED: 422,
  ERR_CARD_UNSIGNED_FIELDS: 422,
  ERR_CARD_TOO_MANY_SIGNATURES: 422,
  ERR_CARD_X5C_TOO_LONG: 422,
  ERR_CARD_SIGNER_NOT_BOUND: 422,
  ERR_KEY_UNSUPPORTED: 422,
  ERR_JKU_NOT_ALLOWED: 422,
  ERR_JKU_FETCH_FAILED: 502,
  // HTTP service and outbound fetches
  ERR_BODY_TOO_LARGE: 413,
  ERR_CONTENT_TYPE_UNSUPPORTED: 415,
  ERR_ROUTE_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_RATE_LIMITED: 429,
  ERR_FETCH_ORIGIN_NOT_ALLOWED: 403,
  ERR_FETCH_REDIRECT_NOT_ALLOWED: 502,
  ERR_FETCH_TIMEOUT: 504,
  ERR_FETCH_TOO_LARGE: 502,
  ERR_FETCH_NOT_FOUND: 502,
  ERR_FETCH_FAILED: 502,
  // command line: not reachable over HTTP, mapped for completeness
  ERR_USAGE: 400,
  ERR_FILE_UNREADABLE: 500,
  ERR_FILE_EXISTS: 500,
  ERR_FILE_UNWRITABLE: 500,
  // configuration and storage
  ERR_CONFIG_INVALID: 500,
  ERR_STORE_UNAVAILABLE: 503,
  ERR_INTERNAL: 500,
};

/** The HTTP status for an error code (500 for a code without an entry). */
export function statusFor(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500;
}
