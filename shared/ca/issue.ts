/**
 * Certificate issuing on top of `@peculiar/x509` (not on any verification path). The extension
 * values that matter for path validation tests (SAN, name constraints, key identifiers) are built
 * here with a small DER writer so that every form, including odd ones, can be minted.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { getCrypto } from '../crypto.js';
import { TrustError, guard } from '../errors.js';
import { fromHex } from './hex.js';
import { toArrayBuffer } from '../lib/encoding.js';
import { encodePem, decodePemBlocks } from '../x509/pem.js';
import { ia5, octets, parseCidr, parseIp, seq, tlv } from './der.js';

/** Names for one side (permitted or excluded) of a name constraints extension. */
export interface SubtreesInput {
  /** `example.com` (host and subdomains) or `.example.com` (subdomains only). */
  readonly dns?: readonly string[];
  /** URI host constraints: `example.org` or `.example.org` (spiffe:// URIs match on the trust domain). */
  readonly uri?: readonly string[];
  /** CIDR: `10.0.0.0/8`, `fd00::/8`. */
  readonly ip?: readonly string[];
  /** `user@example.com`, `example.com` or `.example.com`. */
  readonly email?: readonly string[];
  /** RFC 4514 names: `O=Acme, C=US`. */
  readonly dirName?: readonly string[];
}

export interface ExtensionInput {
  readonly oid: string;
  readonly critical: boolean;
  /** DER of the extension value (the content of extnValue's OCTET STRING). */
  readonly value: Uint8Array;
}

export interface IssueCertificateOptions {
  /** RFC 4514 string (`CN=agent, O=Acme`) or the DER of a Name. */
  readonly subject: string | Uint8Array;
  /** The certified public key. */
  readonly publicKey: CryptoKey;
  /** The issuing CA: its certificate (DER or PEM) and private key. Absent: self-signed with `privateKey`. */
  readonly issuer?: { readonly certificate: Uint8Array | string; readonly privateKey: CryptoKey };
  /** Private key for a self-signed certificate (the pair of `publicKey`). */
  readonly privateKey?: CryptoKey;
  /** Hex serial number; default 16 random bytes (positive). */
  readonly serialNumber?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Emits a critical basicConstraints extension when defined. */
  readonly ca?: boolean;
  /** pathLenConstraint (only with `ca: true`). */
  readonly pathLen?: number;
  /** OR of `KeyUsage` flags; emitted as a critical keyUsage extension when defined. */
  readonly keyUsage?: number;
  /** Extended key usage OIDs (non-critical). */
  readonly extKeyUsage?: readonly string[];
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  readonly emails?: readonly string[];
  readonly nameConstraints?: { readonly permitted?: SubtreesInput; readonly excluded?: SubtreesInput; readonly critical?: boolean };
  /** Subject key identifier; default SHA-1 of the public key (RFC 5280 §4.2.1.2 method 1); `false` omits it. */
  readonly subjectKeyId?: Uint8Array | false;
  /** Authority key identifier; default the issuer's subject key identifier; `false` omits it. */
  readonly authorityKeyId?: Uint8Array | false;
  /** Appended after the standard extensions, in order. */
  readonly extraExtensions?: readonly ExtensionInput[];
  /** Hash for ECDSA signatures; default by curve (P-256: SHA-256, P-384: SHA-384, P-521: SHA-512). */
  readonly signatureHash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

export interface IssuedCertificate {
  readonly der: Uint8Array;
  readonly pem: string;
}

const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
} as const;

function nameDer(name: string | Uint8Array): Uint8Array {
  if (typeof name !== 'string') return name;
  try {
    return new Uint8Array(new x509.Name(name).toArrayBuffer());
  } catch (err) {
    throw new TrustError('ERR_INPUT_INVALID', 'invalid distinguished name', { cause: err });
  }
}

function certificateDer(input: Uint8Array | string): Uint8Array {
  if (typeof input !== 'string') return input;
  const blocks = decodePemBlocks(input).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) throw new TrustError('ERR_PEM_MALFORMED', 'no CERTIFICATE block in issuer PEM');
  return blocks[0]!.der;
}

function subtrees(input: SubtreesInput): Uint8Array[] {
  const items: Uint8Array[] = [];
  // GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }
  for (const d of input.dns ?? []) items.push(seq(tlv(0x82, ia5(d))));
  for (const u of input.uri ?? []) items.push(seq(tlv(0x86, ia5(u))));
  for (const c of input.ip ?? []) items.push(seq(tlv(0x87, parseCidr(c))));
  for (const e of input.email ?? []) items.push(seq(tlv(0x81, ia5(e))));
  for (const n of input.dirName ?? []) items.push(seq(tlv(0xa4, nameDer(n))));
  return items;
}

/**
 * Issues an X.509 v3 certificate signed by `issuer` (or self-signed), through WebCrypto.
 *
 * @example
 * const root = await generateKeyPair('P-256')
 * const { der } = await issueCertificate({
 *   subject: 'CN=Dev Root', publicKey: root.publicKey, privateKey: root.privateKey,
 *   notBefore: new Date(), notAfter: new Date(Date.now() + 365 * 864e5),
 *   ca: true, keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign,
 * })
 */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const crypto = getCrypto();
  const signingKey = options.issuer?.privateKey ?? options.privateKey;
  if (!signingKey) throw new TrustError('ERR_INPUT_INVALID', 'issueCertificate needs an issuer or, for a self-signed certificate, privateKey');
  const subject = nameDer(options.subject);

  let issuerName = subject;
  let issuerKeyId: Uint8Array | undefined;
  if (options.issuer) {
    const issuerCert = await guard('ERR_X509_MALFORMED', 'issuer certificate cannot be read', () => new x509.X509Certificate(toArrayBuffer(certificateDer(options.issuer!.certificate))));
    issuerName = new Uint8Array(issuerCert.subjectName.toArrayBuffer());
    const ski = issuerCert.getExtension(x509.SubjectKeyIdentifierExtension);
    issuerKeyId = ski ? fromHex(ski.keyId) : fromHex((await x509.SubjectKeyIdentifierExtension.create(issuerCert.publicKey, false, crypto)).keyId);
  }

  return guard('ERR_INTERNAL', 'certificate issuing failed', async () => {
    const extensions: x509.Extension[] = [];
    if (options.ca !== undefined) extensions.push(new x509.BasicConstraintsExtension(options.ca, options.pathLen, true));
    if (options.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(options.keyUsage, true));
    if (options.extKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension([...options.extKeyUsage], false));

    let ski: Uint8Array | undefined;
    if (options.subjectKeyId instanceof Uint8Array) ski = options.subjectKeyId;
    else if (options.subjectKeyId !== false) ski = fromHex((await x509.SubjectKeyIdentifierExtension.create(options.publicKey, false, crypto)).keyId);
    if (ski) extensions.push(new x509.Extension(OID.subjectKeyIdentifier, false, toArrayBuffer(octets(ski))));

    const aki = options.authorityKeyId === false ? undefined : (options.authorityKeyId ?? issuerKeyId);
    if (aki) extensions.push(new x509.Extension(OID.authorityKeyIdentifier, false, toArrayBuffer(seq(tlv(0x80, aki)))));

    const san: Uint8Array[] = [];
    for (const e of options.emails ?? []) san.push(tlv(0x81, ia5(e)));
    for (const d of options.dnsNames ?? []) san.push(tlv(0x82, ia5(d)));
    for (const u of options.uris ?? []) san.push(tlv(0x86, ia5(u)));
    for (const ip of options.ips ?? []) san.push(tlv(0x87, parseIp(ip)));
    // RFC 5280 §4.2.1.6: SAN is critical when the subject is empty
    if (san.length > 0) extensions.push(new x509.Extension(OID.subjectAltName, subject.length <= 2, toArrayBuffer(seq(...san))));

    const nc = options.nameConstraints;
    if (nc) {
      const parts: Uint8Array[] = [];
      // [0]/[1] IMPLICIT GeneralSubtrees: the SEQUENCE OF tag is replaced, so the items go in directly
      if (nc.permitted) parts.push(tlv(0xa0, ...subtrees(nc.permitted)));
      if (nc.excluded) parts.push(tlv(0xa1, ...subtrees(nc.excluded)));
      extensions.push(new x509.Extension(OID.nameConstraints, nc.critical ?? true, toArrayBuffer(seq(...parts))));
    }
    for (const e of options.extraExtensions ?? []) extensions.push(new x509.Extension(e.oid, e.critical, toArrayBuffer(e.value)));

    const algorithm = signingKey.algorithm as KeyAlgorithm & { namedCurve?: string };
    let signingAlgorithm: Algorithm | EcdsaParams | RsaPssParams;
    if (algorithm.name === 'ECDSA') {
      const byCurve = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' } as Record<string, string>;
      signingAlgorithm = { name: 'ECDSA', hash: options.signatureHash ?? byCurve[algorithm.namedCurve ?? ''] ?? 'SHA-256' } as EcdsaParams;
    } else if (algorithm.name === 'RSA-PSS') {
      const hash = ((signingKey.algorithm as RsaHashedKeyAlgorithm).hash.name ?? 'SHA-256') as string;
      signingAlgorithm = { name: 'RSA-PSS', saltLength: hash === 'SHA-512' ? 64 : hash === 'SHA-384' ? 48 : 32 } as RsaPssParams;
    } else {
      signingAlgorithm = { name: algorithm.name };
    }

    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: options.serialNumber ?? randomSerial(),
        subject: new x509.Name(toArrayBuffer(subject)),
        issuer: new x509.Name(toArrayBuffer(issuerName)),
        notBefore: options.notBefore,
        notAfter: options.notAfter,
        publicKey: options.publicKey,
        signingKey,
        signingAlgorithm,
        extensions,
      },
      crypto,
    );
    const der = new Uint8Array(cert.rawData);
    return { der, pem: encodePem('CERTIFICATE', der) };
  });
}

function randomSerial(): string {
  const bytes = getCrypto().getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x40; // positive, and exactly 16 content octets
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}
