/** File access for the CLI: bounded reads that fail as ERR_FILE_UNREADABLE, atomic writes with modes. */
import { mkdir, open, readFile, rename, stat, unlink, chmod } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, EXIT_FAILED, EXIT_USAGE } from './errors.js';

// No input the CLI reads (cards, PEM chains, bundles) comes near this; it stops a mistaken path to a
// huge file from being read into memory.
const MAX_INPUT_BYTES = 8 * 1024 * 1024;

/** Mode for private keys: owner read/write only. */
export const KEY_FILE_MODE = 0o600;
/** Mode for certificates, bundles and cards. */
export const PUBLIC_FILE_MODE = 0o644;

/**
 * Reads a UTF-8 text file named on the command line. The error (exit 2, ERR_FILE_UNREADABLE) when
 * it is missing, a directory, too large or not UTF-8 names it as `what` and `shown` (the path as
 * the user typed it; default `path`).
 *
 * @example
 * const pem = await readTextFile(resolve(cwd, 'svid.pem'), '--cert', 'svid.pem')
 */
export async function readTextFile(path: string, what: string, shown: string = path): Promise<string> {
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_INPUT_BYTES) return fail(`${what} ${shown}: larger than ${MAX_INPUT_BYTES} bytes`);
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof CliError) throw err;
    return fail(`${what} ${shown}: ${reason(err)}`, err);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    return fail(`${what} ${shown}: not UTF-8 text`, err);
  }
}

/** True when `path` exists (any kind of file). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `data` to `path` atomically (temporary file in the same folder, then rename) with `mode`,
 * creating parent folders (0700). Readers that watch the file (certificate rotation) see the old or
 * the new content, never a torn write. Failures are ERR_FILE_UNWRITABLE (exit 1) naming `shown`.
 *
 * @example
 * await writeFileAtomic('out/svid_key.pem', pem, KEY_FILE_MODE)
 */
export async function writeFileAtomic(path: string, data: string, mode: number, shown: string = path): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    // created with the final mode so a key is never readable by others, not even for a moment
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(tmp, mode); // the umask may have narrowed a public file's mode
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new CliError('ERR_FILE_UNWRITABLE', `cannot write ${shown}: ${reason(err)}`, EXIT_FAILED, { cause: err });
  }
}

function reason(err: unknown): string {
  switch ((err as { code?: string }).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a parent is not a directory';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EROFS':
      return 'read-only file system';
    default:
      return err instanceof Error && err.message === 'not a regular file' ? 'not a regular file' : 'I/O error';
  }
}

function fail(message: string, cause?: unknown): never {
  throw new CliError('ERR_FILE_UNREADABLE', message, EXIT_USAGE, { cause });
}
