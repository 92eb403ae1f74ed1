/** The `--at <time>` option: a verification time. */
import { usageError } from './errors.js';

/** `text` as a Date (undefined when absent): ISO 8601 with an explicit zone, or a date alone. */
export function parseTime(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  // ISO 8601 with an explicit zone only: a bare local time would mean different things on different machines
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)) {
    throw usageError(`--at: expected an ISO 8601 time such as 2030-01-01T00:00:00Z, got '${text}'`);
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw usageError(`--at: invalid time '${text}'`);
  return d;
}
