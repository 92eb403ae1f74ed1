import { TrustError } from '../errors.js';
import { algorithmOfKey, isCryptoKey, signCompact } from './lib/jws.js';
import { registeredClaims, type MintBase } from './lib/mint.js';
import { importSessionPublicKey } from './keys.js';

const MODULE = 'bootstrap';

export interface MintBootstrapTokenOptions extends MintBase {
  /** The bootstrap private key: ECDSA P-256 (the token is ES256) or RSASSA-PKCS1-v1_5 SHA-256, ≥ 2048 bits (RS256). */
  privateKey: CryptoKey;
  kid?: string;
  /** The session's public key (P-256), carried as the `session_public_key` claim. */
  sessionPublicKey: JsonWebKey;
}

/**
 * Mints a bootstrap token: a JWT signed with the control plane's bootstrap key, claims `iss`,
 * `sub` (the session id), `aud`, `jti` (random UUID unless given), `iat`, `exp` (≤ 5 min, default
 * 5 min) and `session_public_key` (the session key's public JWK, key members only).
 *
 * @example
 * const token = await mintBootstrapToken({ privateKey, issuer: 'cardtrust', audience: 'cardtrust-sandbox', sessionId, sessionPublicKey: pair.publicJwk })
 */
export async function mintBootstrapToken(opts: MintBootstrapTokenOptions): Promise<string> {
  const claims = registeredClaims(MODULE, opts);
  if (!isCryptoKey(opts.privateKey) || opts.privateKey.type !== 'private') throw new TrustError('ERR_INPUT_INVALID', `${MODULE}: options.privateKey must be a private CryptoKey`);
  const alg = algorithmOfKey(opts.privateKey);
  if (alg === undefined) throw new TrustError('ERR_KEY_UNSUPPORTED', `${MODULE}: the bootstrap key must be ECDSA P-256 or RSASSA-PKCS1-v1_5 SHA-256 with ≥ 2048 bits`);
  if (opts.kid !== undefined && (typeof opts.kid !== 'string' || opts.kid === '')) throw new TrustError('ERR_INPUT_INVALID', `${MODULE}: options.kid must be a non-empty string`);
  // the same checks the daemon will apply, so a token that cannot initialize is never minted
  const { jwk } = await importSessionPublicKey(opts.sessionPublicKey);
  return signCompact(MODULE, opts.privateKey, alg, { ...claims, session_public_key: jwk }, opts.kid);
}
