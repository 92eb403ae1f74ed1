/** The canonical payloads of one card, computed lazily per profile and shared by its signatures. Internal. */
import { TrustError } from '../../errors.js';
import { subtle } from '../../crypto.js';
import { LruCache } from '../../lib/cache.js';
import { toArrayBuffer, toHex, utf8 } from '../../lib/encoding.js';
import { b64urlBytes } from './b64.js';
import { cleanCanonical, cleanCard, profilePayload, profileText, unsignedFields, type AgentCardProfile, type Budget } from './profiles.js';

type Obj = Record<string, unknown>;

export interface Payload {
  readonly profile: AgentCardProfile;
  readonly text: string;
  /** ASCII of BASE64URL(UTF-8(text)): the second half of the JWS signing input. */
  readonly b64: Uint8Array;
  /** UTF-8 bytes of `text`. */
  readonly size: number;
  /** Hex SHA-256 of UTF-8(text), computed on first use. */
  digest(): Promise<string>;
}

interface Derived {
  readonly b64: Uint8Array;
  readonly bytes: Uint8Array;
  digest?: Promise<string>;
}

// What a payload text derives to, for cards seen again (the warm path: one lookup instead of
// encoding and hashing). Only small payloads are kept, so the cache is bounded in bytes too.
const derivedCache = new LruCache<string, Derived>(512);
const MAX_CACHED_TEXT = 16 * 1024;

function derive(text: string): Derived {
  const small = text.length <= MAX_CACHED_TEXT;
  const hit = small ? derivedCache.get(text) : undefined;
  if (hit) return hit;
  const bytes = utf8.encode(text);
  const d: Derived = { b64: b64urlBytes(bytes), bytes };
  if (small) derivedCache.set(text, d);
  return d;
}

function payload(profile: AgentCardProfile, text: string): Payload {
  const d = derive(text);
  return {
    profile,
    text,
    b64: d.b64,
    size: d.bytes.length,
    digest() {
      if (!d.digest) {
        const p = subtle()
          .digest('SHA-256', toArrayBuffer(d.bytes))
          .then((h) => toHex(new Uint8Array(h)));
        p.catch(() => {
          if (d.digest === p) d.digest = undefined; // a failed hash is not remembered
        });
        d.digest = p;
      }
      return d.digest;
    },
  };
}

export class CardPayloads {
  readonly #card: Obj;
  #cleaned: Obj | undefined;
  readonly #payloads = new Map<AgentCardProfile, Payload | null>();
  readonly #objects = new Map<AgentCardProfile, Obj>();
  readonly #unsigned = new Map<AgentCardProfile, string[]>();

  /**
   * Computes the jcs-clean payload at once: its errors (ERR_CARD_MALFORMED, and ERR_CARD_TOO_LARGE
   * when `budget` runs out) are the card's. The other profiles follow on demand.
   */
  constructor(card: Obj, budget?: Budget) {
    this.#card = card;
    const base = payload('jcs-clean', cleanCanonical(card, budget));
    this.#payloads.set('jcs-clean', base);
  }

  /** The jcs-clean payload (always defined). */
  get base(): Payload {
    return this.#payloads.get('jcs-clean')!;
  }

  /** The payload of `profile`, or undefined when the profile cannot represent this card. */
  get(profile: AgentCardProfile): Payload | undefined {
    let p = this.#payloads.get(profile);
    if (p === undefined) {
      p = this.#compute(profile);
      this.#payloads.set(profile, p);
    }
    return p ?? undefined;
  }

  #compute(profile: AgentCardProfile): Payload | null {
    try {
      const object = profilePayload(this.#card, profile);
      if (!object) return null;
      this.#objects.set(profile, object);
      return payload(profile, profileText(object, profile));
    } catch (err) {
      if (err instanceof TrustError) return null; // this profile cannot encode the card: not a candidate
      throw err;
    }
  }

  /** JSON Pointers of card data `profile` does not cover (none for jcs-clean, by construction). */
  unsigned(profile: AgentCardProfile): string[] {
    if (profile === 'jcs-clean') return [];
    let u = this.#unsigned.get(profile);
    if (!u) {
      const object = this.get(profile) ? this.#objects.get(profile) : undefined;
      this.#cleaned ??= cleanCard(this.#card);
      u = object ? unsignedFields(this.#cleaned, object) : ['/'];
      this.#unsigned.set(profile, u);
    }
    return u;
  }
}
