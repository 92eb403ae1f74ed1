/**
 * The WebCrypto implementation the core uses. Defaults to `globalThis.crypto`; a runtime without
 * one (or a test proving the core needs only the WebCrypto interface) injects another.
 *
 * @example
 * import { Crypto } from '@peculiar/webcrypto'
 * setCryptoProvider(new Crypto())
 */
import { clearCaches } from './lib/cache.js';

let injected: Crypto | undefined;

/** Replaces the WebCrypto implementation (pass `undefined` to return to `globalThis.crypto`). Clears every cache, since keys do not cross implementations. */
export function setCryptoProvider(provider: Crypto | undefined): void {
  injected = provider;
  clearCaches();
}

/** The WebCrypto implementation in use. */
export function getCrypto(): Crypto {
  const c = injected ?? (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new Error('cardtrust: no WebCrypto implementation; call setCryptoProvider()');
  return c;
}

/** Shorthand for `getCrypto().subtle`. */
export function subtle(): SubtleCrypto {
  return getCrypto().subtle;
}
