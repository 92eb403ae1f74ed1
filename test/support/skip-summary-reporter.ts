/**
 * A vitest reporter that repeats, at the very end of the run, why tests were skipped (the reasons
 * noted with `noteSkip`, and any `ctx.skip(note)`), and how many tests each file skipped. The
 * banners printed when a reason is found scroll away long before a 7-minute run ends.
 * Listed after 'default' in vitest.config.mts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { SKIP_REASONS_ENV, type SkipReason } from './skip-reasons.js';

export interface Skipped {
  readonly file: string;
  readonly note?: string;
}

/** The end-of-run text: '' when nothing was skipped for a reason worth repeating. */
export function formatSkipSummary(reasons: readonly SkipReason[], skipped: readonly Skipped[]): string {
  const notes = [...new Set(skipped.flatMap((s) => (s.note ? [s.note] : [])))];
  const unique = [...new Map(reasons.map((r) => [`${r.what}\0${r.reason}`, r])).values()];
  if (unique.length === 0 && notes.length === 0) return '';
  const byFile = new Map<string, number>();
  for (const s of skipped) byFile.set(s.file, (byFile.get(s.file) ?? 0) + 1);
  const lines = ['', `Skipped tests: ${skipped.length} (the reasons, repeated from the start of the run)`];
  for (const r of unique) lines.push(`  - ${r.what}: ${r.reason}${r.fix ? `. To run them: ${r.fix}` : ''}`);
  for (const n of notes) lines.push(`  - ${n}`);
  for (const [file, n] of [...byFile].sort()) lines.push(`    ${file}: ${n} skipped`);
  return lines.join('\n') + '\n';
}

export default class SkipSummaryReporter implements Reporter {
  #dir: string | undefined;
  #file: string | undefined;
  #root = process.cwd();

  onInit(vitest: { config: { root: string } }): void {
    this.#root = vitest.config.root;
    // before any test process starts, so that they (and globalSetup) inherit it
    this.#dir = mkdtempSync(join(tmpdir(), 'cardtrust-skips-'));
    this.#file = join(this.#dir, 'reasons.jsonl');
    process.env[SKIP_REASONS_ENV] = this.#file;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let reasons: SkipReason[] = [];
    try {
      reasons = readFileSync(this.#file!, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as SkipReason);
    } catch {
      // no reason noted
    }
    const skipped: Skipped[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const r = t.result();
        if (r.state !== 'skipped') continue;
        skipped.push({ file: relative(this.#root, m.moduleId), ...(r.note ? { note: r.note } : {}) });
      }
    }
    const text = formatSkipSummary(reasons, skipped);
    if (text) process.stdout.write(text);
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}
