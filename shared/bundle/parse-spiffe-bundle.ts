/**
 * SPIFFE bundles in the JWK Set format of the SPIFFE Trust Domain and Bundle standard (§4), with
 * the per-use rules of the X509-SVID (§6) and JWT-SVID standards. Parsing is strict and fails
 * closed; where the standards leave room, go-spiffe's `spiffebundle.Parse` decides.
 */
import { TrustError } from '../errors.js';
import type { TrustDomain } from '../spiffe/id.js';
import { parseCertificate } from '../x509/parse.js';
import type { Certificate } from '../x509/types.js';
import { b64Decode, utf8 } from '../lib/encoding.js';
import { certificateJwk, isSupportedKeyType, sameKey, toPublicJwk } from './jwk.js';
import { MAX_BUNDLE_AUTHORITIES, MAX_BUNDLE_BYTES, TrustBundle } from './trust-bundle.js';

export interface ParseSpiffeBundleOptions {
  /** Largest document accepted, in bytes (strings only). Default 1 MiB. */
  readonly maxBytes?: number;
  /** Most entries in `keys`, ignored ones included. Default 1000. */
  readonly maxKeys?: number;
}

function invalid(message: string, cause?: unknown): TrustError {
  return new TrustError('ERR_BUNDLE_INVALID', `spiffebundle: ${message}`, cause === undefined ? undefined : { cause });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Parses a SPIFFE bundle (JWK Set) for `trustDomain` (the document does not name its trust domain;
 * the standard requires the caller to know it).
 *
 * Rules: `keys` is required (an empty array is valid and means every key was revoked); entries
 * without `use` or with an unknown `use`, or with a key type/curve the core does not support, are
 * ignored; `kty` must be present; `x509-svid` entries without a certificate in `x5c` are ignored,
 * otherwise the first `x5c` certificate (any others are ignored) must be a CA matching the entry's
 * key members, and `kid` must not be set; `jwt-svid` entries carry a unique non-empty `kid`;
 * no entry may carry private key members; `spiffe_sequence` and `spiffe_refresh_hint`, when set,
 * are non-negative integers. Malformed JSON is `ERR_JSON_MALFORMED`, any other violation
 * `ERR_BUNDLE_INVALID` naming the entry.
 *
 * @example
 * const bundle = parseSpiffeBundle(await (await fetch(endpoint)).text(), 'example.org')
 * bundle.x509Authorities.length
 */
export function parseSpiffeBundle(json: string | object, trustDomain: TrustDomain | string, options: ParseSpiffeBundleOptions = {}): TrustBundle {
  const maxBytes = options.maxBytes ?? MAX_BUNDLE_BYTES;
  const maxKeys = Math.min(options.maxKeys ?? MAX_BUNDLE_AUTHORITIES, MAX_BUNDLE_AUTHORITIES);
  let doc: unknown = json;
  if (typeof json === 'string') {
    // a cheap bound first; the exact byte count only when it could matter
    if (json.length > maxBytes || (json.length * 3 > maxBytes && utf8.encode(json).length > maxBytes)) {
      throw invalid(`the bundle is larger than ${maxBytes} bytes`);
    }
    try {
      doc = JSON.parse(json);
    } catch (err) {
      throw new TrustError('ERR_JSON_MALFORMED', 'spiffebundle: the bundle is not valid JSON', { cause: err });
    }
  }
  if (!isObject(doc)) throw invalid('the bundle must be a JSON object (a JWK Set)');
  const keys = doc['keys'];
  if (keys === undefined) throw invalid('the "keys" parameter is required');
  if (!Array.isArray(keys)) throw invalid('"keys" must be an array');
  if (keys.length > maxKeys) throw invalid(`more than ${maxKeys} entries in "keys"`);
  const sequence = doc['spiffe_sequence'];
  const refreshHint = doc['spiffe_refresh_hint'];
  if (sequence !== undefined && typeof sequence !== 'number') throw invalid('spiffe_sequence must be an integer');
  if (refreshHint !== undefined && typeof refreshHint !== 'number') throw invalid('spiffe_refresh_hint must be an integer');

  const x509: Certificate[] = [];
  const jwt = new Map<string, Record<string, unknown>>();
  keys.forEach((entry: unknown, i: number) => {
    if (!isObject(entry)) throw invalid(`key ${i} is not a JSON object`);
    const use = entry['use'];
    // Trust Domain and Bundle §4.2.2: "Clients encountering either a missing `use` parameter or an
    // unknown `use` value MUST ignore the entire JWK element" (go-spiffe spiffebundle.Parse: the
    // switch on key.Use has no default, so such entries are skipped too)
    if (use === undefined) return;
    if (typeof use !== 'string') throw invalid(`key ${i}: "use" must be a string`);
    if (use !== 'x509-svid' && use !== 'jwt-svid') return;
    const kty = entry['kty'];
    if (kty === undefined) throw invalid(`key ${i}: "kty" is required`);
    if (typeof kty !== 'string') throw invalid(`key ${i}: "kty" must be a string`);
    if ((kty === 'EC' || kty === 'OKP') && typeof entry['crv'] !== 'string') throw invalid(`key ${i}: "crv" is required for ${kty}`);
    if (!isSupportedKeyType(entry)) return; // §4.2.1: unknown key types are ignored
    const where = `${use} entry ${i}`;
    if (use === 'x509-svid') {
      const cert = x509Authority(entry, where);
      if (cert) x509.push(cert);
    } else {
      const kid = entry['kid'];
      if (kid === undefined || kid === '') throw invalid(`${where}: "kid" is required`);
      if (typeof kid !== 'string') throw invalid(`${where}: "kid" must be a string`);
      if (jwt.has(kid)) throw invalid(`${where}: duplicate kid ${JSON.stringify(kid)}`);
      toPublicJwk(entry, where); // validate here so the message names the entry
      jwt.set(kid, entry);
    }
  });

  return new TrustBundle(trustDomain, {
    x509Authorities: x509,
    jwtAuthorities: jwt as Map<string, JsonWebKey>,
    ...(sequence === undefined ? {} : { sequence: sequence as number }),
    ...(refreshHint === undefined ? {} : { refreshHint: refreshHint as number }),
  });
}

/** The CA certificate of an `x509-svid` entry, or undefined when the entry is to be ignored. */
function x509Authority(entry: Record<string, unknown>, where: string): Certificate | undefined {
  // X509-SVID §6.1: publishers MUST NOT set kid (refused: the standard forbids it).
  if (entry['kid'] !== undefined) throw invalid(`${where}: "kid" must not be set on x509-svid entries`);
  const x5c = entry['x5c'];
  // X509-SVID §6.2 (consuming): "If `x5c` is not set, or is empty, then the entry MUST be ignored"
  // and "If the `x5c` parameter contains multiple values, then all but the first MUST be ignored."
  // go-spiffe refuses both (spiffebundle.Parse: "expected a single certificate"); the standard's
  // consumer rule wins here.
  if (x5c === undefined || (Array.isArray(x5c) && x5c.length === 0)) return undefined;
  if (!Array.isArray(x5c)) throw invalid(`${where}: "x5c" must be an array`);
  if (typeof x5c[0] !== 'string') throw invalid(`${where}: "x5c" values must be base64 strings`);
  let cert: Certificate;
  try {
    cert = parseCertificate(b64Decode(x5c[0]));
  } catch (err) {
    throw invalid(`${where}: "x5c" does not hold a valid certificate`, err);
  }
  if (cert.basicConstraints?.ca !== true) throw invalid(`${where}: the certificate is not a CA`);
  const declared = toPublicJwk(entry, where);
  let actual;
  try {
    actual = certificateJwk(cert);
  } catch (err) {
    throw invalid(`${where}: the certificate public key cannot be read`, err);
  }
  // RFC 7517 §4.7: the key in the first certificate MUST match the JWK's own members.
  if (!sameKey(declared, actual)) throw invalid(`${where}: the key members do not match the certificate public key`);
  return cert;
}
