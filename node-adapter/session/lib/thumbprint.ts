/**
 * The session public key a bootstrap token carries, read without verifying the token (the client
 * minted or received it from its own control plane; the daemon does the verifying), as its
 * RFC 7638 SHA-256 thumbprint: what `/init` must answer with for the client to call it a success.
 */
import { calculateJwkThumbprint, decodeJwt, exportJWK, importSPKI, type JWK } from 'jose';
import { TrustError } from '../../../shared/errors.js';

/**
 * The RFC 7638 thumbprint of the token's `session_public_key` (a JWK, or a PEM SPKI string).
 *
 * @example
 * const expected = await bootstrapKeyThumbprint(bootstrapToken);
 */
export async function bootstrapKeyThumbprint(token: string): Promise<string> {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch (err) {
    throw new TrustError('ERR_JWS_MALFORMED', 'session: the bootstrap token is not a JWT', { cause: err });
  }
  const key = claims['session_public_key'];
  try {
    if (typeof key === 'string') {
      const imported = await importSPKI(key, 'ES256', { extractable: true });
      return await calculateJwkThumbprint(await exportJWK(imported), 'sha256');
    }
    if (key && typeof key === 'object' && !Array.isArray(key)) return await calculateJwkThumbprint(key as JWK, 'sha256');
  } catch (err) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', 'session: the bootstrap token carries an unusable session_public_key', { cause: err });
  }
  throw new TrustError('ERR_JWT_CLAIM_INVALID', 'session: the bootstrap token has no session_public_key');
}
