/**
 * Bounded least-recently-used cache. Every instance registers itself so that
 * {@link clearCaches} (benchmarks, a crypto provider change) can empty them all.
 */
const registry = new Set<{ clear(): void }>();

export class LruCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('cache size must be a positive integer');
    this.#max = max;
    registry.add(this);
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      // refresh recency: Map iteration order is insertion order
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    if (this.#map.has(key)) this.#map.delete(key);
    else if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
    this.#map.set(key, value);
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}

/** Empties every cache the core holds (parsed certificates, imported keys, verified signatures). */
export function clearCaches(): void {
  for (const cache of registry) cache.clear();
}
