// The reasons for skipped tests are repeated at the end of the run (test/support/skip-summary-reporter.ts).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatSkipSummary } from '../support/skip-summary-reporter.js';
import { runProcess } from '../support/cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('formatSkipSummary', () => {
  it('is empty when nothing was skipped for a reason', () => {
    expect(formatSkipSummary([], [])).toBe('');
    expect(formatSkipSummary([], [{ file: 'a.test.ts' }])).toBe(''); // e.g. filtered out with -t
  });

  it('lists each reason once, the notes, and the files with their counts', () => {
    const r = { what: 'the widget tests', reason: 'widget-server not found', fix: 'apt-get install -y widget-server' };
    const text = formatSkipSummary([r, r], [{ file: 'b.test.ts' }, { file: 'a.test.ts', note: 'needs a GPU' }, { file: 'b.test.ts' }]);
    expect(text.split('\n')).toEqual([
      '',
      'Skipped tests: 3 (the reasons, repeated from the start of the run)',
      '  - the widget tests: widget-server not found. To run them: apt-get install -y widget-server',
      '  - needs a GPU',
      '    a.test.ts: 1 skipped',
      '    b.test.ts: 2 skipped',
      '',
    ]);
  });
});

it('a run prints the reasons after its own summary, as the last thing', async () => {
  const run = await runProcess(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/fixtures/skip-summary/vitest.config.mts'], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', CI: 'true' },
  });
  expect(run.code, run.stderr).toBe(0);
  const tail = run.stdout.slice(run.stdout.lastIndexOf('Skipped tests:'));
  expect(run.stdout.lastIndexOf('Tests ')).toBeLessThan(run.stdout.lastIndexOf('Skipped tests:'));
  expect(tail).toContain('Skipped tests: 3');
  expect(tail).toContain('the widget tests: widget-server not found. To run them: apt-get install -y widget-server');
  expect(tail).toContain('needs a GPU');
  expect(tail).toMatch(/skipping\.fixture\.ts: 3 skipped\n$/);
}, 60_000);
