// pkcs8KeyType: the key type a PKCS#8 PrivateKeyInfo names, from keys WebCrypto generated and from
// DER built here for the types and shapes it must refuse.
import { describe, expect, it } from 'vitest';
import { pkcs8KeyType } from '../../shared/x509/index.js';
import { TrustError } from '../../shared/errors.js';
import { getCrypto } from '../../shared/crypto.js';
import { testKeyPair } from '../support/ca.js';
import type { KeyAlgorithm } from '../../shared/ca/index.js';

/** DER TLV with a short or long-form length. */
function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = new Uint8Array(content.reduce((n, c) => n + c.length, 0));
  content.reduce((at, c) => (body.set(c, at), at + c.length), 0);
  const len = body.length < 0x80 ? [body.length] : body.length < 0x100 ? [0x81, body.length] : [0x82, body.length >> 8, body.length & 0xff];
  return new Uint8Array([tag, ...len, ...body]);
}
const bytes = (...b: number[]) => new Uint8Array(b);
/** An OID from its DER content bytes (hex). */
const oid = (hex: string) => tlv(0x06, Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16))));
const seq = (...c: Uint8Array[]) => tlv(0x30, ...c);
const VERSION = tlv(0x02, bytes(0));
const KEY = tlv(0x04, bytes(1, 2, 3));
/** A PrivateKeyInfo whose AlgorithmIdentifier holds `alg` (already encoded members). */
const pkcs8 = (...alg: Uint8Array[]) => seq(VERSION, seq(...alg), KEY);

const EC = oid('2a8648ce3d0201'); // 1.2.840.10045.2.1

describe('pkcs8KeyType: generated keys', () => {
  it.each([
    ['P-256', { kty: 'EC', crv: 'P-256' }],
    ['P-384', { kty: 'EC', crv: 'P-384' }],
    ['P-521', { kty: 'EC', crv: 'P-521' }],
    ['RSA', { kty: 'RSA' }],
    ['Ed25519', { kty: 'OKP', crv: 'Ed25519' }],
  ] as [KeyAlgorithm, unknown][])('%s', async (alg, expected) => {
    const { privateKey } = await testKeyPair(alg);
    const der = new Uint8Array(await getCrypto().subtle.exportKey('pkcs8', privateKey));
    expect(pkcs8KeyType(der)).toEqual(expected);
  });
});

describe('pkcs8KeyType: refusals', () => {
  it.each([
    // key types it does not import, named
    ['X25519', pkcs8(oid('2b656e')), 'ERR_KEY_UNSUPPORTED', 'unsupported key type X25519 (key agreement only): use an EC P-256'],
    ['Ed448', pkcs8(oid('2b6571')), 'ERR_KEY_UNSUPPORTED', 'unsupported key type Ed448:'],
    ['id-RSASSA-PSS', pkcs8(oid('2a864886f70d01010a')), 'ERR_KEY_UNSUPPORTED', 'unsupported key type RSASSA-PSS'],
    ['DSA', pkcs8(oid('2a8648ce380401')), 'ERR_KEY_UNSUPPORTED', 'unsupported key type DSA:'],
    ['an unknown algorithm', pkcs8(oid('2a0304')), 'ERR_KEY_UNSUPPORTED', 'unsupported key type 1.2.3.4:'],
    ['EC on secp256k1', pkcs8(EC, oid('2b8104000a')), 'ERR_KEY_UNSUPPORTED', 'unsupported key type EC secp256k1:'],
    ['EC on an unknown curve', pkcs8(EC, oid('2a0305')), 'ERR_KEY_UNSUPPORTED', 'unsupported key type EC on curve 1.2.3.5:'],
    ['EC with explicit parameters', pkcs8(EC, seq(VERSION)), 'ERR_KEY_UNSUPPORTED', 'unsupported key type EC with explicit curve parameters:'],
    ['EC without parameters', pkcs8(EC), 'ERR_KEY_UNSUPPORTED', 'unsupported key type EC without a named curve:'],
    ['EC with NULL parameters', pkcs8(EC, bytes(0x05, 0x00)), 'ERR_KEY_UNSUPPORTED', 'unsupported key type EC without a named curve:'],
    // not a PrivateKeyInfo
    ['no bytes', bytes(), 'ERR_PEM_MALFORMED', 'the PRIVATE KEY block is not a PKCS#8 PrivateKeyInfo'],
    ['a truncated key', pkcs8(EC, oid('2a8648ce3d030107')).subarray(0, 12), 'ERR_PEM_MALFORMED', 'not a PKCS#8 PrivateKeyInfo'],
    ['data after the PrivateKeyInfo', new Uint8Array([...pkcs8(EC, oid('2a8648ce3d030107')), 0]), 'ERR_PEM_MALFORMED', 'not a PKCS#8 PrivateKeyInfo'],
    ['an OCTET STRING', tlv(0x04, bytes(1)), 'ERR_PEM_MALFORMED', 'not a PKCS#8 PrivateKeyInfo'],
    ['a certificate-like SEQUENCE of SEQUENCEs', seq(seq(VERSION), seq(EC)), 'ERR_PEM_MALFORMED', 'not a PKCS#8 PrivateKeyInfo'],
    ['no AlgorithmIdentifier', seq(VERSION), 'ERR_PEM_MALFORMED', 'not a PKCS#8 PrivateKeyInfo'],
    ['an empty AlgorithmIdentifier', pkcs8(), 'ERR_PEM_MALFORMED', 'not a PKCS#8 PrivateKeyInfo'],
    ['an algorithm that is not an OID', pkcs8(tlv(0x04, bytes(0x2b, 0x65, 0x70))), 'ERR_PEM_MALFORMED', 'not a PKCS#8 PrivateKeyInfo'],
    ['a non-minimal OID', pkcs8(oid('2b806570')), 'ERR_PEM_MALFORMED', 'not a PKCS#8 PrivateKeyInfo'],
  ] as [string, Uint8Array, string, string][])('%s: %s', (_name, der, code, message) => {
    let err: unknown;
    try {
      pkcs8KeyType(der);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrustError);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toContain(message);
  });
});
