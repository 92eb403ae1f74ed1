/**
 * Hand-made compact JWS for negative tests (any header, any payload, any algorithm), signed with
 * the crypto provider in use so that keys from the core can sign. Runtime-neutral.
 *
 * @example
 * const token = await signJws({ alg: 'ES256', typ: 'JWT' }, { sub: 's-1' }, keys.privateKey)
 */
import { getCrypto } from '../../shared/crypto.js';
import { b64urlEncode, toArrayBuffer } from '../../shared/lib/encoding.js';

const enc = new TextEncoder();

export function b64json(value: unknown): string {
  return b64urlEncode(enc.encode(JSON.stringify(value)));
}

const PARAMS: Record<string, AlgorithmIdentifier | EcdsaParams | HmacImportParams> = {
  ES256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  ES384: { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams,
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
};

/** Signs `header.payload` with `key` using the signature scheme named by `scheme` (default: `header.alg`). */
export async function signJws(header: Record<string, unknown>, payload: Record<string, unknown> | string, key: CryptoKey, scheme?: string): Promise<string> {
  const input = `${b64json(header)}.${typeof payload === 'string' ? payload : b64json(payload)}`;
  const params = PARAMS[scheme ?? String(header['alg'])];
  if (!params) throw new Error(`signJws: no scheme ${scheme ?? header['alg']}`);
  const sig = await getCrypto().subtle.sign(params, key, toArrayBuffer(enc.encode(input)));
  return `${input}.${b64urlEncode(new Uint8Array(sig))}`;
}

/** HS256 over `header.payload` with raw `secret` bytes as the HMAC key (the classic alg-confusion forgery). */
export async function signHs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: Uint8Array): Promise<string> {
  const input = `${b64json(header)}.${b64json(payload)}`;
  const key = await getCrypto().subtle.importKey('raw', toArrayBuffer(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const sig = await getCrypto().subtle.sign('HMAC', key, toArrayBuffer(enc.encode(input)));
  return `${input}.${b64urlEncode(new Uint8Array(sig))}`;
}
