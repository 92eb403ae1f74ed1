/**
 * A `Request` for the bridge that is built only when it is needed. In Node, constructing a Fetch
 * `Request` (undici) costs more CPU per request than the HTTP parser; most handlers read only
 * `method`, `url`, `headers`, `signal` and a small body the bridge already holds. So the bridge
 * hands over this object: those answer at once, and the first use of anything else (`body`,
 * `formData()`, `clone()`, …) builds the real `Request` from the same parts and delegates to it
 * from then on. It is `instanceof Request` (its prototype chain ends at `Request.prototype`, every
 * accessor and method of which it overrides). The approach of @hono/node-server's request.
 */

const REAL = Symbol('real');
const BUILT = Symbol('built');

interface Parts {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly signal: AbortSignal;
  /** The whole body, when the bridge read it; otherwise `stream` (or neither: no body). */
  readonly bytes?: Uint8Array<ArrayBuffer>;
  readonly stream?: ReadableStream<Uint8Array>;
}

interface Light {
  readonly [REAL]: () => Request;
}

const proto: Record<PropertyKey, unknown> = {};

// every accessor of Request.prototype: from the real request (method, url, headers and signal are own properties)
for (const key of Object.getOwnPropertyNames(Request.prototype)) {
  if (key === 'constructor') continue;
  const desc = Object.getOwnPropertyDescriptor(Request.prototype, key)!;
  if (typeof desc.value === 'function') {
    Object.defineProperty(proto, key, {
      value(this: Light, ...args: unknown[]) {
        return (this[REAL]()[key as keyof Request] as (...a: unknown[]) => unknown)(...args);
      },
      writable: true,
      configurable: true,
    });
  } else if (desc.get) {
    Object.defineProperty(proto, key, {
      get(this: Light) {
        return this[REAL]()[key as keyof Request];
      },
      configurable: true,
    });
  }
}
Object.setPrototypeOf(proto, Request.prototype);

/** True until something read the body (the real request's `bodyUsed` once it exists). */
Object.defineProperty(proto, 'bodyUsed', {
  get(this: Light & { [key: symbol]: unknown }) {
    const real = this[BUILT] as Request | undefined;
    return real ? real.bodyUsed : false;
  },
  configurable: true,
});

/**
 * A request with these parts; the real `Request` is constructed on first need.
 *
 * @example
 * const request = lightRequest({ method: 'GET', url: 'http://x/', headers: new Headers(), signal });
 */
export function lightRequest(parts: Parts): Request {
  const self = Object.create(proto) as Record<PropertyKey, unknown>;
  Object.defineProperties(self, {
    method: { value: parts.method, enumerable: true },
    url: { value: parts.url, enumerable: true },
    headers: { value: parts.headers, enumerable: true },
    signal: { value: parts.signal, enumerable: true },
    [BUILT]: { value: undefined, writable: true },
    [REAL]: {
      value: () => {
        let real = self[BUILT] as Request | undefined;
        if (!real) {
          const init: RequestInit & { duplex?: 'half' } = { method: parts.method, headers: parts.headers, signal: parts.signal };
          if (parts.bytes) init.body = parts.bytes;
          else if (parts.stream) {
            init.body = parts.stream;
            init.duplex = 'half';
          }
          real = new Request(parts.url, init);
          self[BUILT] = real;
        }
        return real;
      },
    },
  });
  return self as unknown as Request;
}
