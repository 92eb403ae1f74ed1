/**
 * The one table `npm run bench` prints: every row with its measured value, its target next to it
 * and PASS/MISS. A MISS is printed like a PASS — the harness reports, it does not judge or exit 1.
 *
 * @example
 * const report = new Report();
 * report.rate('chain', 'crypto floor', 2800);
 * report.check('chain', 'cold / floor', 0.31, { min: 0.5, unit: '×' });
 * report.print();
 */

export type Status = 'PASS' | 'MISS' | 'NOT RUN';

export interface Row {
  readonly section: string;
  readonly label: string;
  readonly opsPerSec?: number;
  /** The measured result as printed (a ratio, a size). */
  readonly value?: string;
  readonly target?: string;
  readonly status?: Status;
  readonly note?: string;
}

export interface Target {
  /** Pass when value ≥ min. */
  readonly min?: number;
  /** Pass when value ≤ max. */
  readonly max?: number;
  /** Printed after the value and the bound: '×', ' KiB'. */
  readonly unit?: string;
  readonly digits?: number;
}

export function formatRate(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec)) return '-';
  if (opsPerSec >= 100) return Math.round(opsPerSec).toLocaleString('en-US');
  return opsPerSec.toFixed(1);
}

export function formatNumber(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

export class Report {
  readonly rows: Row[] = [];

  /** An absolute rate, printed for context (no target of its own). */
  rate(section: string, label: string, opsPerSec: number, note?: string): void {
    this.rows.push({ section, label, opsPerSec, ...(note ? { note } : {}) });
  }

  /** A measured value against its target. */
  check(section: string, label: string, value: number, target: Target, note?: string): Status {
    const unit = target.unit ?? '';
    const digits = target.digits ?? 2;
    const pass = Number.isFinite(value) && (target.min === undefined || value >= target.min) && (target.max === undefined || value <= target.max);
    const bounds = [target.min !== undefined ? `≥ ${target.min}${unit}` : '', target.max !== undefined ? `≤ ${target.max}${unit}` : ''].filter(Boolean).join(', ');
    const status: Status = pass ? 'PASS' : 'MISS';
    this.rows.push({ section, label, value: `${formatNumber(value, digits)}${unit}`, target: bounds, status, ...(note ? { note } : {}) });
    return status;
  }

  /** A row whose pass/fail was decided by the caller (e.g. "bounded"). */
  verdict(section: string, label: string, value: string, target: string, pass: boolean, note?: string): void {
    this.rows.push({ section, label, value, target, status: pass ? 'PASS' : 'MISS', ...(note ? { note } : {}) });
  }

  /** A value printed for information only. */
  info(section: string, label: string, value: string, note?: string): void {
    this.rows.push({ section, label, value, ...(note ? { note } : {}) });
  }

  /** A row that could not be measured (the code under test is missing or threw): never silently dropped. */
  notRun(section: string, label: string, target: string, reason: string): void {
    this.rows.push({ section, label, target, status: 'NOT RUN', note: reason });
  }

  print(log: (line: string) => void = console.log): void {
    const header = ['', 'ops/s', 'result', 'target', 'status'];
    const body = this.rows.map((r) => [
      `${r.section}: ${r.label}`,
      r.opsPerSec === undefined ? '' : formatRate(r.opsPerSec),
      r.value ?? '',
      r.target ?? '',
      r.status ?? '',
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]): string =>
      cells.map((c, i) => (i === 0 || i >= 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
    log(line(header));
    log(widths.map((w) => '─'.repeat(w)).join('  '));
    let section = '';
    body.forEach((cells, i) => {
      const row = this.rows[i]!;
      if (section && row.section !== section) log('');
      section = row.section;
      log(line(cells));
      if (row.note) log(`${' '.repeat(4)}↳ ${row.note}`);
    });
  }

  /** One-line summary per outcome, and the rows that missed or did not run. */
  summary(log: (line: string) => void = console.log): void {
    const count = (s: Status): number => this.rows.filter((r) => r.status === s).length;
    log(`summary: ${count('PASS')} PASS, ${count('MISS')} MISS, ${count('NOT RUN')} NOT RUN (of ${this.rows.filter((r) => r.status).length} targets)`);
    for (const r of this.rows) {
      if (r.status === 'MISS') log(`  MISS     ${r.section}: ${r.label} = ${r.value} (target ${r.target})`);
      if (r.status === 'NOT RUN') log(`  NOT RUN  ${r.section}: ${r.label} (target ${r.target}): ${r.note ?? ''}`);
    }
  }
}
