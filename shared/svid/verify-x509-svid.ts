/**
 * X509-SVID verification per the SPIFFE X509-SVID standard, in go-spiffe's `x509svid.Verify`
 * order: guard clauses, the leaf SVID rules, the bundle lookup by the leaf's trust domain, RFC 5280
 * path validation against that bundle's X.509 authorities, the signing-certificate rule, then the
 * caller's matcher. The identity comes from the verified chain's leaf, never from unverified input.
 */
import { TrustError } from '../errors.js';
import { type SpiffeId, parseSpiffeId } from '../spiffe/id.js';
import type { Matcher } from '../spiffe/match.js';
import type { BundleSource } from '../bundle/source.js';
import type { TrustBundle } from '../bundle/trust-bundle.js';
import { parseCertificate, parseCertificates, verifyChain } from '../x509/index.js';
import { KeyUsage, type Certificate, type CertificateInput, type CertificateUsage } from '../x509/types.js';

/** Most certificates accepted in the presented chain (leaf plus intermediates). */
export const MAX_SVID_CHAIN_LENGTH = 16;

export interface VerifyX509SvidOptions {
  /** Validation time; defaults to now. */
  readonly at?: Date;
  /** Authorization of the leaf's SPIFFE ID, applied after the chain verifies. */
  readonly match?: Matcher;
  /** Extended key usage the leaf must allow (`'serverAuth'` for a server, `'clientAuth'` for a client). Default `'any'`. */
  readonly usage?: CertificateUsage;
  /** Maximum certificates in a path, leaf and root included (passed to `verifyChain`). */
  readonly maxDepth?: number;
}

export interface VerifiedX509Svid {
  /** The SPIFFE ID of the verified leaf. */
  readonly id: SpiffeId;
  /** The verified path: leaf first, the bundle's trusted root last. */
  readonly chain: readonly Certificate[];
}

function fail(code: TrustError['code'], message: string, cause?: unknown): TrustError {
  return new TrustError(code, `x509svid: ${message}`, cause === undefined ? undefined : { cause });
}

function parseChain(chain: string | readonly CertificateInput[]): Certificate[] {
  if (typeof chain === 'string') {
    if (chain.trim() === '') throw fail('ERR_SVID_CHAIN_EMPTY', 'empty certificates chain');
    return parseCertificates(chain, { maxCount: MAX_SVID_CHAIN_LENGTH });
  }
  if (!Array.isArray(chain)) throw new TrustError('ERR_INPUT_INVALID', 'x509svid: the chain must be a PEM string or an array of certificates');
  if (chain.length === 0) throw fail('ERR_SVID_CHAIN_EMPTY', 'empty certificates chain');
  if (chain.length > MAX_SVID_CHAIN_LENGTH) throw new TrustError('ERR_X509_CHAIN_TOO_LONG', `x509svid: more than ${MAX_SVID_CHAIN_LENGTH} certificates presented`);
  return chain.map((c: CertificateInput) => parseCertificate(c));
}

/** The SPIFFE ID of an X509-SVID leaf, after the leaf rules of X509-SVID §2, §3.1, §4.1, §4.3 and §5.2. */
function leafId(leaf: Certificate): SpiffeId {
  const uris = leaf.subjectAltName.uri;
  if (uris.length === 0) throw fail('ERR_SVID_URI_SAN_INVALID', 'certificate contains no URI SAN');
  if (uris.length > 1) throw fail('ERR_SVID_URI_SAN_INVALID', 'certificate contains more than one URI SAN');
  let id: SpiffeId;
  try {
    id = parseSpiffeId(uris[0]!);
  } catch (err) {
    throw fail('ERR_SPIFFE_ID_INVALID', `could not get leaf SPIFFE ID: ${(err as Error).message}`, err);
  }
  if (id.path === '') throw fail('ERR_SVID_URI_SAN_INVALID', 'leaf certificate SPIFFE ID must have a non-root path');
  if (leaf.basicConstraints?.ca === true) throw fail('ERR_SVID_LEAF_IS_CA', 'leaf certificate with CA flag set to true');
  const ku = leaf.keyUsage;
  if (ku === undefined) throw fail('ERR_SVID_KEY_USAGE_INVALID', 'leaf certificate without key usage extension (digitalSignature is required)');
  if (ku & KeyUsage.keyCertSign) throw fail('ERR_SVID_KEY_USAGE_INVALID', 'leaf certificate with keyCertSign key usage');
  if (ku & KeyUsage.cRLSign) throw fail('ERR_SVID_KEY_USAGE_INVALID', 'leaf certificate with cRLSign key usage');
  if (!(ku & KeyUsage.digitalSignature)) throw fail('ERR_SVID_KEY_USAGE_INVALID', 'leaf certificate without digitalSignature key usage');
  return id;
}

/**
 * X509-SVID §3.2: a signing certificate's SPIFFE ID, if present, has no path. The trust anchor is
 * exempt: it is configuration, and the standard's own bundle example gives it `spiffe://td/`.
 */
function checkSigningCertificates(chain: readonly Certificate[]): void {
  for (let i = 1; i < chain.length - 1; i++) {
    for (const uri of chain[i]!.subjectAltName.uri) {
      if (!/^spiffe:/i.test(uri)) continue;
      let id: SpiffeId | undefined;
      try {
        id = parseSpiffeId(uri);
      } catch {
        id = undefined;
      }
      if (!id || id.path !== '') {
        throw fail('ERR_SVID_URI_SAN_INVALID', `signing certificate ${i} has a SPIFFE ID that is not a trust domain ID: ${JSON.stringify(uri.slice(0, 80))}`);
      }
    }
  }
}

/**
 * Verifies an X509-SVID chain (leaf first, then intermediates, in any order; DER, PEM or parsed
 * certificates, or one PEM text holding them all) against the bundle of the leaf's trust domain,
 * and returns the leaf's SPIFFE ID with the verified path.
 *
 * @example
 * const { id, chain } = await verifyX509Svid(peerCertificates, bundles, {
 *   usage: 'clientAuth',
 *   match: matchMemberOf('example.org'),
 * })
 */
export async function verifyX509Svid(
  chain: string | readonly CertificateInput[],
  bundleSource: BundleSource,
  options: VerifyX509SvidOptions = {},
): Promise<VerifiedX509Svid> {
  if (chain === undefined || chain === null) throw fail('ERR_SVID_CHAIN_EMPTY', 'empty certificates chain');
  if (!bundleSource || typeof bundleSource.getBundle !== 'function') throw new TrustError('ERR_INPUT_INVALID', 'x509svid: a bundle source is required');
  const certs = parseChain(chain);
  const leaf = certs[0]!;
  const id = leafId(leaf);

  let bundle: TrustBundle;
  try {
    bundle = await bundleSource.getBundle(id.trustDomain);
  } catch (err) {
    if (err instanceof TrustError) throw new TrustError(err.code, `x509svid: could not get X509 bundle: ${err.message}`, { cause: err });
    throw fail('ERR_BUNDLE_NOT_FOUND', `could not get X509 bundle for trust domain ${JSON.stringify(id.trustDomain.name)}`, err);
  }
  if (bundle.x509Authorities.length === 0) {
    throw fail('ERR_X509_CHAIN_UNTRUSTED', `the bundle of trust domain ${JSON.stringify(id.trustDomain.name)} has no X.509 authorities`);
  }

  let verified: readonly Certificate[];
  try {
    const result = await verifyChain({
      leaf,
      intermediates: certs.slice(1),
      roots: bundle.x509Authorities,
      usage: options.usage ?? 'any',
      ...(options.at === undefined ? {} : { at: options.at }),
      ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    });
    verified = result.chain;
  } catch (err) {
    // the chain's own messages name certificates by subject DN, which for an SVID often says
    // nothing (O=SPIRE, O=cardtrust): the leaf's SPIFFE ID says whose chain it is
    if (err instanceof TrustError) throw new TrustError(err.code, `x509svid: could not verify leaf certificate ${id.toString()}: ${err.message}`, { cause: err });
    throw fail('ERR_INTERNAL', `could not verify leaf certificate ${id.toString()}`, err);
  }
  checkSigningCertificates(verified);
  options.match?.(id);
  return Object.freeze({ id, chain: verified });
}
