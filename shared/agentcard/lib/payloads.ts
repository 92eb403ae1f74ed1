/** The canonical payloads of one card, computed lazily per profile and shared by its signatures. Internal. */
import { TrustError } from '../../errors.js';
import { b64urlEncode, utf8 } from '../../lib/encoding.js';
import { profilePayload, serialize, unsignedFields, type AgentCardProfile } from './profiles.js';

type Obj = Record<string, unknown>;

export interface Payload {
  readonly profile: AgentCardProfile;
  readonly text: string;
  readonly bytes: Uint8Array;
  /** BASE64URL(payload), the middle of the JWS signing input. */
  readonly b64: string;
  readonly object: Obj;
}

export class CardPayloads {
  readonly #card: Obj;
  readonly #cleaned: Obj;
  readonly #payloads = new Map<AgentCardProfile, Payload | null>();
  readonly #unsigned = new Map<AgentCardProfile, string[]>();

  /** `cleaned` is `cleanCard(card)`: the jcs-clean payload and the card's data as compared. */
  constructor(card: Obj, cleaned: Obj) {
    this.#card = card;
    this.#cleaned = cleaned;
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
    if (profile === 'jcs-clean') return make(profile, this.#cleaned); // errors here are the card's
    try {
      const object = profilePayload(this.#card, profile);
      return object ? make(profile, object) : null;
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
      const p = this.get(profile);
      u = p ? unsignedFields(this.#cleaned, p.object) : ['/'];
      this.#unsigned.set(profile, u);
    }
    return u;
  }
}

function make(profile: AgentCardProfile, object: Obj): Payload {
  const text = serialize(object);
  const bytes = utf8.encode(text);
  return { profile, text, bytes, b64: b64urlEncode(bytes), object };
}
