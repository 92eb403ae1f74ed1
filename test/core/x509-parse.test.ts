import { beforeAll, describe, expect, it } from 'vitest';
import { TestCA, rebuild, tlv, timeTlv, derChildren, ECDSA_SHA256_ALG, testKeyPair, KeyUsage } from '../support/ca.js';
import { parseCertificate, parseCertificates } from '../../shared/x509/parse.js';
import { issueCertificate } from '../../shared/ca/index.js';
import { importPublicKey } from '../../shared/x509/import-public-key.js';
import { ecdsaDerToRaw } from '../../shared/x509/lib/signature.js';
import { encodePem } from '../../shared/x509/pem.js';
import { getCrypto } from '../../shared/crypto.js';
import { toHex, b64Encode } from '../../shared/lib/encoding.js';
import { TrustError, type ErrorCode } from '../../shared/errors.js';

function codeOf(fn: () => unknown): ErrorCode | 'none' | 'not a TrustError' {
  try {
    fn();
    return 'none';
  } catch (err) {
    return err instanceof TrustError ? err.code : 'not a TrustError';
  }
}

let ca: TestCA;
let inter: TestCA;
let leafDer: Uint8Array;
let leafPem: string;

beforeAll(async () => {
  ca = await TestCA.create({ trustDomain: 'example.org' });
  inter = await ca.childCA();
  const svid = await inter.issueSVID('spiffe://example.org/workload', { dnsNames: ['w.example.org'], ips: ['10.0.0.1'] });
  leafDer = svid.der[0]!;
  leafPem = encodePem('CERTIFICATE', leafDer);
});

describe('parseCertificate: fields', () => {
  it('reads the fields validation needs', () => {
    const c = parseCertificate(leafDer);
    expect(c.version).toBe(3);
    expect(c.serialNumber).toMatch(/^[0-9a-f]+$/);
    expect(c.signatureAlgorithm).toBe('1.2.840.10045.4.3.2');
    expect(c.issuer.key).toBe(inter.certificate.subject.key);
    expect(c.subject.text).toBe('CN=svid,O=cardtrust test');
    expect(c.publicKey.algorithm).toEqual({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(c.subjectAltName.uri).toEqual(['spiffe://example.org/workload']);
    expect(c.subjectAltName.dns).toEqual(['w.example.org']);
    expect([...c.subjectAltName.ip[0]!]).toEqual([10, 0, 0, 1]);
    expect(c.keyUsage).toBe(KeyUsage.digitalSignature | KeyUsage.keyEncipherment | KeyUsage.keyAgreement);
    expect(c.authorityKeyId).toEqual(inter.certificate.subjectKeyId);
    expect(c.notBefore.getTime() % 1000).toBe(0);
    expect(toHex(c.tbs)).toBe(toHex(derChildren(leafDer)[0]!));
  });

  it('returns the same object for the same bytes, from DER, PEM or a parsed certificate', () => {
    const a = parseCertificate(leafDer);
    expect(parseCertificate(leafDer.slice())).toBe(a);
    expect(parseCertificate(leafPem)).toBe(a);
    expect(parseCertificate(a)).toBe(a);
    // an imitation is re-parsed from its bytes, never trusted field by field
    const fake = { ...a, subjectAltName: { ...a.subjectAltName, uri: ['spiffe://evil.org/x'] } };
    expect(parseCertificate(fake).subjectAltName.uri).toEqual(['spiffe://example.org/workload']);
  });

  it('keeps a private copy of the bytes', () => {
    const bytes = leafDer.slice();
    const c = parseCertificate(bytes);
    bytes[bytes.length - 1]! ^= 1;
    expect(toHex(c.der)).toBe(toHex(leafDer));
  });

  it('fingerprint() is the SHA-256 of the DER', async () => {
    const c = parseCertificate(leafDer);
    const expected = toHex(new Uint8Array(await getCrypto().subtle.digest('SHA-256', leafDer.slice())));
    expect(await c.fingerprint()).toBe(expected);
    expect(await c.fingerprint()).toBe(expected);
  });

  it('reads parameters of every supported algorithm', async () => {
    const pss = await TestCA.create({ keyAlg: 'RSA-PSS' });
    expect(pss.certificate.signatureAlgorithm).toBe('1.2.840.113549.1.1.10');
    expect(pss.certificate.publicKey.algorithm).toEqual({ name: 'RSA', modulusBits: 2048 });
    const ed = await TestCA.create({ keyAlg: 'Ed25519' });
    expect(ed.certificate.signatureAlgorithm).toBe('1.3.101.112');
    const p521 = await TestCA.create({ keyAlg: 'P-521' });
    expect(p521.certificate.signatureAlgorithm).toBe('1.2.840.10045.4.3.4');
  });
});

describe('PEM', () => {
  it('ignores text between blocks and accepts CRLF', () => {
    const bundle = `subject=leaf\n${leafPem}\nsome notes\n\n${ca.rootPem.replace(/\n/g, '\r\n')}trailing text`;
    const certs = parseCertificates(bundle);
    expect(certs.map((c) => c.subject.key)).toEqual([parseCertificate(leafDer).subject.key, ca.certificate.subject.key]);
  });

  const body = () => leafPem.split('\n').slice(1, -2).join('\n');
  const cases: Array<[string, () => string]> = [
    ['missing END', () => `-----BEGIN CERTIFICATE-----\n${body()}\n`],
    ['mismatched END label', () => `-----BEGIN CERTIFICATE-----\n${body()}\n-----END PRIVATE KEY-----\n`],
    ['BEGIN inside a block', () => `-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n${body()}\n-----END CERTIFICATE-----\n`],
    ['END without BEGIN', () => `${leafPem}-----END CERTIFICATE-----\n`],
    ['invalid base64 character', () => leafPem.replace(/\n([A-Za-z])/, '\n*')],
    ['wrong padding', () => `-----BEGIN CERTIFICATE-----\nZg=\n-----END CERTIFICATE-----\n`],
    ['empty body', () => `-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n`],
    ['blank line inside the body', () => leafPem.replace(/\n([A-Za-z0-9+/]{64})\n/, '\n$1\n\n')],
    ['marker in the garbage between blocks', () => `${leafPem}junk -----BEGIN junk\n${ca.rootPem}`],
    ['lowercase marker', () => leafPem.replace('BEGIN CERTIFICATE', 'begin certificate').replace('END CERTIFICATE', 'end certificate')],
    ['no block at all', () => 'just some text'],
    ['a private key block', () => `${leafPem}-----BEGIN PRIVATE KEY-----\nZm9v\n-----END PRIVATE KEY-----\n`],
  ];
  it.each(cases)('rejects %s with ERR_PEM_MALFORMED', (_name, make) => {
    expect(codeOf(() => parseCertificates(make()))).toBe('ERR_PEM_MALFORMED');
  });

  it('parseCertificate wants exactly one block', () => {
    expect(codeOf(() => parseCertificate(leafPem + ca.rootPem))).toBe('ERR_PEM_MALFORMED');
  });

  it('accepts concatenated DER and arrays of mixed inputs', () => {
    const both = new Uint8Array([...leafDer, ...ca.rootDer]);
    expect(parseCertificates(both)).toHaveLength(2);
    expect(parseCertificates([leafPem + ca.rootPem, ca.rootDer, parseCertificate(leafDer)])).toHaveLength(4);
    expect(codeOf(() => parseCertificates([leafDer, leafDer, leafDer], { maxCount: 2 }))).toBe('ERR_X509_TOO_LARGE');
  });
});

describe('strict DER', () => {
  let key: CryptoKey;
  beforeAll(() => {
    key = inter.keys.privateKey;
  });

  const swapLength = (der: Uint8Array) => {
    // outer length 0x82 LL LL → 0x83 00 LL LL (same value, non-minimal)
    expect(der[1]).toBe(0x82);
    return new Uint8Array([0x30, 0x83, 0x00, der[2]!, der[3]!, ...der.subarray(4)]);
  };

  const byteCases: Array<[string, (d: Uint8Array) => Uint8Array]> = [
    ['empty input', () => new Uint8Array()],
    ['truncated to 1 byte', (d) => d.subarray(0, 1)],
    ['truncated header', (d) => d.subarray(0, 3)],
    ['truncated body', (d) => d.subarray(0, d.length - 1)],
    ['truncated to half', (d) => d.subarray(0, d.length >> 1)],
    ['a trailing byte', (d) => new Uint8Array([...d, 0])],
    ['wrong outer tag', (d) => new Uint8Array([0x31, ...d.subarray(1)])],
    ['non-minimal outer length', swapLength],
    ['indefinite length', (d) => new Uint8Array([0x30, 0x80, ...d.subarray(4), 0, 0])],
    ['high tag number', (d) => new Uint8Array([0x1f, ...d.subarray(1)])],
    ['random bytes', () => new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])],
  ];
  it.each(byteCases)('rejects %s with ERR_X509_MALFORMED', (_n, mutate) => {
    expect(codeOf(() => parseCertificate(mutate(leafDer)))).toBe('ERR_X509_MALFORMED');
  });

  const V = 0, SERIAL = 1, ISSUER = 3, VALIDITY = 4, EXTS = 7;
  const fieldCases: Array<[string, (f: Uint8Array[]) => Uint8Array[], ErrorCode]> = [
    ['non-minimal length inside', (f) => { f[V] = new Uint8Array([0xa0, 0x81, 0x03, 0x02, 0x01, 0x02]); return f; }, 'ERR_X509_MALFORMED'],
    ['explicit default version v1', (f) => { f[V] = tlv(0xa0, tlv(0x02, new Uint8Array([0]))); return f; }, 'ERR_X509_MALFORMED'],
    ['version v2', (f) => { f[V] = tlv(0xa0, tlv(0x02, new Uint8Array([1]))); return f; }, 'ERR_X509_VERSION_UNSUPPORTED'],
    ['version v1 (absent, no extensions)', (f) => f.slice(1, EXTS), 'ERR_X509_VERSION_UNSUPPORTED'],
    ['negative serial', (f) => { f[SERIAL] = tlv(0x02, new Uint8Array([0x80, 1])); return f; }, 'ERR_X509_MALFORMED'],
    ['non-minimal serial', (f) => { f[SERIAL] = tlv(0x02, new Uint8Array([0x00, 1])); return f; }, 'ERR_X509_MALFORMED'],
    ['21-octet serial', (f) => { f[SERIAL] = tlv(0x02, new Uint8Array(21).fill(0x11)); return f; }, 'ERR_X509_MALFORMED'],
    ['20-octet serial with a sign octet', (f) => { f[SERIAL] = tlv(0x02, new Uint8Array([0, ...new Uint8Array(20).fill(0x81)])); return f; }, 'none' as ErrorCode],
    ['wrong tag for issuer', (f) => { f[ISSUER] = tlv(0x31, ...derChildren(f[ISSUER]!)); return f; }, 'ERR_X509_MALFORMED'],
    ['missing validity', (f) => f.filter((_, i) => i !== VALIDITY), 'ERR_X509_MALFORMED'],
    ['empty extensions', (f) => { f[EXTS] = tlv(0xa3, tlv(0x30)); return f; }, 'ERR_X509_MALFORMED'],
    ['duplicate extension', (f) => {
      const exts = derChildren(derChildren(f[EXTS]!)[0]!);
      f[EXTS] = tlv(0xa3, tlv(0x30, ...exts, exts[exts.length - 1]!));
      return f;
    }, 'ERR_X509_MALFORMED'],
    ['explicit critical FALSE', (f) => {
      const exts = derChildren(derChildren(f[EXTS]!)[0]!);
      const [oid, value] = derChildren(exts[exts.length - 1]!).filter((x) => x[0] !== 0x01);
      f[EXTS] = tlv(0xa3, tlv(0x30, ...exts.slice(0, -1), tlv(0x30, oid!, tlv(0x01, new Uint8Array([0])), value!)));
      return f;
    }, 'ERR_X509_MALFORMED'],
    ['non-DER BOOLEAN', (f) => {
      const exts = derChildren(derChildren(f[EXTS]!)[0]!);
      const parts = derChildren(exts[0]!);
      f[EXTS] = tlv(0xa3, tlv(0x30, tlv(0x30, parts[0]!, tlv(0x01, new Uint8Array([1])), parts[parts.length - 1]!), ...exts.slice(1)));
      return f;
    }, 'ERR_X509_MALFORMED'],
    ['trailing field after extensions', (f) => [...f, tlv(0x05)], 'ERR_X509_MALFORMED'],
    ['an extension value with trailing bytes', (f) => {
      const exts = derChildren(derChildren(f[EXTS]!)[0]!);
      const ku = tlv(0x30, tlv(0x06, new Uint8Array([0x55, 0x1d, 0x0f])), tlv(0x04, new Uint8Array([0x03, 0x02, 0x07, 0x80, 0x00])));
      f[EXTS] = tlv(0xa3, tlv(0x30, ...exts.filter((e) => !(e[4] === 0x55 && e[5] === 0x1d && e[6] === 0x0f)), ku));
      return f;
    }, 'ERR_X509_MALFORMED'],
    ['a SAN IP of 5 bytes', (f) => {
      const exts = derChildren(derChildren(f[EXTS]!)[0]!);
      const san = tlv(0x30, tlv(0x06, new Uint8Array([0x55, 0x1d, 0x11])), tlv(0x04, tlv(0x30, tlv(0x87, new Uint8Array([1, 2, 3, 4, 5])))));
      f[EXTS] = tlv(0xa3, tlv(0x30, ...exts.filter((e) => !(e[4] === 0x55 && e[5] === 0x1d && e[6] === 0x11)), san));
      return f;
    }, 'ERR_X509_MALFORMED'],
  ];
  it.each(fieldCases)('%s', async (_n, edit, code) => {
    const der = await rebuild(leafDer, edit, key);
    expect(codeOf(() => parseCertificate(der))).toBe(code);
  });

  it('rejects an outer signatureAlgorithm that differs from the TBS one', async () => {
    const sha384 = tlv(0x30, tlv(0x06, new Uint8Array([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03])));
    const der = await rebuild(leafDer, (f) => f, key, { outerAlg: sha384 });
    expect(codeOf(() => parseCertificate(der))).toBe('ERR_X509_MALFORMED');
    const same = await rebuild(leafDer, (f) => f, key, { outerAlg: ECDSA_SHA256_ALG });
    expect(codeOf(() => parseCertificate(same))).toBe('none');
  });

  it('rejects a signature BIT STRING with unused bits', async () => {
    const der = await rebuild(leafDer, (f) => f, key);
    const [tbs, alg, sig] = derChildren(der);
    const bad = tlv(0x30, tbs!, alg!, tlv(0x03, new Uint8Array([1]), sig!.subarray(3)));
    expect(codeOf(() => parseCertificate(bad))).toBe('ERR_X509_MALFORMED');
  });

  const times: Array<[string, string, string, number | ErrorCode]> = [
    ['UTCTime 50 is 1950', '500101000000Z', '491231235959Z', Date.UTC(1950, 0, 1)],
    ['UTCTime 49 is 2049', '491231235959Z', '491231235959Z', Date.UTC(2049, 11, 31, 23, 59, 59)],
    ['GeneralizedTime', '20500101000000Z', '20500101000000Z', Date.UTC(2050, 0, 1)],
    ['leap day', '20240229120000Z', '20240229120000Z', Date.UTC(2024, 1, 29, 12)],
    ['fractional seconds', '20500101000000.5Z', '20500101000000Z', 'ERR_X509_MALFORMED'],
    ['no Z', '500101000000+0000', '500101000000Z', 'ERR_X509_MALFORMED'],
    ['no seconds', '5001010000Z', '500101000000Z', 'ERR_X509_MALFORMED'],
    ['February 30', '500230000000Z', '500101000000Z', 'ERR_X509_MALFORMED'],
    ['hour 24', '500101240000Z', '500101000000Z', 'ERR_X509_MALFORMED'],
    ['non-leap February 29', '20230229000000Z', '20230301000000Z', 'ERR_X509_MALFORMED'],
  ];
  it.each(times)('time: %s', async (_n, nb, na, expected) => {
    const der = await rebuild(leafDer, (f) => { f[VALIDITY] = tlv(0x30, timeTlv(nb), timeTlv(na)); return f; }, key);
    if (typeof expected === 'number') expect(parseCertificate(der).notBefore.getTime()).toBe(expected);
    else expect(codeOf(() => parseCertificate(der))).toBe(expected);
  });

  it('rejects oversized certificates, limit configurable', async () => {
    const keys = await testKeyPair();
    const big = await issueCertificate({
      subject: 'CN=big',
      publicKey: keys.publicKey,
      issuer: { certificate: inter.der, privateKey: inter.keys.privateKey },
      notBefore: new Date(Date.UTC(2030, 0, 1)),
      notAfter: new Date(Date.UTC(2030, 0, 2)),
      extraExtensions: [{ oid: '1.3.6.1.4.1.99999.2', critical: false, value: tlv(0x04, new Uint8Array(70_000)) }],
    });
    expect(codeOf(() => parseCertificate(big.der))).toBe('ERR_X509_TOO_LARGE');
    expect(codeOf(() => parseCertificate(big.pem))).toBe('ERR_X509_TOO_LARGE');
    expect(codeOf(() => parseCertificate(big.der, { maxSize: 128 * 1024 }))).toBe('none');
    expect(codeOf(() => parseCertificate(leafDer, { maxSize: 100 }))).toBe('ERR_X509_TOO_LARGE');
  });

  it('rejects inputs that are not certificates', () => {
    expect(codeOf(() => parseCertificate(42 as unknown as Uint8Array))).toBe('ERR_INPUT_INVALID');
    expect(codeOf(() => parseCertificate(null as unknown as Uint8Array))).toBe('ERR_INPUT_INVALID');
  });
});

describe('importPublicKey', () => {
  it('imports once per key and algorithm', async () => {
    const a = await importPublicKey(leafDer, 'ES256');
    expect(await importPublicKey(leafPem)).toBe(a);
    expect(a.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(a.usages).toEqual(['verify']);
  });

  it.each<[string, 'ES384' | 'RS256' | 'EdDSA' | 'PS256']>([
    ['ES384 with a P-256 key', 'ES384'],
    ['RS256 with an EC key', 'RS256'],
    ['PS256 with an EC key', 'PS256'],
    ['EdDSA with an EC key', 'EdDSA'],
  ])('rejects %s', async (_n, alg) => {
    await expect(importPublicKey(leafDer, alg)).rejects.toMatchObject({ code: 'ERR_JWS_KEY_ALGORITHM_MISMATCH' });
  });

  it('imports RSA keys for RS and PS algorithms and refuses RSA 1024', async () => {
    const rsa = await inter.issue({ keyAlg: 'RSA' });
    expect((await importPublicKey(rsa.der, 'PS384')).algorithm).toMatchObject({ name: 'RSA-PSS' });
    expect((await importPublicKey(rsa.der)).algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5' });
    const weak = await inter.issue({ keys: await testKeyPair('RSA', 1024) });
    await expect(importPublicKey(weak.der, 'RS256')).rejects.toMatchObject({ code: 'ERR_X509_KEY_UNSUPPORTED' });
  });
});

describe('ECDSA signature conversion', () => {
  const int = (...b: number[]) => tlv(0x02, new Uint8Array(b));
  const r32 = new Uint8Array(32).fill(0x11);
  const cases: Array<[string, Uint8Array, string | undefined]> = [
    ['minimal integers', tlv(0x30, int(1), int(2)), '00'.repeat(31) + '01' + '00'.repeat(31) + '02'],
    ['sign octet', tlv(0x30, int(0x00, 0x80), int(1)), '00'.repeat(31) + '80' + '00'.repeat(31) + '01'],
    ['full width', tlv(0x30, tlv(0x02, r32), tlv(0x02, r32)), '11'.repeat(64)],
    ['non-minimal integer', tlv(0x30, int(0, 1), int(1)), undefined],
    ['negative integer', tlv(0x30, int(0x80), int(1)), undefined],
    ['too wide', tlv(0x30, tlv(0x02, new Uint8Array([0x11, ...r32])), int(1)), undefined],
    ['trailing data', new Uint8Array([...tlv(0x30, int(1), int(2)), 0]), undefined],
    ['extra integer', tlv(0x30, int(1), int(2), int(3)), undefined],
    ['wrong tag', tlv(0x31, int(1), int(2)), undefined],
  ];
  it.each(cases)('%s', (_n, der, hex) => {
    const raw = ecdsaDerToRaw(der, 32);
    expect(raw === undefined ? undefined : toHex(raw)).toBe(hex);
  });
});

it('base64 of DER round-trips through PEM armour', () => {
  expect(encodePem('CERTIFICATE', leafDer)).toContain(b64Encode(leafDer).slice(0, 64));
});
