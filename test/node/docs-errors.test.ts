/**
 * docs/errors.md stays true: its tables document exactly the codes of ERROR_CODES, each once, with
 * the HTTP status the service really answers (`statusFor`). A new code without a row, a row for a
 * code that does not exist, or a status changed on one side only fails here.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, isErrorCode } from '../../shared/errors.js';
import { statusFor } from '../../workers/http/status.js';
import { ERROR_MEANINGS } from '../../shared/error-meanings.js';

const DOC = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));

interface Row {
  readonly code: string;
  readonly status: string;
  readonly meaning: string;
  readonly line: number;
}

/** Cells of a Markdown table row; `\|` is a literal bar inside a cell. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replaceAll('\\|', '|'));
}

/**
 * Every row of every table whose header starts with `code` and has an `HTTP status` column. A row
 * whose first cell is not a single backticked code is an error, so a malformed row cannot hide a code.
 */
function documentedRows(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const rows: Row[] = [];
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i]!;
    if (!header.startsWith('|')) continue;
    const names = cells(header).map((c) => c.toLowerCase());
    if (names[0] !== 'code') continue;
    const statusAt = names.indexOf('http status');
    if (statusAt < 0) throw new Error(`docs/errors.md:${i + 1}: a code table without an "HTTP status" column`);
    const meaningAt = names.indexOf('meaning');
    if (meaningAt < 0) throw new Error(`docs/errors.md:${i + 1}: a code table without a "meaning" column`);
    if (!/^\|[\s|:-]+\|$/.test(lines[i + 1]?.trim() ?? '')) throw new Error(`docs/errors.md:${i + 2}: expected the table's separator row`);
    for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
      const row = cells(lines[i]!);
      if (row.length !== names.length) throw new Error(`docs/errors.md:${i + 1}: ${row.length} cells, the header has ${names.length}`);
      const code = /^`(ERR_[A-Z0-9_]+)`$/.exec(row[0]!)?.[1];
      if (!code) throw new Error(`docs/errors.md:${i + 1}: the first cell must be one backticked code, got ${JSON.stringify(row[0])}`);
      rows.push({ code, status: row[statusAt]!, meaning: row[meaningAt]!, line: i + 1 });
    }
  }
  return rows;
}

describe('docs/errors.md', () => {
  let markdown: string;
  let rows: Row[];
  beforeAll(async () => {
    markdown = await readFile(DOC, 'utf8');
    rows = documentedRows(markdown);
  });

  it('documents exactly the codes of ERROR_CODES', () => {
    const documented = rows.map((r) => r.code);
    const known = new Set<string>(ERROR_CODES);
    expect({
      notInErrorCodes: documented.filter((c) => !known.has(c)),
      notDocumented: ERROR_CODES.filter((c) => !documented.includes(c)),
    }).toEqual({ notInErrorCodes: [], notDocumented: [] });
  });

  it('documents each code once', () => {
    const seen = new Map<string, number>();
    const twice: string[] = [];
    for (const r of rows) {
      if (seen.has(r.code)) twice.push(`${r.code} (lines ${seen.get(r.code)} and ${r.line})`);
      seen.set(r.code, r.line);
    }
    expect(twice).toEqual([]);
  });

  it('gives each code the HTTP status that statusFor answers', () => {
    const wrong = rows
      .filter((r) => isErrorCode(r.code))
      .filter((r) => !/^\d{3}$/.test(r.status) || Number(r.status) !== statusFor(r.code as (typeof ERROR_CODES)[number]))
      .map((r) => `${r.code}: documented ${JSON.stringify(r.status)}, statusFor gives ${statusFor(r.code as (typeof ERROR_CODES)[number])} (line ${r.line})`);
    expect(wrong).toEqual([]);
  });

  it('gives each code the meaning that ERROR_MEANINGS (shared/error-meanings.ts) holds', () => {
    const wrong = rows
      .filter((r) => isErrorCode(r.code) && ERROR_MEANINGS[r.code] !== r.meaning)
      .map((r) => ({ code: r.code, line: r.line, documented: r.meaning, table: ERROR_MEANINGS[r.code as (typeof ERROR_CODES)[number]] }));
    expect(wrong).toEqual([]);
    expect(Object.keys(ERROR_MEANINGS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('mentions no code outside ERROR_CODES anywhere in the text', () => {
    const mentioned = new Set(markdown.match(/\bERR_[A-Z0-9_]*[A-Z0-9]\b/g) ?? []);
    // `ERR_CODE` is the placeholder in the CLI line format, not a code
    const unknown = [...mentioned].filter((c) => !isErrorCode(c) && c !== 'ERR_CODE');
    expect(unknown).toEqual([]);
  });
});
