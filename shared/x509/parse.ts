/** `parseCertificate` / `parseCertificates`: DER, PEM or an already parsed certificate → {@link Certificate}. */
import { TrustError } from '../errors.js';
import { LruCache } from '../lib/cache.js';
import type { Certificate, CertificateInput } from './types.js';
import { ParsedCertificate } from './lib/certificate.js';
import { byteKey, readTlv } from './lib/der.js';
import { decodePemBlocks } from './pem.js';

export interface ParseCertificateOptions {
  /** Largest accepted certificate DER in bytes; default 64 KiB. */
  readonly maxSize?: number;
}

export interface ParseCertificatesOptions extends ParseCertificateOptions {
  /** Most certificates accepted in one call; default 1024. */
  readonly maxCount?: number;
}

const DEFAULT_MAX_SIZE = 64 * 1024;
const DEFAULT_MAX_COUNT = 1024;

// The same bytes always give the same object: parse once, and let caches keyed by certificate
// identity (signatures, keys) hit. The key is the exact DER, so there are no collisions to fear.
const parsed = new LruCache<string, ParsedCertificate>(2048);

/** True when `value` came out of `parseCertificate` (and so its fields can be trusted). */
export function isParsedCertificate(value: unknown): value is ParsedCertificate {
  return value instanceof ParsedCertificate;
}

function fromDer(der: Uint8Array, maxSize: number): ParsedCertificate {
  if (der.length > maxSize) throw new TrustError('ERR_X509_TOO_LARGE', `certificate is ${der.length} bytes, limit ${maxSize}`);
  const key = byteKey(der);
  const hit = parsed.get(key);
  if (hit) return hit;
  // a private copy: the caller may reuse its buffer, the parsed view must not change under us
  const cert = new ParsedCertificate(der.slice());
  parsed.set(key, cert);
  return cert;
}

function pemLimit(maxSize: number, count: number): number {
  // base64 (4/3), line breaks, markers, and some tolerance for text between blocks
  return Math.ceil((maxSize * 4) / 3) * 1.1 * count + 4096 * count;
}

/**
 * Parses one certificate: DER bytes, a PEM string holding exactly one CERTIFICATE block, or a
 * certificate this function returned before (returned as is). Strict DER; X.509 v3 only.
 *
 * @example
 * const cert = parseCertificate(pemText)
 * console.log(cert.subject.text, cert.notAfter, cert.subjectAltName.uri)
 */
export function parseCertificate(input: CertificateInput, options: ParseCertificateOptions = {}): Certificate {
  const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
  if (input instanceof ParsedCertificate) {
    if (input.der.length > maxSize) throw new TrustError('ERR_X509_TOO_LARGE', `certificate is ${input.der.length} bytes, limit ${maxSize}`);
    return input;
  }
  if (input instanceof Uint8Array) return fromDer(input, maxSize);
  if (typeof input === 'string') {
    if (input.length > pemLimit(maxSize, 1)) throw new TrustError('ERR_X509_TOO_LARGE', 'PEM text too large for one certificate');
    const blocks = decodePemBlocks(input);
    if (blocks.length !== 1) throw new TrustError('ERR_PEM_MALFORMED', `expected exactly one PEM block, found ${blocks.length}`);
    const block = blocks[0]!;
    if (block.label !== 'CERTIFICATE') throw new TrustError('ERR_PEM_MALFORMED', `expected a CERTIFICATE block, found ${block.label}`);
    return fromDer(block.der, maxSize);
  }
  // a Certificate-shaped object we did not make: trust nothing but its bytes
  const der = (input as { der?: unknown } | null)?.der;
  if (der instanceof Uint8Array) return fromDer(der, maxSize);
  throw new TrustError('ERR_INPUT_INVALID', 'expected DER bytes, a PEM string or a parsed certificate');
}

/**
 * Parses several certificates, in order: a PEM bundle (every block must be a CERTIFICATE; text
 * between blocks is ignored unless it contains a PEM marker), concatenated DER certificates, or an
 * array whose items may be any of those or parsed certificates.
 *
 * @example
 * const roots = parseCertificates(await readFile('bundle.pem', 'utf8'))
 */
export function parseCertificates(
  input: string | Uint8Array | readonly (CertificateInput | readonly CertificateInput[])[],
  options: ParseCertificatesOptions = {},
): Certificate[] {
  const maxCount = options.maxCount ?? DEFAULT_MAX_COUNT;
  const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
  const out: Certificate[] = [];
  const push = (c: Certificate) => {
    if (out.length >= maxCount) throw new TrustError('ERR_X509_TOO_LARGE', `more than ${maxCount} certificates`);
    out.push(c);
  };
  const one = (item: unknown): void => {
    if (typeof item === 'string') {
      if (item.length > pemLimit(maxSize, maxCount)) throw new TrustError('ERR_X509_TOO_LARGE', 'PEM bundle too large');
      const blocks = decodePemBlocks(item);
      if (blocks.length === 0) throw new TrustError('ERR_PEM_MALFORMED', 'no PEM certificate found');
      for (const b of blocks) {
        if (b.label !== 'CERTIFICATE') throw new TrustError('ERR_PEM_MALFORMED', `unexpected PEM block ${b.label}`);
        push(fromDer(b.der, maxSize));
      }
    } else if (item instanceof Uint8Array) {
      if (item.length === 0) throw new TrustError('ERR_X509_MALFORMED', 'no certificate in empty DER input');
      for (let p = 0; p < item.length; ) {
        const t = readTlv(item, p, item.length, 'ERR_X509_MALFORMED');
        push(fromDer(item.subarray(p, t.end), maxSize));
        p = t.end;
      }
    } else if (Array.isArray(item)) {
      for (const x of item) one(x);
    } else {
      push(parseCertificate(item as CertificateInput, options));
    }
  };
  if (Array.isArray(input)) for (const item of input) one(item);
  else one(input);
  return out;
}
