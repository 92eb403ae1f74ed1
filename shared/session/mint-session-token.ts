import { TrustError } from '../errors.js';
import { algorithmOfKey, isCryptoKey, signCompact } from './lib/jws.js';
import { registeredClaims, type MintBase } from './lib/mint.js';

const MODULE = 'session';

export interface MintSessionTokenOptions extends MintBase {
  /** The session's ECDSA P-256 private key (tokens are ES256 only). */
  privateKey: CryptoKey;
}

/**
 * Mints a session token: ES256 with the session key, claims `iss`, `sub` (the session id), `aud`,
 * `jti` (random UUID unless given), `iat`, `exp` (≤ 5 min, default 5 min).
 *
 * @example
 * const token = await mintSessionToken({ privateKey, issuer: 'cardtrust', audience: 'cardtrust-sandbox', sessionId })
 */
export async function mintSessionToken(opts: MintSessionTokenOptions): Promise<string> {
  const claims = registeredClaims(MODULE, opts);
  if (!isCryptoKey(opts.privateKey) || opts.privateKey.type !== 'private') throw new TrustError('ERR_INPUT_INVALID', `${MODULE}: options.privateKey must be a private CryptoKey`);
  if (algorithmOfKey(opts.privateKey) !== 'ES256') throw new TrustError('ERR_KEY_UNSUPPORTED', `${MODULE}: session tokens are signed with an ECDSA P-256 key only`);
  return signCompact(MODULE, opts.privateKey, 'ES256', claims);
}
