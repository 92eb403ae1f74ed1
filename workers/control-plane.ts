/**
 * The session control plane behind `/v1/sessions`: creates sessions (a fresh P-256 key pair, its
 * private key sealed into the sealed-key store, a bootstrap token for the daemon), mints session
 * tokens from the sealed key, and deletes sessions. Runtime-neutral apart from its configuration.
 *
 * Imported (unsealed) keys are kept in a bounded LRU keyed by session id AND the sealed text: the
 * store is read on every request, so a deleted or expired session is 404 at once, and a cache
 * entry is only used for the exact sealed bytes it was opened from (a cache never changes an answer).
 */
import { TrustError } from '../shared/errors.js';
import { getCrypto, subtle } from '../shared/crypto.js';
import { LruCache } from '../shared/lib/cache.js';
import { bytesEqual, utf8 } from '../shared/lib/encoding.js';
import {
  generateSessionKeyPair,
  importBootstrapPrivateKey,
  mintBootstrapToken,
  mintSessionToken,
  sealSessionKey,
  unsealSessionKey,
  MAX_TOKEN_LIFETIME_SECONDS,
} from '../shared/session/index.js';
import type { SealedKeyStore } from '../shared/store/index.js';
import type { SessionConfig } from './config.js';

/** How many unsealed session keys an isolate keeps imported. */
export const SESSION_KEY_CACHE_SIZE = 1000;

/** Session ids: URL-path safe, 1..128 characters, starting with a letter or digit. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface CreatedSession {
  sessionId: string;
  bootstrapToken: string;
  sessionKeyThumbprint: string;
  /** When the session (its sealed key) expires, ISO 8601. */
  expiresAt: string;
  /** When the bootstrap token expires, ISO 8601 (≤ 5 min after issue). */
  bootstrapExpiresAt: string;
}

export interface ControlPlane {
  /** Constant-time check of an `Authorization` header value; throws ERR_UNAUTHENTICATED. */
  authenticate(authorization: string | null): Promise<void>;
  create(sessionId?: string): Promise<CreatedSession>;
  token(sessionId: string): Promise<{ token: string; expiresAt: string }>;
  delete(sessionId: string): Promise<void>;
}

/** Checks a session id from a path or body; ERR_REQUEST_INVALID otherwise. */
export function checkSessionId(id: unknown): string {
  if (typeof id !== 'string' || !SESSION_ID_PATTERN.test(id)) {
    throw new TrustError('ERR_REQUEST_INVALID', 'sessions: a session id is 1..128 characters of [A-Za-z0-9._-], starting with a letter or digit');
  }
  return id;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', utf8.encode(text)));
}

/**
 * Builds the control plane for one configuration and store.
 *
 * @example
 * const cp = controlPlane(config.sessions, stores.sealedKeys, () => new Date());
 * const { sessionId, bootstrapToken } = await cp.create();
 */
export function controlPlane(config: SessionConfig, store: SealedKeyStore, now: () => Date): ControlPlane {
  const expected = sha256(config.controlPlaneToken);
  let signingKey: Promise<CryptoKey> | undefined;
  const bootstrapKey = (): Promise<CryptoKey> =>
    (signingKey ??= importBootstrapPrivateKey(config.bootstrapPrivateKeyPem).catch((err: unknown) => {
      signingKey = undefined;
      throw new TrustError('ERR_CONFIG_INVALID', 'BOOTSTRAP_PRIVATE_KEY: cannot be imported', { cause: err });
    }));
  const keys = new LruCache<string, { sealed: string; key: Promise<CryptoKey> }>(SESSION_KEY_CACHE_SIZE);
  const sealOpts = (sessionId: string) => ({ secret: config.sealSecret, sessionId });
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

  return {
    async authenticate(authorization) {
      const m = authorization === null ? null : /^Bearer +([!-~]+) *$/i.exec(authorization);
      if (!m) throw new TrustError('ERR_UNAUTHENTICATED', 'sessions: an Authorization: Bearer <CONTROL_PLANE_TOKEN> header is required');
      // compare digests: equal length, and no early exit on the first differing byte
      if (!bytesEqual(await sha256(m[1]!), await expected)) throw new TrustError('ERR_UNAUTHENTICATED', 'sessions: the bearer token is not the control plane token');
    },

    async create(requested) {
      const sessionId = requested === undefined ? getCrypto().randomUUID() : checkSessionId(requested);
      const pair = await generateSessionKeyPair();
      const sealed = await sealSessionKey(pair.privateKey, sealOpts(sessionId));
      const signer = await bootstrapKey();
      const ttlMs = config.ttlSeconds * 1000;
      if (store.putIfAbsent) {
        if (!(await store.putIfAbsent(sessionId, sealed, ttlMs))) throw new TrustError('ERR_SESSION_EXISTS', `sessions: session ${sessionId} already exists`);
      } else {
        if ((await store.get(sessionId)) !== undefined) throw new TrustError('ERR_SESSION_EXISTS', `sessions: session ${sessionId} already exists`);
        await store.put(sessionId, sealed, ttlMs);
      }
      const t = now();
      const iat = Math.floor(t.getTime() / 1000);
      const ttl = Math.min(MAX_TOKEN_LIFETIME_SECONDS, config.ttlSeconds);
      const bootstrapToken = await mintBootstrapToken({
        privateKey: signer,
        issuer: config.issuer,
        audience: config.audience,
        sessionId,
        sessionPublicKey: pair.publicJwk,
        ttlSeconds: ttl,
        now: () => t,
      });
      keys.set(sessionId, { sealed, key: Promise.resolve(pair.privateKey) });
      return {
        sessionId,
        bootstrapToken,
        sessionKeyThumbprint: pair.thumbprint,
        expiresAt: new Date(t.getTime() + ttlMs).toISOString(),
        bootstrapExpiresAt: iso(iat + ttl),
      };
    },

    async token(id) {
      const sessionId = checkSessionId(id);
      const sealed = await store.get(sessionId);
      if (sealed === undefined) {
        keys.delete(sessionId);
        throw new TrustError('ERR_SESSION_NOT_FOUND', `sessions: no session ${sessionId} (never created, deleted, or expired)`);
      }
      let entry = keys.get(sessionId);
      if (!entry || entry.sealed !== sealed) {
        const key = unsealSessionKey(sealed, sealOpts(sessionId));
        entry = { sealed, key };
        keys.set(sessionId, entry);
        key.catch(() => {
          if (keys.get(sessionId) === entry) keys.delete(sessionId);
        });
      }
      const t = now();
      const token = await mintSessionToken({ privateKey: await entry.key, issuer: config.issuer, audience: config.audience, sessionId, ttlSeconds: MAX_TOKEN_LIFETIME_SECONDS, now: () => t });
      return { token, expiresAt: iso(Math.floor(t.getTime() / 1000) + MAX_TOKEN_LIFETIME_SECONDS) };
    },

    async delete(id) {
      const sessionId = checkSessionId(id);
      keys.delete(sessionId);
      if (!(await store.delete(sessionId))) throw new TrustError('ERR_SESSION_NOT_FOUND', `sessions: no session ${sessionId}`);
    },
  };
}
