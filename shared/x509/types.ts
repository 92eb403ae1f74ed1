/**
 * The typed view of an X.509 certificate that the core validates. Produced by `parseCertificate`;
 * every field is read once from the DER at parse time (the view is immutable).
 */

/** Key usage bits (RFC 5280 §4.2.1.3), as flags in {@link Certificate.keyUsage}. */
export const KeyUsage = {
  digitalSignature: 1 << 0,
  nonRepudiation: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

/** Extended key usage OIDs the core knows by name. */
export const ExtKeyUsage = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  any: '2.5.29.37.0',
} as const;

/** A distinguished name: its DER, a readable RFC 4514 string, and a key for exact comparison. */
export interface Name {
  /** DER of the Name (SEQUENCE OF RDN). */
  readonly der: Uint8Array;
  /** RFC 4514 string, for messages and reports. */
  readonly text: string;
  /** Comparison key: equal keys mean equal names under RFC 5280 §7.1 matching as implemented. */
  readonly key: string;
}

export type PublicKeyAlgorithm =
  | { readonly name: 'ECDSA'; readonly namedCurve: 'P-256' | 'P-384' | 'P-521' }
  | { readonly name: 'RSA'; readonly modulusBits: number }
  | { readonly name: 'Ed25519' }
  /** Parsed but not usable for verification (another algorithm, compressed EC point, PSS-restricted RSA key). */
  | { readonly name: 'unsupported'; readonly oid: string };

export interface GeneralSubtrees {
  readonly dns: readonly string[];
  readonly uri: readonly string[];
  /** address and mask bytes, concatenated as in the certificate (8 or 32 bytes). */
  readonly ip: readonly Uint8Array[];
  readonly email: readonly string[];
  readonly dirName: readonly Name[];
  /** true when the extension held a form the validator cannot evaluate (treated per RFC 5280). */
  readonly other: boolean;
}

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

export interface Certificate {
  readonly der: Uint8Array;
  /** The DER of tbsCertificate: the bytes the issuer signed. */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3 (the DER value plus one). */
  readonly version: number;
  /** Lowercase hex of the serial number's content octets. */
  readonly serialNumber: string;
  /** Signature algorithm OID from the outer Certificate (must equal the one in tbsCertificate). */
  readonly signatureAlgorithm: string;
  readonly signatureValue: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: { readonly spki: Uint8Array; readonly algorithm: PublicKeyAlgorithm };
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  /** OR of {@link KeyUsage} flags; undefined when the extension is absent. */
  readonly keyUsage?: number;
  /** EKU OIDs; undefined when the extension is absent. */
  readonly extKeyUsage?: readonly string[];
  readonly subjectAltName: {
    readonly dns: readonly string[];
    readonly uri: readonly string[];
    readonly ip: readonly Uint8Array[];
    readonly email: readonly string[];
    readonly dirName: readonly Name[];
  };
  readonly nameConstraints?: { readonly permitted?: GeneralSubtrees; readonly excluded?: GeneralSubtrees };
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  readonly extensions: readonly Extension[];
  /** Lowercase hex SHA-256 of `der` (computed once, then remembered). */
  fingerprint(): Promise<string>;
}

/** What callers may pass wherever a certificate is expected. */
export type CertificateInput = Uint8Array | string | Certificate;

/** Which extended key usage the end-entity certificate must allow. */
export type CertificateUsage = 'serverAuth' | 'clientAuth' | 'any';

export interface VerifyChainOptions {
  readonly leaf: CertificateInput;
  readonly intermediates?: readonly CertificateInput[];
  readonly roots: readonly CertificateInput[];
  /** Validation time; defaults to now. */
  readonly at?: Date;
  /** Default 'any'. */
  readonly usage?: CertificateUsage;
  /** Maximum certificates in a path, leaf and root included. Default 8. */
  readonly maxDepth?: number;
  /** Most intermediates accepted; more fail with ERR_X509_PATH_SEARCH_LIMIT. Default 32. */
  readonly maxIntermediates?: number;
  /** Most signature checks one call may spend on path search. Default 64. */
  readonly maxSignatureChecks?: number;
}

export interface VerifiedChain {
  /** Leaf first, trusted root last. */
  readonly chain: readonly Certificate[];
}
