/**
 * Why tests were skipped, said twice: in a banner when the reason is found (the start of the run,
 * scrolled away by the end), and again at the end of the run by the skip-summary reporter, where
 * people look. The reporter names a file in `CARDTRUST_SKIP_REASONS` before any test process
 * starts; each reason is appended to it as one JSON line. Node only.
 *
 * @example
 * if (!hasRedisServer()) noteSkip('TCP Redis stores', 'redis-server not found', 'apt-get install -y redis-server');
 */
import { appendFileSync } from 'node:fs';

export const SKIP_REASONS_ENV = 'CARDTRUST_SKIP_REASONS';

export interface SkipReason {
  /** What is skipped (a suite, a group of files). */
  readonly what: string;
  readonly reason: string;
  /** How to make it run. */
  readonly fix?: string;
}

export function noteSkip(what: string, reason: string, fix?: string): void {
  const line = '!'.repeat(78);
  console.warn(`\n${line}\n!! SKIPPING ${what}: ${reason}.\n${fix ? `!! To run them: ${fix}\n` : ''}${line}\n`);
  const file = process.env[SKIP_REASONS_ENV];
  if (file) appendFileSync(file, JSON.stringify({ what, reason, ...(fix ? { fix } : {}) }) + '\n');
}
