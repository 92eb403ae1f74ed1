/** File modes as PicoD shows and accepts them: Go's `os.FileMode.String()` and octal `"0644"`. */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { TrustError } from '../../shared/errors.js';

/**
 * Go's `FileMode.String()` for a `stat` result: type letters in Go's order (`d` directory,
 * `L` symlink, `D` device, `p` pipe, `S` socket, `u` setuid, `g` setgid, `c` char device,
 * `t` sticky), `-` when none, then `rwxrwxrwx`.
 *
 * @example
 * goFileMode(await lstat('dir')) // 'drwxr-xr-x'
 */
export function goFileMode(st: Pick<Stats, 'mode'>): string {
  const m = st.mode;
  const type = m & constants.S_IFMT;
  let s = '';
  if (type === constants.S_IFDIR) s += 'd';
  if (type === constants.S_IFLNK) s += 'L';
  if (type === constants.S_IFBLK || type === constants.S_IFCHR) s += 'D';
  if (type === constants.S_IFIFO) s += 'p';
  if (type === constants.S_IFSOCK) s += 'S';
  if (m & 0o4000) s += 'u';
  if (m & 0o2000) s += 'g';
  if (type === constants.S_IFCHR) s += 'c';
  if (m & 0o1000) s += 't';
  if (s === '') s = '-';
  const rwx = 'rwxrwxrwx';
  for (let i = 0; i < 9; i++) s += m & (1 << (8 - i)) ? rwx[i] : '-';
  return s;
}

/**
 * An upload's `mode`: octal digits (`"0644"`, `"755"`), at most 0777; absent or empty → 0644
 * (PicoD's default). PicoD silently falls back to 0644 on a bad mode; the daemon refuses it
 * with `ERR_REQUEST_INVALID`, so a client never gets permissions it did not ask for.
 *
 * @example
 * parseFileMode('0600') // 0o600
 */
export function parseFileMode(text: unknown): number {
  if (text === undefined || text === null || text === '') return 0o644;
  // Go's strconv.ParseUint(mode, 8, 32) (PicoD's parseFileMode): octal digits, any number of
  // leading zeros ("00644"); the value must be at most 0777
  if (typeof text !== 'string' || !/^0*[0-7]{1,3}$/.test(text)) {
    throw new TrustError('ERR_REQUEST_INVALID', `daemon: mode must be octal digits up to 0777, e.g. "0644" (got ${JSON.stringify(text)})`);
  }
  return parseInt(text, 8);
}
