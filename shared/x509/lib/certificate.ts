/**
 * The one-pass certificate reader behind `parseCertificate`. Reads exactly the fields path
 * validation needs, strictly, and nothing else. Internal to the x509 module.
 */
import { TrustError } from '../../errors.js';
import { subtle } from '../../crypto.js';
import { toHex, toArrayBuffer } from '../../lib/encoding.js';
import type { Certificate, Extension, GeneralSubtrees, Name, PublicKeyAlgorithm } from '../types.js';
import {
  TAG,
  byteKey,
  checkInteger,
  checkNull,
  children,
  expect,
  fail,
  readBitString,
  readBoolean,
  readOid,
  readSmallInt,
  readTime,
  readTlv,
  type Tlv,
} from './der.js';
import { HASH_BY_OID, OID, type Hash } from './oids.js';
import { nameText } from './name.js';
import { rsaExponentProblem } from '../../lib/rsa.js';

const E = 'ERR_X509_MALFORMED' as const;

/** How the issuer's signature over this certificate is to be checked. */
export type SignatureScheme =
  | { readonly kind: 'ECDSA'; readonly hash: Hash }
  | { readonly kind: 'RSASSA-PKCS1-v1_5'; readonly hash: Hash }
  | { readonly kind: 'RSA-PSS'; readonly hash: Hash; readonly saltLength: number }
  | { readonly kind: 'Ed25519' }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** Extensions path validation understands; any other critical extension rejects the path. */
export const RECOGNISED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
  OID.nameConstraints,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
]);

class CertName implements Name {
  readonly der: Uint8Array;
  readonly key: string;
  #text: string | undefined;

  constructor(der: Uint8Array) {
    this.der = der;
    this.key = byteKey(der);
  }

  get text(): string {
    return (this.#text ??= nameText(this.der));
  }
}

interface SanView {
  dns: string[];
  uri: string[];
  ip: Uint8Array[];
  email: string[];
  dirName: Name[];
}

/** A parsed certificate. Only `parseCertificate` creates these; the fields below the interface are internal. */
export class ParsedCertificate implements Certificate {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly version: number;
  readonly serialNumber: string;
  readonly signatureAlgorithm: string;
  readonly signatureValue: Uint8Array;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: { readonly spki: Uint8Array; readonly algorithm: PublicKeyAlgorithm };
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  readonly keyUsage?: number;
  readonly extKeyUsage?: readonly string[];
  readonly subjectAltName: SanView;
  readonly nameConstraints?: { readonly permitted?: GeneralSubtrees; readonly excluded?: GeneralSubtrees };
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  readonly extensions: readonly Extension[];

  /** @internal validity as epoch milliseconds (cheap comparisons on the hot path) */
  readonly notBeforeMs: number;
  /** @internal */
  readonly notAfterMs: number;
  /** @internal how to check the issuer's signature */
  readonly scheme: SignatureScheme;
  /** @internal exact key of the SPKI bytes, for the key cache */
  readonly spkiKey: string;
  /** @internal the subjectPublicKey BIT STRING's content: an EC point, an Ed25519 key, or RSAPublicKey DER */
  readonly publicKeyBytes: Uint8Array;
  /** @internal why an RSA key's public exponent is refused at import (undefined: fine, or not RSA) */
  readonly rsaExponentProblem: string | undefined;
  /** @internal subject and issuer names are byte-identical */
  readonly selfIssued: boolean;
  /** @internal OID of the first critical extension path validation does not understand */
  readonly unknownCritical: string | undefined;
  /** @internal the nameConstraints extension was marked critical */
  readonly nameConstraintsCritical: boolean;
  #fingerprint: Promise<string> | undefined;

  constructor(der: Uint8Array) {
    this.der = der;
    const cert = readTlv(der, 0, der.length, E);
    if (cert.tag !== TAG.SEQUENCE) fail(E, 'certificate is not a SEQUENCE');
    if (cert.end !== der.length) fail(E, 'trailing bytes after certificate');
    const tbsT = expect(der, cert.cs, cert.end, TAG.SEQUENCE, E, 'tbsCertificate');
    const outerAlg = expect(der, tbsT.end, cert.end, TAG.SEQUENCE, E, 'signatureAlgorithm');
    const sigT = expect(der, outerAlg.end, cert.end, TAG.BIT_STRING, E, 'signatureValue');
    if (sigT.end !== cert.end) fail(E, 'extra fields in certificate');
    const sig = readBitString(der, sigT, E);
    if (sig.unused !== 0) fail(E, 'signature has unused bits');
    this.tbs = der.subarray(tbsT.start, tbsT.end);
    this.signatureValue = sig.bytes;

    // tbsCertificate fields, in order
    let p = tbsT.cs;
    const end = tbsT.end;
    let t = readTlv(der, p, end, E);
    if (t.tag !== 0xa0) {
      throw new TrustError('ERR_X509_VERSION_UNSUPPORTED', 'X.509 v1 certificates are not supported');
    }
    const vT = readTlv(der, t.cs, t.end, E);
    if (vT.end !== t.end) fail(E, 'extra data in version');
    const v = readSmallInt(der, vT, E);
    if (v === 0) fail(E, 'explicitly encoded default version');
    if (v !== 2) throw new TrustError('ERR_X509_VERSION_UNSUPPORTED', `X.509 version ${v + 1} is not supported (only v3)`);
    this.version = 3;
    p = t.end;

    const serialT = expect(der, p, end, TAG.INTEGER, E, 'serialNumber');
    if (checkInteger(der, serialT, E).negative) fail(E, 'negative serial number');
    // RFC 5280 §4.1.2.2: at most 20 octets of value (21 encoded when a sign octet is needed)
    const serialLen = serialT.end - serialT.cs;
    if (serialLen > 21 || (serialLen === 21 && der[serialT.cs] !== 0)) fail(E, 'serial number longer than 20 octets');
    this.serialNumber = toHex(der.subarray(serialT.cs, serialT.end));
    p = serialT.end;

    const innerAlg = expect(der, p, end, TAG.SEQUENCE, E, 'signature');
    if (!sameBytes(der, innerAlg, outerAlg)) fail(E, 'signatureAlgorithm differs from tbsCertificate.signature');
    const { oid: sigOid, scheme } = readSignatureAlgorithm(der, innerAlg);
    this.signatureAlgorithm = sigOid;
    this.scheme = scheme;
    p = innerAlg.end;

    const issuerT = expect(der, p, end, TAG.SEQUENCE, E, 'issuer');
    checkName(der, issuerT);
    this.issuer = new CertName(der.subarray(issuerT.start, issuerT.end));
    p = issuerT.end;

    const validity = expect(der, p, end, TAG.SEQUENCE, E, 'validity');
    const nbT = readTlv(der, validity.cs, validity.end, E);
    const naT = readTlv(der, nbT.end, validity.end, E);
    if (naT.end !== validity.end) fail(E, 'extra data in validity');
    this.notBeforeMs = readTime(der, nbT, E);
    this.notAfterMs = readTime(der, naT, E);
    this.notBefore = new Date(this.notBeforeMs);
    this.notAfter = new Date(this.notAfterMs);
    p = validity.end;

    const subjectT = expect(der, p, end, TAG.SEQUENCE, E, 'subject');
    checkName(der, subjectT);
    this.subject = new CertName(der.subarray(subjectT.start, subjectT.end));
    this.selfIssued = this.subject.key === this.issuer.key;
    p = subjectT.end;

    const spkiT = expect(der, p, end, TAG.SEQUENCE, E, 'subjectPublicKeyInfo');
    const spki = der.subarray(spkiT.start, spkiT.end);
    const { algorithm, key, rsaExponentProblem: rsaE } = readPublicKeyAlgorithm(der, spkiT);
    this.publicKey = { spki, algorithm };
    this.publicKeyBytes = key;
    this.rsaExponentProblem = rsaE;
    this.spkiKey = byteKey(spki);
    p = spkiT.end;

    // issuerUniqueID [1] and subjectUniqueID [2] (IMPLICIT BIT STRING): allowed, ignored
    if (p < end) {
      t = readTlv(der, p, end, E);
      if (t.tag === 0x81) p = t.end;
    }
    if (p < end) {
      t = readTlv(der, p, end, E);
      if (t.tag === 0x82) p = t.end;
    }

    this.subjectAltName = { dns: [], uri: [], ip: [], email: [], dirName: [] };
    const extensions: Extension[] = [];
    let unknownCritical: string | undefined;
    let ncCritical = false;
    if (p < end) {
      const wrap = readTlv(der, p, end, E);
      if (wrap.tag !== 0xa3) fail(E, 'unexpected field after subjectPublicKeyInfo');
      if (wrap.end !== end) fail(E, 'extra data after extensions');
      const list = readTlv(der, wrap.cs, wrap.end, E);
      if (list.tag !== TAG.SEQUENCE || list.end !== wrap.end) fail(E, 'bad extensions wrapper');
      if (list.cs === list.end) fail(E, 'empty extensions');
      const seen = new Set<string>();
      for (const ext of children(der, list, E)) {
        if (ext.tag !== TAG.SEQUENCE) fail(E, 'extension is not a SEQUENCE');
        const oidT = readTlv(der, ext.cs, ext.end, E);
        const oid = readOid(der, oidT, E);
        if (seen.has(oid)) fail(E, `duplicate extension ${oid}`);
        seen.add(oid);
        let q = oidT.end;
        let critical = false;
        let valT = readTlv(der, q, ext.end, E);
        if (valT.tag === TAG.BOOLEAN) {
          critical = readBoolean(der, valT, E);
          if (!critical) fail(E, 'explicitly encoded default critical=FALSE');
          q = valT.end;
          valT = readTlv(der, q, ext.end, E);
        }
        if (valT.tag !== TAG.OCTET_STRING || valT.end !== ext.end) fail(E, 'bad extnValue');
        const value = der.subarray(valT.cs, valT.end);
        extensions.push(Object.freeze({ oid, critical, value }));
        if (RECOGNISED_EXTENSIONS.has(oid)) this.#readExtension(oid, value);
        else if (critical && unknownCritical === undefined) unknownCritical = oid;
        if (oid === OID.nameConstraints) ncCritical = critical;
      }
    }
    this.extensions = Object.freeze(extensions);
    this.unknownCritical = unknownCritical;
    this.nameConstraintsCritical = ncCritical;
    Object.freeze(this.subjectAltName.dns);
    Object.freeze(this.subjectAltName.uri);
    Object.freeze(this.subjectAltName.ip);
    Object.freeze(this.subjectAltName.email);
    Object.freeze(this.subjectAltName.dirName);
    Object.freeze(this.subjectAltName);
    Object.freeze(this);
  }

  fingerprint(): Promise<string> {
    return (this.#fingerprint ??= subtle()
      .digest('SHA-256', toArrayBuffer(this.der))
      .then((h) => toHex(new Uint8Array(h))));
  }

  #readExtension(oid: string, value: Uint8Array): void {
    // every recognised extension value is a single TLV that fills extnValue exactly
    const root = readTlv(value, 0, value.length, E);
    if (root.end !== value.length) fail(E, `trailing bytes in extension ${oid}`);
    const self = this as unknown as Record<string, unknown>;
    switch (oid) {
      case OID.basicConstraints: {
        if (root.tag !== TAG.SEQUENCE) fail(E, 'basicConstraints');
        const items = children(value, root, E);
        let i = 0;
        let ca = false;
        // cA FALSE is the DEFAULT and should be omitted, but explicit FALSE is widespread; accepted
        if (items[i]?.tag === TAG.BOOLEAN) ca = readBoolean(value, items[i++]!, E);
        let pathLen: number | undefined;
        if (items[i]?.tag === TAG.INTEGER) pathLen = readSmallInt(value, items[i++]!, E);
        if (i !== items.length) fail(E, 'basicConstraints has extra fields');
        if (pathLen !== undefined && !ca) fail(E, 'pathLenConstraint without cA');
        self.basicConstraints = Object.freeze(pathLen === undefined ? { ca } : { ca, pathLen });
        return;
      }
      case OID.keyUsage: {
        const bits = readBitString(value, root, E);
        if (bits.bytes.length > 2) fail(E, 'keyUsage too long');
        let flags = 0;
        for (let bit = 0; bit < bits.bytes.length * 8; bit++) {
          if (bits.bytes[bit >> 3]! & (0x80 >> (bit & 7))) flags |= 1 << bit;
        }
        self.keyUsage = flags;
        return;
      }
      case OID.extKeyUsage: {
        if (root.tag !== TAG.SEQUENCE || root.cs === root.end) fail(E, 'extKeyUsage');
        self.extKeyUsage = Object.freeze(children(value, root, E).map((t) => readOid(value, t, E)));
        return;
      }
      case OID.subjectAltName: {
        if (root.tag !== TAG.SEQUENCE || root.cs === root.end) fail(E, 'subjectAltName');
        const san = this.subjectAltName;
        for (const gn of children(value, root, E)) {
          const name = readGeneralName(value, gn, false);
          if (name.kind !== 'other') (san[name.kind] as unknown[]).push(name.value);
        }
        return;
      }
      case OID.nameConstraints: {
        if (root.tag !== TAG.SEQUENCE) fail(E, 'nameConstraints');
        const items = children(value, root, E);
        if (items.length === 0) fail(E, 'empty nameConstraints');
        const nc: { permitted?: GeneralSubtrees; excluded?: GeneralSubtrees } = {};
        let i = 0;
        if (items[i]?.tag === 0xa0) nc.permitted = readSubtrees(value, items[i++]!);
        if (items[i]?.tag === 0xa1) nc.excluded = readSubtrees(value, items[i++]!);
        if (i !== items.length) fail(E, 'nameConstraints has extra fields');
        self.nameConstraints = Object.freeze(nc);
        return;
      }
      case OID.subjectKeyIdentifier: {
        if (root.tag !== TAG.OCTET_STRING) fail(E, 'subjectKeyIdentifier');
        self.subjectKeyId = value.subarray(root.cs, root.end);
        return;
      }
      case OID.authorityKeyIdentifier: {
        if (root.tag !== TAG.SEQUENCE) fail(E, 'authorityKeyIdentifier');
        let last = -1;
        for (const item of children(value, root, E)) {
          const n = item.tag & 0x1f;
          if ((item.tag & 0xc0) !== 0x80 || n > 2 || n <= last) fail(E, 'authorityKeyIdentifier field');
          last = n;
          if (item.tag === 0x80) self.authorityKeyId = value.subarray(item.cs, item.end);
          else if (n === 0) fail(E, 'authorityKeyIdentifier keyIdentifier must be primitive');
        }
        return;
      }
    }
  }
}

function sameBytes(buf: Uint8Array, a: Tlv, b: Tlv): boolean {
  const n = a.end - a.start;
  if (n !== b.end - b.start) return false;
  for (let i = 0; i < n; i++) if (buf[a.start + i] !== buf[b.start + i]) return false;
  return true;
}

/** Name ::= SEQUENCE OF SET SIZE (1..MAX) OF SEQUENCE { type OID, value ANY } */
function checkName(buf: Uint8Array, name: Tlv): void {
  for (let p = name.cs; p < name.end; ) {
    const rdn = readTlv(buf, p, name.end, E);
    if (rdn.tag !== TAG.SET || rdn.cs === rdn.end) fail(E, 'bad RelativeDistinguishedName');
    for (let q = rdn.cs; q < rdn.end; ) {
      const atv = readTlv(buf, q, rdn.end, E);
      if (atv.tag !== TAG.SEQUENCE) fail(E, 'bad AttributeTypeAndValue');
      const typeT = readTlv(buf, atv.cs, atv.end, E);
      readOid(buf, typeT, E);
      const valT = readTlv(buf, typeT.end, atv.end, E);
      if (valT.end !== atv.end) fail(E, 'extra data in AttributeTypeAndValue');
      q = atv.end;
    }
    p = rdn.end;
  }
}

/** AlgorithmIdentifier of the signature → OID text and how to verify it. */
function readSignatureAlgorithm(buf: Uint8Array, alg: Tlv): { oid: string; scheme: SignatureScheme } {
  const oidT = readTlv(buf, alg.cs, alg.end, E);
  const oid = readOid(buf, oidT, E);
  const params = oidT.end < alg.end ? readTlv(buf, oidT.end, alg.end, E) : undefined;
  if (params && params.end !== alg.end) fail(E, 'extra data in AlgorithmIdentifier');
  switch (oid) {
    case OID.ecdsaSha256:
    case OID.ecdsaSha384:
    case OID.ecdsaSha512:
      // RFC 5758 §3.2: parameters MUST be absent
      if (params) fail(E, 'ECDSA signature algorithm with parameters');
      return { oid, scheme: { kind: 'ECDSA', hash: oid === OID.ecdsaSha256 ? 'SHA-256' : oid === OID.ecdsaSha384 ? 'SHA-384' : 'SHA-512' } };
    case OID.rsaSha256:
    case OID.rsaSha384:
    case OID.rsaSha512:
      // RFC 4055 says NULL; absent parameters are seen in the wild and accepted
      if (params) checkNull(params, E);
      return { oid, scheme: { kind: 'RSASSA-PKCS1-v1_5', hash: oid === OID.rsaSha256 ? 'SHA-256' : oid === OID.rsaSha384 ? 'SHA-384' : 'SHA-512' } };
    case OID.rsassaPss:
      if (!params || params.tag !== TAG.SEQUENCE) fail(E, 'RSASSA-PSS without parameters');
      return { oid, scheme: readPssParams(buf, params) };
    case OID.ed25519:
      if (params) fail(E, 'Ed25519 signature algorithm with parameters');
      return { oid, scheme: { kind: 'Ed25519' } };
    default:
      return { oid, scheme: { kind: 'unsupported', reason: `signature algorithm ${oid}` } };
  }
}

/** A hash AlgorithmIdentifier (parameters NULL or absent). */
function readHashAlg(buf: Uint8Array, t: Tlv): string {
  if (t.tag !== TAG.SEQUENCE) fail(E, 'bad hash AlgorithmIdentifier');
  const oidT = readTlv(buf, t.cs, t.end, E);
  const oid = readOid(buf, oidT, E);
  if (oidT.end < t.end) {
    const p = readTlv(buf, oidT.end, t.end, E);
    if (p.end !== t.end) fail(E, 'extra data in hash AlgorithmIdentifier');
    checkNull(p, E);
  }
  return oid;
}

/** RSASSA-PSS-params (RFC 4055 §3.1); only SHA-2 with MGF1 over the same hash is supported. */
function readPssParams(buf: Uint8Array, params: Tlv): SignatureScheme {
  let hashOid = '1.3.14.3.2.26'; // SHA-1 default
  let mgfHashOid = '1.3.14.3.2.26';
  let saltLength = 20;
  let last = -1;
  for (const field of children(buf, params, E)) {
    const n = field.tag - 0xa0;
    if (n < 0 || n > 3 || n <= last) fail(E, 'RSASSA-PSS parameter order');
    last = n;
    const inner = readTlv(buf, field.cs, field.end, E);
    if (inner.end !== field.end) fail(E, 'extra data in RSASSA-PSS parameter');
    if (n === 0) hashOid = readHashAlg(buf, inner);
    else if (n === 1) {
      if (inner.tag !== TAG.SEQUENCE) fail(E, 'bad maskGenAlgorithm');
      const mOid = readTlv(buf, inner.cs, inner.end, E);
      if (readOid(buf, mOid, E) !== OID.mgf1) return { kind: 'unsupported', reason: 'RSASSA-PSS mask generation function' };
      const mHash = readTlv(buf, mOid.end, inner.end, E);
      if (mHash.end !== inner.end) fail(E, 'extra data in maskGenAlgorithm');
      mgfHashOid = readHashAlg(buf, mHash);
    } else if (n === 2) saltLength = readSmallInt(buf, inner, E);
    else if (readSmallInt(buf, inner, E) !== 1) fail(E, 'RSASSA-PSS trailerField must be 1');
  }
  const hash = HASH_BY_OID[hashOid];
  if (!hash) return { kind: 'unsupported', reason: `RSASSA-PSS hash ${hashOid}` };
  if (mgfHashOid !== hashOid) return { kind: 'unsupported', reason: 'RSASSA-PSS MGF1 hash differs from the message hash' };
  if (saltLength > 1024) fail(E, 'RSASSA-PSS salt length out of range');
  return { kind: 'RSA-PSS', hash, saltLength };
}

const EC_CURVES: Readonly<Record<string, { name: 'P-256' | 'P-384' | 'P-521'; size: number }>> = {
  [OID.p256]: { name: 'P-256', size: 32 },
  [OID.p384]: { name: 'P-384', size: 48 },
  [OID.p521]: { name: 'P-521', size: 66 },
};

type RsaAlgorithm = { readonly name: 'RSA'; readonly modulusBits: number; readonly exponentProblem: string | undefined };

function readPublicKeyAlgorithm(buf: Uint8Array, spki: Tlv): { algorithm: PublicKeyAlgorithm; key: Uint8Array; rsaExponentProblem: string | undefined } {
  const alg = expect(buf, spki.cs, spki.end, TAG.SEQUENCE, E, 'SPKI algorithm');
  const keyT = expect(buf, alg.end, spki.end, TAG.BIT_STRING, E, 'subjectPublicKey');
  if (keyT.end !== spki.end) fail(E, 'extra data in subjectPublicKeyInfo');
  const key = readBitString(buf, keyT, E);
  const algorithm = publicKeyAlgorithm(buf, alg, key);
  if ('exponentProblem' in algorithm) {
    return { algorithm: Object.freeze({ name: 'RSA', modulusBits: algorithm.modulusBits }), key: key.bytes, rsaExponentProblem: algorithm.exponentProblem };
  }
  return { algorithm, key: key.bytes, rsaExponentProblem: undefined };
}

/** The SPKI's algorithm; for RSA also why its exponent is refused (kept internal, checked at import). */
function publicKeyAlgorithm(buf: Uint8Array, alg: Tlv, key: { bytes: Uint8Array; unused: number }): PublicKeyAlgorithm | RsaAlgorithm {
  const oidT = readTlv(buf, alg.cs, alg.end, E);
  const oid = readOid(buf, oidT, E);
  const params = oidT.end < alg.end ? readTlv(buf, oidT.end, alg.end, E) : undefined;
  if (params && params.end !== alg.end) fail(E, 'extra data in SPKI AlgorithmIdentifier');
  switch (oid) {
    case OID.ecPublicKey: {
      if (!params || params.tag !== TAG.OID) return { name: 'unsupported', oid };
      const curve = EC_CURVES[readOid(buf, params, E)];
      // only uncompressed points: compressed ones are not importable everywhere
      if (!curve || key.unused !== 0 || key.bytes.length !== 1 + 2 * curve.size || key.bytes[0] !== 4) return { name: 'unsupported', oid };
      return { name: 'ECDSA', namedCurve: curve.name };
    }
    case OID.rsaEncryption: {
      if (!params) fail(E, 'rsaEncryption key without NULL parameters');
      checkNull(params, E);
      if (key.unused !== 0) fail(E, 'RSA key has unused bits');
      const rsa = readTlv(key.bytes, 0, key.bytes.length, E);
      if (rsa.tag !== TAG.SEQUENCE || rsa.end !== key.bytes.length) fail(E, 'bad RSAPublicKey');
      const n = expect(key.bytes, rsa.cs, rsa.end, TAG.INTEGER, E, 'modulus');
      const e = expect(key.bytes, n.end, rsa.end, TAG.INTEGER, E, 'publicExponent');
      if (e.end !== rsa.end) fail(E, 'extra data in RSAPublicKey');
      if (checkInteger(key.bytes, n, E).negative || checkInteger(key.bytes, e, E).negative) fail(E, 'negative RSA key component');
      let start = n.cs;
      while (start < n.end && key.bytes[start] === 0) start++;
      if (start === n.end) fail(E, 'zero RSA modulus');
      const top = key.bytes[start]!;
      return { name: 'RSA', modulusBits: (n.end - start - 1) * 8 + (32 - Math.clz32(top)), exponentProblem: rsaExponentProblem(key.bytes, e.cs, e.end) };
    }
    case OID.ed25519:
      if (params) fail(E, 'Ed25519 key with parameters');
      if (key.unused !== 0 || key.bytes.length !== 32) fail(E, 'bad Ed25519 key');
      return { name: 'Ed25519' };
    default:
      return { name: 'unsupported', oid };
  }
}

type ReadName =
  | { kind: 'dns' | 'uri' | 'email'; value: string }
  | { kind: 'ip'; value: Uint8Array }
  | { kind: 'dirName'; value: Name }
  | { kind: 'other' };

function ia5(buf: Uint8Array, t: Tlv): string {
  let s = '';
  for (let i = t.cs; i < t.end; i++) {
    const c = buf[i]!;
    if (c >= 0x80) fail(E, 'IA5String with non-ASCII byte');
    s += String.fromCharCode(c);
  }
  return s;
}

/** One GeneralName (RFC 5280 §4.2.1.6). `constraint`: IP addresses carry a mask (8 or 32 bytes). */
function readGeneralName(buf: Uint8Array, t: Tlv, constraint: boolean): ReadName {
  switch (t.tag) {
    case 0x81:
      return { kind: 'email', value: ia5(buf, t) };
    case 0x82:
      return { kind: 'dns', value: ia5(buf, t) };
    case 0x86:
      return { kind: 'uri', value: ia5(buf, t) };
    case 0x87: {
      const n = t.end - t.cs;
      if (constraint ? n !== 8 && n !== 32 : n !== 4 && n !== 16) fail(E, 'bad iPAddress length');
      return { kind: 'ip', value: buf.subarray(t.cs, t.end) };
    }
    case 0xa4: {
      const inner = readTlv(buf, t.cs, t.end, E);
      if (inner.tag !== TAG.SEQUENCE || inner.end !== t.end) fail(E, 'bad directoryName');
      checkName(buf, inner);
      return { kind: 'dirName', value: new CertName(buf.subarray(inner.start, inner.end)) };
    }
    case 0xa0: // otherName
    case 0xa3: // x400Address
    case 0xa5: // ediPartyName
    case 0x88: // registeredID
      return { kind: 'other' };
    default:
      return fail(E, 'unknown GeneralName form');
  }
}

function readSubtrees(buf: Uint8Array, wrap: Tlv): GeneralSubtrees {
  const out = { dns: [] as string[], uri: [] as string[], ip: [] as Uint8Array[], email: [] as string[], dirName: [] as Name[], other: false };
  if (wrap.cs === wrap.end) fail(E, 'empty GeneralSubtrees');
  for (const sub of children(buf, wrap, E)) {
    if (sub.tag !== TAG.SEQUENCE) fail(E, 'GeneralSubtree is not a SEQUENCE');
    const base = readTlv(buf, sub.cs, sub.end, E);
    // RFC 5280 §4.2.1.10: minimum MUST be zero (so absent in DER) and maximum MUST be absent
    if (base.end !== sub.end) fail(E, 'GeneralSubtree minimum/maximum not supported');
    const name = readGeneralName(buf, base, true);
    if (name.kind === 'other') out.other = true;
    else (out[name.kind] as unknown[]).push(name.value);
  }
  return Object.freeze(out);
}
