/**
 * The sealed-key store interface of the session contract (`shared/store`'s `SealedKeyStore`):
 * sealed session keys at rest, one key per session.
 */
export interface SealedKeyStore {
  put(sessionId: string, sealed: string, ttlMs: number): Promise<void>;
  get(sessionId: string): Promise<string | undefined>;
  /** True when something was removed. */
  delete(sessionId: string): Promise<boolean>;
}
