import { TrustError } from '../errors.js';
import { checkTtl } from './lib/ttl.js';
import type { MemoryStoreOptions, SealedKeyStore } from './types.js';

/**
 * An in-memory {@link SealedKeyStore} for a single instance. Bounded, and fail-closed when full:
 * dropping a live session's key would end that session silently, so when every slot holds an
 * unexpired key, `put` of a new session throws `ERR_STORE_UNAVAILABLE` instead (expired entries
 * are reclaimed first). Default capacity 10 000 sessions.
 *
 * @example
 * const sealedKeys = new MemorySealedKeyStore({ maxEntries: 10_000 });
 * await sealedKeys.put('s-1', sealed, 3_600_000);
 */
export class MemorySealedKeyStore implements SealedKeyStore {
  readonly #entries = new Map<string, { sealed: string; expiresAt: number }>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.#max = options.maxEntries ?? 10_000;
    if (!Number.isInteger(this.#max) || this.#max < 1) throw new RangeError('maxEntries must be a positive integer');
    this.#now = options.now ?? Date.now;
  }

  async put(sessionId: string, sealed: string, ttlMs: number): Promise<void> {
    this.#put(sessionId, sealed, ttlMs, false);
  }

  async putIfAbsent(sessionId: string, sealed: string, ttlMs: number): Promise<boolean> {
    return this.#put(sessionId, sealed, ttlMs, true);
  }

  #put(sessionId: string, sealed: string, ttlMs: number, onlyIfAbsent: boolean): boolean {
    checkId(sessionId);
    if (typeof sealed !== 'string' || sealed === '') throw new TrustError('ERR_INPUT_INVALID', 'sealed key store: the sealed key must be a non-empty string');
    checkTtl(ttlMs, 'milliseconds');
    const now = this.#now();
    const existing = this.#entries.get(sessionId);
    if (onlyIfAbsent && existing && existing.expiresAt > now) return false;
    if (!existing && this.#entries.size >= this.#max) {
      for (const [id, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(id);
      if (this.#entries.size >= this.#max) throw new TrustError('ERR_STORE_UNAVAILABLE', 'sealed key store is full of live sessions');
    }
    this.#entries.set(sessionId, { sealed, expiresAt: now + ttlMs });
    return true;
  }

  async get(sessionId: string): Promise<string | undefined> {
    checkId(sessionId);
    const e = this.#entries.get(sessionId);
    if (!e) return undefined;
    if (e.expiresAt <= this.#now()) {
      this.#entries.delete(sessionId);
      return undefined;
    }
    return e.sealed;
  }

  async delete(sessionId: string): Promise<boolean> {
    checkId(sessionId);
    const e = this.#entries.get(sessionId);
    if (!e) return false;
    this.#entries.delete(sessionId);
    return e.expiresAt > this.#now();
  }
}

function checkId(sessionId: unknown): void {
  if (typeof sessionId !== 'string' || sessionId === '') throw new TrustError('ERR_INPUT_INVALID', 'sealed key store: the session id must be a non-empty string');
}
