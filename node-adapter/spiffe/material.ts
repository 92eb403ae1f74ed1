/**
 * Validation of X.509 material before a source swaps it in: the chain parses, the private key is
 * the leaf's key, and the leaf is a valid X509-SVID under the bundle of its own trust domain.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  BundleSet,
  TrustBundle,
  TrustError,
  encodePem,
  parseCertificates,
  parseSpiffeId,
  verifyX509Svid,
  type Certificate,
  type SpiffeId,
} from './core.js';
import type { X509Svid } from './types.js';

/** Most certificates in an SVID chain file (leaf plus intermediates). */
export const MAX_SVID_CERTIFICATES = 16;

export interface X509MaterialInput {
  /** Leaf first, then intermediates (PEM text, as in `svid.pem`). */
  readonly certificates: string;
  /** The private key (PEM: PKCS#8, or SEC1/PKCS#1 as OpenSSL writes them). */
  readonly privateKey: string;
  /** CA certificates of the SVID's own trust domain (PEM text, as in `svid_bundle.pem`). */
  readonly bundle: string;
  /** Federated bundles: trust domain name → PEM text of its CA certificates. */
  readonly federatedBundles?: Readonly<Record<string, string>>;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function importKey(pem: string): KeyObject {
  if (typeof pem !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new TrustError('ERR_PEM_MALFORMED', 'x509source: the private key is not a PEM PRIVATE KEY block');
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new TrustError('ERR_PEM_MALFORMED', 'x509source: the private key could not be read', { cause: err });
  }
}

/** The leaf's SPIFFE ID, read only to find its bundle (verification follows). */
function leafId(leaf: Certificate): SpiffeId {
  const uris = leaf.subjectAltName.uri;
  if (uris.length !== 1) throw new TrustError('ERR_SVID_URI_SAN_INVALID', `x509source: the leaf must carry exactly one URI SAN (it has ${uris.length})`);
  return parseSpiffeId(uris[0]!);
}

/**
 * Validates SVID material and returns the SVID and its bundles, or throws the exact code:
 * `ERR_PEM_MALFORMED`/`ERR_X509_*` for unreadable input, `ERR_SVID_KEY_MISMATCH` for a key of
 * another certificate, `ERR_BUNDLE_INVALID` for a bad bundle, and every `verifyX509Svid` code for
 * a leaf that is not a valid X509-SVID under the new bundle (expired included).
 */
export async function validateX509Material(input: X509MaterialInput, at: Date = new Date()): Promise<{ svid: X509Svid; bundles: BundleSet }> {
  if (typeof input.certificates !== 'string' || input.certificates.trim() === '') throw new TrustError('ERR_SVID_CHAIN_EMPTY', 'x509source: no certificates in the SVID file');
  const chain = parseCertificates(input.certificates, { maxCount: MAX_SVID_CERTIFICATES });
  if (chain.length === 0) throw new TrustError('ERR_SVID_CHAIN_EMPTY', 'x509source: no certificates in the SVID file');
  const leaf = chain[0]!;
  const key = importKey(input.privateKey);
  let spki: Uint8Array;
  try {
    spki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  } catch (err) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', 'x509source: the private key has no public key Node can export', { cause: err });
  }
  if (!sameBytes(spki, leaf.publicKey.spki)) {
    throw new TrustError('ERR_SVID_KEY_MISMATCH', 'x509source: the private key does not match the SVID leaf certificate');
  }
  const id = leafId(leaf);
  const bundles = new BundleSet([TrustBundle.fromPem(id.trustDomain, input.bundle)]);
  for (const [td, pem] of Object.entries(input.federatedBundles ?? {})) {
    if (bundles.has(td)) throw new TrustError('ERR_BUNDLE_INVALID', `x509source: a federated bundle for the SVID's own trust domain ${JSON.stringify(td)}`);
    bundles.add(TrustBundle.fromPem(td, pem));
  }
  await verifyX509Svid(chain, bundles, { at });
  const privateKeyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    svid: Object.freeze({
      id,
      chain,
      certificatePem: chain.map((c) => encodePem('CERTIFICATE', c.der)).join(''),
      privateKeyPem,
      expiresAt: leaf.notAfter,
    }),
    bundles,
  };
}
