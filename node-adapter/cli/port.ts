/** A TCP port option. */
import { usageError } from './errors.js';

/** `text` as a port (0–65535), or `fallback` when absent; anything else is a usage error naming `flag`. */
export function parsePort(text: string | undefined, fallback: number, flag = '--port'): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw usageError(`${flag}: not a TCP port: ${JSON.stringify(text)}`);
  return Number(text);
}
