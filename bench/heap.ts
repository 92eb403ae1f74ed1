/**
 * Issue 2's memory row: verify many distinct chains (distinct leaves under the fixture's
 * intermediate) and report heap growth after a full GC plus the size of every core cache, at the
 * half-way mark and at the end. Bounded caches plateau; an unbounded one keeps growing.
 */
import { LruCache, clearCaches } from '../shared/lib/cache.js';
import { verifyX509Svid } from '../shared/svid/verify-x509-svid.js';
import { leafMinter, type ChainFixture } from './lib/fixtures.js';
import type { Report } from './lib/report.js';

const SECTION = 'memory';
const MiB = 1024 * 1024;

export interface HeapOptions {
  /** Distinct chains wanted. Default 100,000. */
  readonly chains?: number;
  /** Budget for minting leaves and for verifying them, in ms each (the count shrinks to fit). */
  readonly mintBudgetMs?: number;
  readonly verifyBudgetMs?: number;
}

/**
 * Every LruCache that stores something from now on, labelled by the module that owns it. The core
 * keeps its caches private; wrapping `set` finds them without widening the public API.
 */
function trackCaches(): { sizes(): Map<string, number>; stop(): void } {
  const seen = new Map<LruCache<unknown, unknown>, string>();
  const proto = LruCache.prototype as unknown as { set(this: LruCache<unknown, unknown>, k: unknown, v: unknown): void };
  const original = proto.set;
  proto.set = function (k, v) {
    if (!seen.has(this)) seen.set(this, owner(new Error().stack ?? ''));
    original.call(this, k, v);
  };
  return {
    sizes: () => {
      const out = new Map<string, number>();
      for (const [cache, label] of seen) out.set(label, (out.get(label) ?? 0) + cache.size);
      return out;
    },
    stop: () => {
      proto.set = original;
    },
  };
}

/** `shared/x509/parse.ts`-style label of the first stack frame outside the cache and this file. */
function owner(stack: string): string {
  for (const line of stack.split('\n').slice(1)) {
    if (/lib[\\/]cache\.|bench[\\/]heap\./.test(line)) continue;
    const m = /((?:shared|workers|node-adapter)[\\/][^:)]+)/.exec(line);
    if (m) return m[1]!.replace(/\\/g, '/');
  }
  return 'unknown';
}

function gcHeap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('bench: global.gc is not exposed');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export async function heapRows(f: ChainFixture, report: Report, options: HeapOptions = {}): Promise<void> {
  const wanted = options.chains ?? 100_000;
  const mintBudget = options.mintBudgetMs ?? 15_000;
  const verifyBudget = options.verifyBudgetMs ?? 40_000;

  const mint = leafMinter(f);
  const leaves: Uint8Array[] = [];
  const mintStart = performance.now();
  while (leaves.length < wanted && performance.now() - mintStart < mintBudget) {
    for (let k = 0; k < 1000 && leaves.length < wanted; k++) leaves.push(mint(leaves.length + 1));
  }
  const mintMs = performance.now() - mintStart;
  const intermediate = f.presented[1]!;

  const tracker = trackCaches();
  try {
    clearCaches();
    const base = gcHeap();
    const start = performance.now();
    // the first 1000 chains set the pace; the count shrinks to fit the budget instead of overrunning
    const probe = Math.min(1000, leaves.length);
    for (let i = 0; i < probe; i++) await verifyX509Svid([leaves[i]!, intermediate], f.bundle);
    const perChain = (performance.now() - start) / probe;
    const n = Math.max(probe, Math.min(leaves.length, Math.floor(verifyBudget / perChain / 1000) * 1000));
    let mid = { heap: Number.NaN, sizes: new Map<string, number>(), n: 0 };
    for (let i = probe; i < n; i++) {
      if (i === n >> 1) mid = { heap: gcHeap(), sizes: tracker.sizes(), n: i };
      await verifyX509Svid([leaves[i]!, intermediate], f.bundle);
    }
    const verifyMs = performance.now() - start;
    const end = gcHeap();
    const sizes = tracker.sizes();

    const total = (end - base) / MiB;
    const second = Number.isNaN(mid.heap) ? Number.NaN : (end - mid.heap) / MiB;
    const first = (mid.heap - base) / MiB;
    const plateaued = [...sizes].every(([label, size]) => (mid.sizes.get(label) ?? 0) === size);
    const bounded = plateaued && second <= Math.max(2, 0.25 * first);
    const sizeText = [...sizes].sort().map(([label, size]) => `${label}=${size.toLocaleString('en-US')}`).join(', ');

    report.info(
      SECTION,
      'distinct chains verified',
      n.toLocaleString('en-US'),
      `${n < wanted ? `fewer than ${wanted.toLocaleString('en-US')} to stay in the time budget; ` : ''}minted at ${Math.round((leaves.length * 1000) / mintMs).toLocaleString('en-US')}/s (untimed), verified at ${Math.round((n * 1000) / verifyMs).toLocaleString('en-US')}/s`,
    );
    report.verdict(
      SECTION,
      `heap growth after ${n.toLocaleString('en-US')} distinct chains (after GC)`,
      `+${total.toFixed(1)} MiB`,
      'bounded',
      bounded,
      `first half +${first.toFixed(1)} MiB, second half ${second >= 0 ? '+' : ''}${second.toFixed(1)} MiB; cache sizes at ${mid.n.toLocaleString('en-US')} → end ${plateaued ? 'unchanged' : 'STILL GROWING'}: ${sizeText}`,
    );
  } finally {
    tracker.stop();
    clearCaches();
  }
}
