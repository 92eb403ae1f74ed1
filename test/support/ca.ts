/**
 * A go-spiffe-style test CA: every certificate a test needs in one line, no checked-in PEM.
 * Runtime-neutral (Node and workerd): WebCrypto only.
 *
 * @example
 * const ca = await TestCA.create({ trustDomain: 'example.org' })
 * const inter = await ca.childCA()
 * const svid = await inter.issueSVID('spiffe://example.org/workload')
 * await verifyChain({ leaf: svid.der[0], intermediates: svid.der.slice(1), roots: [ca.rootDer] })
 */
import { generateKeyPair, exportPrivateKeyPem, issueCertificate, type KeyAlgorithm, type IssueCertificateOptions, type ExtensionInput } from '../../shared/ca/index.js';
import { KeyUsage, ExtKeyUsage } from '../../shared/x509/types.js';
import type { Certificate } from '../../shared/x509/types.js';
import { parseCertificate } from '../../shared/x509/parse.js';
import { getCrypto } from '../../shared/crypto.js';
import { toArrayBuffer } from '../../shared/lib/encoding.js';

export { KeyUsage, ExtKeyUsage };

const HOUR = 3600_000;
const YEAR = 365 * 24 * HOUR;

/** Whole seconds: certificates cannot carry more, and boundary tests compare exactly. */
export function seconds(d: Date | number): Date {
  return new Date(Math.floor(new Date(d).getTime() / 1000) * 1000);
}

// RSA generation costs ~100 ms; tests rarely care which RSA key they get, so hand out a small pool.
const rsaPools = new Map<string, { keys: Promise<CryptoKeyPair>[]; next: number }>();
const RSA_POOL = 4;

/** A key pair for `alg`: fresh for EC/Ed25519, from a small round-robin pool for RSA. */
export function testKeyPair(alg: KeyAlgorithm = 'P-256', modulusLength = 2048): Promise<CryptoKeyPair> {
  if (alg !== 'RSA' && alg !== 'RSA-PSS') return generateKeyPair(alg);
  const id = `${alg}/${modulusLength}`;
  let pool = rsaPools.get(id);
  if (!pool) rsaPools.set(id, (pool = { keys: [], next: 0 }));
  const slot = pool.next++ % RSA_POOL;
  return (pool.keys[slot] ??= generateKeyPair(alg, { modulusLength }));
}

let counter = 0;

/** Options for any certificate the CA issues. `null` omits a default extension. */
export interface IssueOptions {
  readonly subject?: string | Uint8Array;
  readonly keyAlg?: KeyAlgorithm;
  readonly modulusLength?: number;
  /** Use this key pair for the new certificate instead of generating one. */
  readonly keys?: CryptoKeyPair;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Lifetime in milliseconds from `notBefore` (ignored when `notAfter` is given). */
  readonly lifetime?: number;
  readonly ca?: boolean | null;
  readonly pathLen?: number;
  readonly keyUsage?: number | null;
  readonly extKeyUsage?: readonly string[] | null;
  readonly uris?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  readonly emails?: readonly string[];
  readonly nameConstraints?: IssueCertificateOptions['nameConstraints'];
  readonly extraExtensions?: readonly ExtensionInput[];
  readonly subjectKeyId?: Uint8Array | false;
  readonly authorityKeyId?: Uint8Array | false;
  readonly serialNumber?: string;
  readonly signatureHash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

export interface CAOptions extends IssueOptions {
  readonly trustDomain?: string;
}

export interface Issued {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly certificate: Certificate;
  readonly keys: CryptoKeyPair;
}

export interface SVID {
  readonly id: string;
  /** Leaf first, then this CA's chain up to but excluding the root. */
  readonly der: readonly Uint8Array[];
  readonly certificates: readonly Certificate[];
  /** Leaf and intermediates, concatenated PEM (SPIRE's `svid.pem`). */
  readonly pem: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly keyPem: string;
}

const SVID_KEY_USAGE = KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyAgreement;
const CA_KEY_USAGE = KeyUsage.keyCertSign | KeyUsage.cRLSign;

export class TestCA {
  readonly trustDomain: string;
  readonly keys: CryptoKeyPair;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly certificate: Certificate;
  readonly parent: TestCA | undefined;
  readonly keyAlg: KeyAlgorithm;

  private constructor(trustDomain: string, keys: CryptoKeyPair, issued: { der: Uint8Array; pem: string }, parent: TestCA | undefined, keyAlg: KeyAlgorithm) {
    this.trustDomain = trustDomain;
    this.keys = keys;
    this.der = issued.der;
    this.pem = issued.pem;
    this.certificate = parseCertificate(issued.der);
    this.parent = parent;
    this.keyAlg = keyAlg;
  }

  /** A self-signed root CA (cA, keyCertSign|cRLSign, valid from five minutes ago for a year unless told). */
  static async create(options: CAOptions = {}): Promise<TestCA> {
    const td = options.trustDomain ?? 'example.org';
    const keyAlg = options.keyAlg ?? 'P-256';
    const keys = options.keys ?? (await testKeyPair(keyAlg, options.modulusLength));
    const issued = await issueCertificate({
      ...certOptions({ ca: true, keyUsage: CA_KEY_USAGE, ...options }, keys, YEAR, `O=cardtrust test, CN=${td} root ${++counter}`),
      privateKey: keys.privateKey,
    });
    return new TestCA(td, keys, issued, undefined, keyAlg);
  }

  /** The root of this CA's hierarchy. */
  get root(): TestCA {
    return this.parent ? this.parent.root : this;
  }

  get rootDer(): Uint8Array {
    return this.root.der;
  }

  get rootPem(): string {
    return this.root.pem;
  }

  /** This CA's certificate and its ancestors up to but excluding the root (empty for a root). */
  get chainDer(): Uint8Array[] {
    return this.parent ? [this.der, ...this.parent.chainDer] : [];
  }

  /** An intermediate CA issued by this CA. */
  async childCA(options: CAOptions = {}): Promise<TestCA> {
    const keyAlg = options.keyAlg ?? this.keyAlg;
    const keys = options.keys ?? (await testKeyPair(keyAlg, options.modulusLength));
    const issued = await issueCertificate({
      ...certOptions({ ca: true, keyUsage: CA_KEY_USAGE, ...options }, keys, YEAR, `O=cardtrust test, CN=${this.trustDomain} intermediate ${++counter}`),
      issuer: { certificate: this.der, privateKey: this.keys.privateKey },
    });
    return new TestCA(options.trustDomain ?? this.trustDomain, keys, issued, this, keyAlg);
  }

  /** Any certificate, issued by this CA. Defaults: a plain leaf (cA false, digitalSignature), valid for the next hour. */
  async issue(options: IssueOptions = {}): Promise<Issued> {
    const keys = options.keys ?? (await testKeyPair(options.keyAlg ?? 'P-256', options.modulusLength));
    const issued = await issueCertificate({
      ...certOptions({ ca: false, keyUsage: KeyUsage.digitalSignature, ...options }, keys, HOUR, `O=cardtrust test, CN=leaf ${++counter}`),
      issuer: { certificate: this.der, privateKey: this.keys.privateKey },
    });
    return { ...issued, certificate: parseCertificate(issued.der), keys };
  }

  /** An X509-SVID for `id` (go-spiffe's CreateX509SVID): URI SAN, cA false, digitalSignature, server+client auth. */
  async issueSVID(id: string, options: IssueOptions = {}): Promise<SVID> {
    const leaf = await this.issue({
      keyUsage: SVID_KEY_USAGE,
      extKeyUsage: [ExtKeyUsage.serverAuth, ExtKeyUsage.clientAuth],
      uris: [id],
      subject: 'O=cardtrust test, CN=svid',
      ...options,
    });
    const der = [leaf.der, ...this.chainDer];
    return {
      id,
      der,
      certificates: der.map((d) => parseCertificate(d)),
      pem: [leaf.pem, ...chainPems(this)].join(''),
      privateKey: leaf.keys.privateKey,
      publicKey: leaf.keys.publicKey,
      keyPem: await exportPrivateKeyPem(leaf.keys.privateKey),
    };
  }

  /**
   * A cross certificate: `other`'s subject and public key, issued by this CA. A chain ending at
   * `other` can then also reach this CA's root.
   */
  async crossSign(other: TestCA, options: IssueOptions = {}): Promise<Issued> {
    return this.issue({
      ca: true,
      keyUsage: CA_KEY_USAGE,
      subject: other.certificate.subject.der,
      keys: other.keys,
      lifetime: YEAR,
      ...options,
    });
  }
}

function chainPems(ca: TestCA): string[] {
  return ca.parent ? [ca.pem, ...chainPems(ca.parent)] : [];
}

function certOptions(o: IssueOptions, keys: CryptoKeyPair, lifetime: number, subject: string): Omit<IssueCertificateOptions, 'issuer' | 'privateKey'> {
  // default: valid from a little in the past (clock skew) until `lifetime` from now
  const now = Date.now();
  const notBefore = seconds(o.notBefore ?? now - 5 * 60_000);
  const notAfter = seconds(o.notAfter ?? (o.notBefore ? notBefore.getTime() : now) + (o.lifetime ?? lifetime));
  return {
    subject: o.subject ?? subject,
    publicKey: keys.publicKey,
    notBefore,
    notAfter,
    ...(o.ca === null || o.ca === undefined ? {} : { ca: o.ca }),
    ...(o.pathLen === undefined ? {} : { pathLen: o.pathLen }),
    ...(o.keyUsage === null || o.keyUsage === undefined ? {} : { keyUsage: o.keyUsage }),
    ...(o.extKeyUsage ? { extKeyUsage: o.extKeyUsage } : {}),
    ...(o.uris ? { uris: o.uris } : {}),
    ...(o.dnsNames ? { dnsNames: o.dnsNames } : {}),
    ...(o.ips ? { ips: o.ips } : {}),
    ...(o.emails ? { emails: o.emails } : {}),
    ...(o.nameConstraints ? { nameConstraints: o.nameConstraints } : {}),
    ...(o.extraExtensions ? { extraExtensions: o.extraExtensions } : {}),
    ...(o.subjectKeyId === undefined ? {} : { subjectKeyId: o.subjectKeyId }),
    ...(o.authorityKeyId === undefined ? {} : { authorityKeyId: o.authorityKeyId }),
    ...(o.serialNumber ? { serialNumber: o.serialNumber } : {}),
    ...(o.signatureHash ? { signatureHash: o.signatureHash } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// DER surgery for certificates no well-behaved issuer would produce (malformed, v1, odd times).
// A deliberately simple reader, separate from the parser under test; valid input only.

/** One TLV: header + content. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const len = contents.reduce((n, c) => n + c.length, 0);
  const head = len < 0x80 ? [tag, len] : len < 0x100 ? [tag, 0x81, len] : len < 0x10000 ? [tag, 0x82, len >> 8, len & 0xff] : [tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  const out = new Uint8Array(head.length + len);
  out.set(head);
  let o = head.length;
  for (const c of contents) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** The TLVs inside the constructed TLV `der` (whole TLVs, headers included). */
export function derChildren(der: Uint8Array): Uint8Array[] {
  const header = (p: number) => {
    let len = der[p + 1]!;
    let h = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[p + 2 + i]!;
      h += n;
    }
    return { h, len };
  };
  const outer = header(0);
  const out: Uint8Array[] = [];
  for (let p = outer.h; p < outer.h + outer.len; ) {
    const { h, len } = header(p);
    out.push(der.subarray(p, p + h + len));
    p += h + len;
  }
  return out;
}

/** ECDSA raw r‖s → DER ECDSA-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return tlv(0x02, ...(v[0]! & 0x80 ? [new Uint8Array([0]), v] : [v]));
  };
  const half = raw.length / 2;
  return tlv(0x30, int(raw.subarray(0, half)), int(raw.subarray(half)));
}

export const ECDSA_SHA256_ALG = tlv(0x30, tlv(0x06, new Uint8Array([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02])));

/**
 * Rebuilds `cert` after `edit` changes its tbsCertificate fields (version, serial, signature,
 * issuer, validity, subject, spki, extensions — whole TLVs), then signs it with `signer`
 * (an ECDSA P-256 key; SHA-256). `outerAlg` overrides the outer signatureAlgorithm.
 */
export async function rebuild(
  cert: Uint8Array,
  edit: (fields: Uint8Array[]) => Uint8Array[],
  signer: CryptoKey,
  options: { outerAlg?: Uint8Array; signature?: Uint8Array } = {},
): Promise<Uint8Array> {
  const [tbs, alg] = derChildren(cert);
  const fields = edit(derChildren(tbs!).map((f) => f.slice()));
  const newTbs = tlv(0x30, ...fields);
  const raw = new Uint8Array(await getCrypto().subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer, toArrayBuffer(newTbs)));
  const sig = options.signature ?? ecdsaRawToDer(raw);
  return tlv(0x30, newTbs, options.outerAlg ?? alg!, tlv(0x03, new Uint8Array([0]), sig));
}

/** A Time TLV: UTCTime when `text` has 13 characters, GeneralizedTime otherwise. */
export function timeTlv(text: string): Uint8Array {
  return tlv(text.length === 13 ? 0x17 : 0x18, new TextEncoder().encode(text));
}
