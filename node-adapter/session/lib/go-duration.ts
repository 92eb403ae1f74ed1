const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Milliseconds of a Go-style duration (`500ms`, `30s`, `1m30s`, `2h`), as PicoD's `timeout`
 * field takes; undefined for anything else (a bare number like `10` has no unit in Go).
 *
 * @example
 * goDurationMs('1m30s') // 90_000
 */
export function goDurationMs(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, , unit] of text.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(n) * UNITS[unit!]!;
  return ms;
}
