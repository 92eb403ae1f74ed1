/**
 * The timing loop every row uses: variants are measured in interleaved rounds (so slow drift of the
 * machine hits them all alike), after one discarded warm-up round; a round runs one variant in
 * batches until it has spent `minMs`. Ratios are taken per round and the median reported, since
 * two variants measured a few milliseconds apart share the machine's state.
 *
 * @example
 * const r = await compare({ floor: () => floorOp(), cold: () => coldOp() }, { rounds: 7, minMs: 250 });
 * r.opsPerSec.cold; ratio(r, 'cold', 'floor');
 */

export type Op = () => unknown;

export interface CompareOptions {
  /** Measured rounds (the median is reported). Default 7. */
  readonly rounds?: number;
  /** Time one variant runs in one round, in milliseconds. Default 250. */
  readonly minMs?: number;
  /** Unmeasured rounds first (JIT, caches, lazy module init). Default 1. */
  readonly warmupRounds?: number;
}

export interface Comparison<K extends string> {
  /** Median ops/s of each variant. */
  readonly opsPerSec: Readonly<Record<K, number>>;
  /** Every round's ops/s of each variant, in order. */
  readonly rounds: Readonly<Record<K, readonly number[]>>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * One round of one variant: ops/s over at least `minMs`. Batches grow until one takes ~10 ms, so
 * reading the clock costs nothing next to the work. Ops run one after another (one in flight),
 * awaited only when they return a promise.
 */
export async function sample(op: Op, minMs: number): Promise<number> {
  let batch = 1;
  let ops = 0;
  let elapsed = 0;
  while (elapsed < minMs) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) {
      const r = op();
      if (r instanceof Promise) await r;
    }
    const dt = performance.now() - t0;
    ops += batch;
    elapsed += dt;
    if (dt < 10) batch *= 2;
  }
  return (ops * 1000) / elapsed;
}

/** Measures every variant in interleaved rounds; see the module comment. */
export async function compare<K extends string>(variants: Readonly<Record<K, Op>>, options: CompareOptions = {}): Promise<Comparison<K>> {
  const rounds = options.rounds ?? 7;
  const minMs = options.minMs ?? 250;
  const warmup = options.warmupRounds ?? 1;
  const names = Object.keys(variants) as K[];
  const seen = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < warmup + rounds; r++) {
    for (const name of names) {
      const rate = await sample(variants[name], r < warmup ? Math.min(minMs, 100) : minMs);
      if (r >= warmup) seen[name].push(rate);
    }
  }
  const opsPerSec = Object.fromEntries(names.map((n) => [n, median(seen[n])])) as Record<K, number>;
  return { opsPerSec, rounds: seen };
}

/** Median over rounds of `a`'s rate divided by `b`'s (how many times faster `a` is). */
export function ratio<K extends string>(c: Comparison<K>, a: K, b: K): number {
  const ra = c.rounds[a];
  const rb = c.rounds[b];
  return median(ra.map((x, i) => x / rb[i]!));
}
