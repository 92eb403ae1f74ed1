/** Types of the session module (two-stage sandbox initialization). */

/** A session key pair: ECDSA P-256; `thumbprint` is the RFC 7638 SHA-256 thumbprint of `publicJwk`, base64url. */
export interface SessionKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JsonWebKey;
  thumbprint: string;
}

/** The claims of a verified session token (every registered claim is required). */
export interface SessionClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  jti: string;
  iat: number;
  exp: number;
}

/** The claims of a verified bootstrap token: the registered claims and the session public key. */
export interface BootstrapClaims extends SessionClaims {
  session_public_key: JsonWebKey | string;
}
