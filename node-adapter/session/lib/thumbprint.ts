/**
 * The session public key a bootstrap token carries, read without verifying the token (the client
 * minted or received it from its own control plane; the daemon does the verifying), as its
 * RFC 7638 SHA-256 thumbprint: what `/init` must answer with for the client to call it a success.
 * The key is imported by the core's `importSessionPublicKey`, the daemon's own import, so both
 * sides compute the same thumbprint from a JWK or a PEM SPKI string.
 */
import { decodeJwt } from 'jose';
import { TrustError } from '../../../shared/errors.js';
import { importSessionPublicKey } from '../../../shared/session/index.js';

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
  if (key === undefined) throw new TrustError('ERR_JWT_CLAIM_INVALID', 'session: the bootstrap token has no session_public_key');
  return (await importSessionPublicKey(key as JsonWebKey | string)).thumbprint;
}
