/**
 * A `Request` for the bridge that is built only when it is needed. In Node, constructing a Fetch
 * `Request` (undici) costs more CPU per request than the HTTP parser; most handlers read only
 * `method`, `url`, `headers`, `signal` and a small body the bridge already holds. So the bridge
 * hands over this object: those answer at once, and the first use of anything else (`body`,
 * `formData()`, `clone()`, …) builds the real `Request` from the same parts and delegates to it
 * from then on. It is `instanceof Request` (its prototype chain ends at `Request.prototype`, every
 * accessor and method of which it overrides). The approach of @hono/node-server's request.
 */

import { delegateMembers } from '../../shared/lib/delegate.js';

interface Parts {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  /** The signal, or a function that makes it on first use (most requests never read it). */
  readonly signal: AbortSignal | (() => AbortSignal);
  /** The whole body, when the bridge read it; otherwise `stream` (or neither: no body). */
  readonly bytes?: Uint8Array<ArrayBuffer>;
  readonly stream?: ReadableStream<Uint8Array>;
}

/**
 * The lazy request. A class, so every instance has one shape (objects given their properties one
 * by one with `defineProperties` cost more to make than the undici `Request` they stand in for).
 * It does not call `Request`'s constructor: its prototype is chained to `Request.prototype` below.
 */
class LightRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly #parts: Parts;
  #signal: AbortSignal | undefined;
  #real: Request | undefined;

  constructor(parts: Parts) {
    this.method = parts.method;
    this.url = parts.url;
    this.headers = parts.headers;
    this.#parts = parts;
  }

  get signal(): AbortSignal {
    const given = this.#parts.signal;
    return (this.#signal ??= typeof given === 'function' ? given() : given);
  }

  /** The real request, built from the same parts on first need. */
  real(): Request {
    if (!this.#real) {
      const parts = this.#parts;
      const init: RequestInit & { duplex?: 'half' } = { method: parts.method, headers: parts.headers, signal: this.signal };
      if (parts.bytes) init.body = parts.bytes;
      else if (parts.stream) {
        init.body = parts.stream;
        init.duplex = 'half';
      }
      this.#real = new Request(parts.url, init);
    }
    return this.#real;
  }

  /** True until something read the body (the real request's `bodyUsed` once it exists). */
  get bodyUsed(): boolean {
    return this.#real ? this.#real.bodyUsed : false;
  }
}

// the rest of Request's members (body, text(), formData(), clone(), …): from the real request
delegateMembers(LightRequest.prototype, Request.prototype, (self) => (self as LightRequest).real());

/**
 * A request with these parts; the real `Request` is constructed on first need.
 *
 * @example
 * const request = lightRequest({ method: 'GET', url: 'http://x/', headers: new Headers(), signal });
 */
export function lightRequest(parts: Parts): Request {
  return new LightRequest(parts) as unknown as Request;
}
