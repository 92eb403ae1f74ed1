/**
 * The lazy stand-ins for platform objects (the bridge's `Request`, the JSON `Response`) answer a few
 * members themselves and hand every other one to the real object they build on first need.
 */

/**
 * Defines on `proto` every method and getter of `platform` and its parent prototypes (up to
 * `Object.prototype`) that `proto` does not define itself, each calling the same member of
 * `real(this)`. Up the whole chain: workerd keeps `Response`'s body members on a parent prototype
 * (`Body`), and a platform method called on a stand-in is refused there. Then chains `proto` to
 * `platform`, so stand-ins are `instanceof` the platform class.
 *
 * @example
 * delegateMembers(LightRequest.prototype, Request.prototype, (self) => (self as LightRequest).real());
 */
export function delegateMembers(proto: object, platform: object, real: (self: object) => object): void {
  for (let from: object | null = platform; from !== null && from !== Object.prototype; from = Object.getPrototypeOf(from) as object | null) {
    for (const key of Object.getOwnPropertyNames(from)) {
      if (key === 'constructor' || Object.hasOwn(proto, key)) continue;
      const desc = Object.getOwnPropertyDescriptor(from, key)!;
      if (typeof desc.value === 'function') {
        Object.defineProperty(proto, key, {
          value(this: object, ...args: unknown[]) {
            const target = real(this) as Record<string, (...a: unknown[]) => unknown>;
            return target[key]!(...args);
          },
          writable: true,
          configurable: true,
        });
      } else if (desc.get) {
        Object.defineProperty(proto, key, {
          get(this: object) {
            return (real(this) as Record<string, unknown>)[key];
          },
          configurable: true,
        });
      }
    }
  }
  Object.setPrototypeOf(proto, platform);
}
