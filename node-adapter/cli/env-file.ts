/**
 * `--env-file`: variables in the dotenv format that `wrangler dev` reads from `.dev.vars` (and
 * `npm start` writes), so one file configures both the Worker and `cardtrust serve`.
 * `NAME=value` per line; `#` comments and blank lines; an optional `export `; values unquoted
 * (trimmed, ` #` starts a comment), single-quoted (literal) or double-quoted (`\n`, `\r`, `\t`,
 * `\"`, `\\` escapes, and may span lines). Anything else is an error naming the line.
 */
import { CliError, EXIT_USAGE } from './errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses dotenv text; `file` names it in errors.
 *
 * @example
 * parseEnvFile("TRUST_BUNDLES='{}'\nDEFAULT_MODE=audit # comment\n", '.dev.vars')
 * // { TRUST_BUNDLES: '{}', DEFAULT_MODE: 'audit' }
 */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const bad = (n: number, why: string): never => {
    throw new CliError('ERR_CONFIG_INVALID', `${file}:${n}: ${why}`, EXIT_USAGE);
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    if (eq <= 0) bad(lineNo, 'expected NAME=value');
    const name = body.slice(0, eq).trim();
    if (!NAME.test(name)) bad(lineNo, `${JSON.stringify(name)} is not a variable name`);
    let rest = body.slice(eq + 1).trimStart();
    let value: string;
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) bad(lineNo, 'unterminated single quote');
      value = rest.slice(1, end);
      if (!/^\s*(#.*)?$/.test(rest.slice(end + 1))) bad(lineNo, 'text after the closing quote');
    } else if (rest.startsWith('"')) {
      let raw = '';
      let j = 1;
      let closed = false;
      for (;;) {
        while (j < rest.length) {
          const c = rest[j]!;
          if (c === '\\' && j + 1 < rest.length) {
            const e = rest[j + 1]!;
            raw += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === '"' || e === '\\' ? e : `\\${e}`;
            j += 2;
            continue;
          }
          if (c === '"') {
            closed = true;
            break;
          }
          raw += c;
          j++;
        }
        if (closed) break;
        // a double-quoted value may continue on the next line
        if (i + 1 >= lines.length) bad(lineNo, 'unterminated double quote');
        raw += '\n';
        rest = lines[++i]!;
        j = 0;
      }
      if (!/^\s*(#.*)?$/.test(rest.slice(j + 1))) bad(lineNo, 'text after the closing quote');
      value = raw;
    } else {
      const hash = rest.search(/\s#/);
      value = (hash < 0 ? rest : rest.slice(0, hash)).trim();
    }
    out[name] = value;
  }
  return out;
}
