/** Small formatting helpers shared by the commands' readable output. */
import { isAbsolute, relative } from 'node:path';

/**
 * ISO 8601 UTC time without milliseconds (certificate times have whole seconds).
 *
 * @example
 * isoTime(cert.notAfter) // '2026-11-24T12:00:00Z'
 */
export function isoTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A path as the user should see it: relative to the working directory when inside it, else absolute.
 *
 * @example
 * displayPath('/work', '/work/.cardtrust/bundle.pem') // '.cardtrust/bundle.pem'
 */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
