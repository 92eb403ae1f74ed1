/** Checking an issuer's signature on a certificate, with a bounded cache of verified pairs. Internal. */
import { TrustError } from '../../errors.js';
import { subtle } from '../../crypto.js';
import { LruCache } from '../../lib/cache.js';
import { toArrayBuffer } from '../../lib/encoding.js';
import type { ParsedCertificate } from './certificate.js';
import { importKeyFor, type ImportParams } from './keys.js';
import { readTlv, checkInteger } from './der.js';

/** Counts WebCrypto verifications actually performed (tests assert bounds on hostile input). */
export const signatureStats = { verifications: 0 };

// subject certificate → SPKI keys of issuers whose signature on it verified. Parsed certificates
// are unique per DER (parse cache), so identity is exact; an evicted one simply verifies again.
const verified = new LruCache<ParsedCertificate, string[]>(4096);

const COORD: Readonly<Record<string, number>> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/**
 * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (DER, minimal, positive) → fixed-width
 * r‖s as WebCrypto wants it. Undefined for anything malformed.
 */
export function ecdsaDerToRaw(sig: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const seq = readTlv(sig, 0, sig.length, 'ERR_X509_SIGNATURE_INVALID');
    if (seq.tag !== 0x30 || seq.end !== sig.length) return undefined;
    const r = readTlv(sig, seq.cs, seq.end, 'ERR_X509_SIGNATURE_INVALID');
    const s = readTlv(sig, r.end, seq.end, 'ERR_X509_SIGNATURE_INVALID');
    if (s.end !== seq.end) return undefined;
    const out = new Uint8Array(2 * size);
    let o = 0;
    for (const t of [r, s]) {
      if (t.tag !== 0x02 || checkInteger(sig, t, 'ERR_X509_SIGNATURE_INVALID').negative) return undefined;
      let start = t.cs;
      if (sig[start] === 0) start++; // the sign octet of a positive integer
      const n = t.end - start;
      if (n > size) return undefined;
      out.set(sig.subarray(start, t.end), o + size - n);
      o += size;
    }
    return out;
  } catch {
    return undefined;
  }
}

function invalid(message: string, cause?: unknown): TrustError {
  return new TrustError('ERR_X509_SIGNATURE_INVALID', message, cause === undefined ? undefined : { cause });
}

/** Throws unless `issuer`'s key verifies the signature on `subject`. */
export async function checkSignature(subject: ParsedCertificate, issuer: ParsedCertificate): Promise<void> {
  const seen = verified.get(subject);
  if (seen?.includes(issuer.spkiKey)) return;

  const scheme = subject.scheme;
  const key = issuer.publicKey.algorithm;
  let params: ImportParams;
  let verifyAlg: AlgorithmIdentifier | EcdsaParams | RsaPssParams;
  let signature: Uint8Array | undefined = subject.signatureValue;
  switch (scheme.kind) {
    case 'unsupported':
      throw new TrustError('ERR_X509_ALGORITHM_UNSUPPORTED', `unsupported ${scheme.reason}`);
    case 'ECDSA':
      if (key.name !== 'ECDSA') throw invalid('ECDSA signature from an issuer without an ECDSA key');
      params = { name: 'ECDSA', namedCurve: key.namedCurve };
      verifyAlg = { name: 'ECDSA', hash: scheme.hash };
      signature = ecdsaDerToRaw(signature, COORD[key.namedCurve]!);
      break;
    case 'RSASSA-PKCS1-v1_5':
    case 'RSA-PSS':
      if (key.name !== 'RSA') throw invalid('RSA signature from an issuer without an RSA key');
      params = { name: scheme.kind, hash: scheme.hash };
      verifyAlg = scheme.kind === 'RSA-PSS' ? { name: 'RSA-PSS', saltLength: scheme.saltLength } : { name: scheme.kind };
      if (signature.length !== Math.ceil(key.modulusBits / 8)) signature = undefined;
      break;
    case 'Ed25519':
      if (key.name !== 'Ed25519') throw invalid('Ed25519 signature from an issuer without an Ed25519 key');
      params = { name: 'Ed25519' };
      verifyAlg = { name: 'Ed25519' };
      if (signature.length !== 64) signature = undefined;
      break;
  }
  const cryptoKey = await importKeyFor(issuer, params);
  if (!signature) throw invalid('malformed signature value');
  let ok: boolean;
  signatureStats.verifications++;
  try {
    ok = await subtle().verify(verifyAlg, cryptoKey, toArrayBuffer(signature), toArrayBuffer(subject.tbs));
  } catch (err) {
    throw invalid('signature verification failed', err);
  }
  if (!ok) throw invalid('signature does not verify with the issuer key');
  verified.set(subject, seen ? [...seen, issuer.spkiKey].slice(-4) : [issuer.spkiKey]);
}
