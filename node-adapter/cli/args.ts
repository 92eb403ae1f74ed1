/** Strict argument parsing for every command, on top of `node:util` parseArgs. */
import { parseArgs } from 'node:util';
import { usageError } from './errors.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** May be given more than once (values collected in order). */
  readonly multiple?: boolean;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/** True when the user asked for help anywhere before a `--` terminator. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * Parses `argv` against `options`, accepting between `min` and `max` positionals. Unknown options,
 * missing option values, options given twice (unless `multiple`) and stray positionals are ERR_USAGE.
 *
 * @example
 * const { values, positionals } = parseCommandArgs(argv, { dir: { type: 'string' } }, 1, 1)
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
  min: number,
  max: number,
): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: options as never, strict: true, allowPositionals: true, tokens: true });
  } catch (err) {
    throw usageError(describeParseError(err));
  }
  // parseArgs keeps the last of repeated options; a silently dropped value is a bug waiting to happen
  const seen = new Set<string>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option') continue;
    if (seen.has(t.name) && !options[t.name]?.multiple) throw usageError(`option --${t.name} given more than once`);
    seen.add(t.name);
    if (options[t.name]?.type === 'string' && t.value === '') throw usageError(`option --${t.name} needs a non-empty value`);
  }
  const { positionals } = parsed;
  if (positionals.length < min) throw usageError(min === 1 ? 'missing argument' : `expected at least ${min} arguments`);
  if (positionals.length > max) throw usageError(`unexpected argument '${positionals[max]}'`);
  return { values: parsed.values as ParsedArgs['values'], positionals };
}

function describeParseError(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : '';
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${quoted}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // "Option '--dir <value>' argument missing" or "Option '-f' does not take an argument"
      return message.includes('missing') ? `option '${quoted.replace(/ <value>$/, '')}' needs a value` : `option '${quoted}' takes no value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted}'`;
    default:
      return 'invalid arguments';
  }
}

/** Reads a string option that must be present. */
export function requireString(values: ParsedArgs['values'], name: string): string {
  const v = values[name];
  if (typeof v !== 'string') throw usageError(`missing required option --${name}`);
  return v;
}

/** Reads an optional string option. */
export function optionalString(values: ParsedArgs['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Reads a repeatable string option (empty array when absent). */
export function stringList(values: ParsedArgs['values'], name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
