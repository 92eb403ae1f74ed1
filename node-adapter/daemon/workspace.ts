/**
 * The workspace jail of the daemon's file API. Every path is relative to the workspace root;
 * absolute paths, `..` components and NUL bytes are refused outright, and no component may be a
 * symbolic link — not the file itself, not any directory on the way, including the parents of a
 * file that does not exist yet (PicoD resolves only existing targets, so an upload through a
 * symlinked parent escapes it). All refusals are `ERR_PATH_OUTSIDE_WORKSPACE`.
 *
 * How it is guaranteed (Linux): the root directory is opened once; every lookup walks from that
 * descriptor one component at a time through `/proc/self/fd/<dirfd>/<name>` with `O_NOFOLLOW`
 * (and `O_DIRECTORY` for directories), which the kernel resolves relative to the already-open
 * directory, as `openat(2)` does. A directory swapped for a symlink between two requests, or during
 * one, is therefore never followed: the race the brief calls a symlink race cannot reach outside.
 * Where `/proc/self/fd` is missing (not Linux), the walk uses paths with `lstat` on every
 * component and checks after `open` that the descriptor is the file at the verified path (same
 * device and inode), before a byte is read or written; a racing swap there can at worst make the
 * daemon create an empty file outside, never read or change an existing one.
 *
 * Not a sandbox: commands from `/api/execute` run as the daemon's user and can touch anything that
 * user can, hard links included. The jail makes the file API mean what it says; the OS (a
 * container, a separate user) is the boundary for the commands.
 */
import { constants, type Stats } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, open, readdir, realpath, rename, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TrustError } from '../../shared/errors.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = constants;
const MAX_PATH = 4096;

function outside(path: string, why: string): TrustError {
  return new TrustError('ERR_PATH_OUTSIDE_WORKSPACE', `daemon: path ${JSON.stringify(path)} ${why}`);
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * The components of a workspace-relative path; `""` and `"."` are the root. Refuses absolute
 * paths, `..`, NUL and over-long names.
 *
 * @example
 * pathParts('src/./main.py') // ['src', 'main.py']
 */
export function pathParts(path: string): string[] {
  if (typeof path !== 'string') throw new TrustError('ERR_REQUEST_INVALID', 'daemon: path must be a string');
  if (path.length > MAX_PATH) throw new TrustError('ERR_REQUEST_INVALID', `daemon: path is longer than ${MAX_PATH} characters`);
  if (path.includes('\0')) throw outside(path.replaceAll('\0', '\\0'), 'contains a NUL byte');
  if (path.startsWith('/')) throw outside(path, 'is absolute; paths are relative to the workspace');
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw outside(path, 'contains ".."');
  for (const p of parts) if (new TextEncoder().encode(p).byteLength > 255) throw new TrustError('ERR_REQUEST_INVALID', 'daemon: a path component is longer than 255 bytes');
  return parts;
}

/** An open directory inside the workspace, verified component by component. */
interface Dir {
  /** For opening names inside it: `/proc/self/fd/N` (Linux) or the verified path. */
  base: string;
  /** The verified path (for messages, `cwd` of commands and the fallback). */
  path: string;
  handle?: FileHandle;
}

export interface OpenedFile {
  handle: FileHandle;
  stat: Stats;
  /** The workspace-relative path, normalized (`a/b.txt`). */
  relative: string;
}

export class Workspace {
  readonly root: string;
  readonly #rootHandle: FileHandle | undefined;

  private constructor(root: string, rootHandle: FileHandle | undefined) {
    this.root = root;
    this.#rootHandle = rootHandle;
  }

  /** Whether lookups go through the root descriptor (`/proc/self/fd`), see the module comment. */
  get fdRelative(): boolean {
    return this.#rootHandle !== undefined;
  }

  /**
   * Creates the directory if missing (mode 0755) and opens it.
   *
   * @example
   * const ws = await Workspace.open('/srv/workspace');
   */
  static async open(dir: string, opts: { forcePathMode?: boolean } = {}): Promise<Workspace> {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const root = await realpath(dir);
    let handle: FileHandle | undefined;
    if (!opts.forcePathMode) {
      try {
        handle = await open(root, O_RDONLY | O_DIRECTORY);
        const via = await realpath(`/proc/self/fd/${handle.fd}`);
        if (via !== root) throw new Error('proc fd mismatch');
      } catch {
        await handle?.close().catch(() => {});
        handle = undefined;
      }
    }
    return new Workspace(root, handle);
  }

  async close(): Promise<void> {
    await this.#rootHandle?.close().catch(() => {});
  }

  #rootDir(): Dir {
    return this.#rootHandle ? { base: `/proc/self/fd/${this.#rootHandle.fd}`, path: this.root } : { base: this.root, path: this.root };
  }

  /** Opens `name` inside `dir` as a directory, creating it when asked; never follows a symlink. */
  async #child(dir: Dir, name: string, shown: string, create: boolean): Promise<Dir> {
    const at = join(dir.base, name);
    const path = join(dir.path, name);
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.#rootHandle) {
          const handle = await open(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
          return { base: `/proc/self/fd/${handle.fd}`, path, handle };
        }
        const st = await lstat(at);
        if (st.isSymbolicLink()) throw outside(shown, 'goes through a symbolic link');
        if (!st.isDirectory()) throw new TrustError('ERR_REQUEST_INVALID', `daemon: ${JSON.stringify(shown)}: a component is not a directory`);
        return { base: at, path };
      } catch (err) {
        if (err instanceof TrustError) throw err;
        const c = code(err);
        if (c === 'ENOENT' && create && attempt === 0) {
          await mkdir(at, { mode: 0o755 }).catch((e: unknown) => {
            if (code(e) !== 'EEXIST') throw fsError(e, shown, 'write');
          });
          continue;
        }
        if (c === 'ENOENT') throw new TrustError('ERR_FILE_NOT_FOUND', `daemon: ${JSON.stringify(shown)} not found`);
        if (c === 'ELOOP' || c === 'ENOTDIR') {
          const st = await lstat(at).catch(() => undefined);
          if (!st || st.isSymbolicLink()) throw outside(shown, 'goes through a symbolic link');
          throw new TrustError('ERR_REQUEST_INVALID', `daemon: ${JSON.stringify(shown)}: a component is not a directory`);
        }
        throw fsError(err, shown, create ? 'write' : 'read');
      }
    }
  }

  /** Walks `parts` as directories from the root; closes intermediate descriptors. */
  async #walk(parts: readonly string[], shown: string, create: boolean): Promise<Dir> {
    let dir = this.#rootDir();
    for (const name of parts) {
      const next = await this.#child(dir, name, shown, create).finally(() => dir.handle?.close().catch(() => {}));
      dir = next;
    }
    return dir;
  }

  /** Checks (path mode only) that `handle` is the file at `path` and no component became a link. */
  async #verify(handle: FileHandle, parts: readonly string[], shown: string): Promise<Stats> {
    const st = await handle.stat();
    if (this.#rootHandle) return st;
    let path = this.root;
    let last: Stats | undefined;
    for (const p of parts) {
      path = join(path, p);
      last = await lstat(path).catch(() => undefined);
      if (!last || last.isSymbolicLink()) throw outside(shown, 'changed while it was opened');
    }
    if (!last || last.dev !== st.dev || last.ino !== st.ino) throw outside(shown, 'changed while it was opened');
    return st;
  }

  /** A directory for `working_dir` or a listing: its verified path. */
  async directory(path: string): Promise<{ path: string; relative: string }> {
    const parts = pathParts(path);
    const dir = await this.#walk(parts, path, false);
    await dir.handle?.close().catch(() => {});
    return { path: dir.path, relative: parts.join('/') || '.' };
  }

  /** Opens a regular file for reading. */
  async openRead(path: string): Promise<OpenedFile> {
    const parts = pathParts(path);
    if (parts.length === 0) throw new TrustError('ERR_REQUEST_INVALID', 'daemon: the path names the workspace itself, not a file');
    const dir = await this.#walk(parts.slice(0, -1), path, false);
    let handle: FileHandle;
    try {
      handle = await open(join(dir.base, parts.at(-1)!), O_RDONLY | O_NOFOLLOW);
    } catch (err) {
      throw await this.#openError(err, dir, parts.at(-1)!, path, 'read');
    } finally {
      await dir.handle?.close().catch(() => {});
    }
    try {
      const stat = await this.#verify(handle, parts, path);
      if (stat.isDirectory()) throw new TrustError('ERR_REQUEST_INVALID', `daemon: ${JSON.stringify(path)} is a directory, not a file`);
      if (!stat.isFile()) throw new TrustError('ERR_REQUEST_INVALID', `daemon: ${JSON.stringify(path)} is not a regular file`);
      return { handle, stat, relative: parts.join('/') };
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Writes `data` to a file, creating missing parent directories: the bytes go to a new temporary
   * file in the verified directory, which is then renamed over the target, so a concurrent reader
   * sees the old file or the new one, never a half-written one. `mode` is set exactly (no umask).
   */
  async writeFile(path: string, data: Uint8Array, mode: number): Promise<{ stat: Stats; relative: string }> {
    const parts = pathParts(path);
    if (parts.length === 0) throw new TrustError('ERR_REQUEST_INVALID', 'daemon: the path names the workspace itself, not a file');
    const parents = parts.slice(0, -1);
    const name = parts.at(-1)!;
    const dir = await this.#walk(parents, path, true);
    const tmp = `.cardtrust-upload-${randomUUID()}`;
    let handle: FileHandle | undefined;
    let placed = false;
    try {
      const existing = await lstat(join(dir.base, name)).catch(() => undefined);
      if (existing?.isSymbolicLink()) throw outside(path, 'is a symbolic link');
      if (existing?.isDirectory()) throw new TrustError('ERR_REQUEST_INVALID', `daemon: ${JSON.stringify(path)} is a directory, not a file`);
      try {
        handle = await open(join(dir.base, tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      } catch (err) {
        throw await this.#openError(err, dir, tmp, path, 'write');
      }
      await this.#verify(handle, [...parents, tmp], path);
      await handle.write(data, 0, data.byteLength, 0);
      await handle.chmod(mode);
      await handle.sync().catch(() => {});
      const stat = await handle.stat();
      await rename(join(dir.base, tmp), join(dir.base, name));
      placed = true;
      return { stat, relative: parts.join('/') };
    } catch (err) {
      if (err instanceof TrustError) throw err;
      throw fsError(err, path, 'write');
    } finally {
      await handle?.close().catch(() => {});
      if (handle && !placed) await unlink(join(dir.base, tmp)).catch(() => {});
      await dir.handle?.close().catch(() => {});
    }
  }

  /** The entries of a directory, each `lstat`ed inside the verified directory. */
  async list(path: string): Promise<{ name: string; stat: Stats }[]> {
    const parts = pathParts(path);
    const dir = await this.#walk(parts, path, false);
    try {
      const names = await readdir(dir.base).catch((err: unknown) => {
        throw fsError(err, path, 'read');
      });
      const out: { name: string; stat: Stats }[] = [];
      // os.ReadDir's order (PicoD's list): by the bytes of the name, not by UTF-16 code units
      for (const name of names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
        const stat = await lstat(join(dir.base, name)).catch(() => undefined);
        if (stat) out.push({ name, stat });
      }
      if (!this.#rootHandle) {
        // path mode: the directory must still be the verified one
        let p = this.root;
        for (const c of parts) {
          p = join(p, c);
          const st = await lstat(p).catch(() => undefined);
          if (!st || st.isSymbolicLink()) throw outside(path, 'changed while it was listed');
        }
      }
      return out;
    } finally {
      await dir.handle?.close().catch(() => {});
    }
  }

  /** Removes a file, or an empty directory. A symlink is refused like everywhere else. */
  async remove(path: string): Promise<string> {
    const parts = pathParts(path);
    if (parts.length === 0) throw new TrustError('ERR_REQUEST_INVALID', 'daemon: the workspace itself cannot be deleted');
    const dir = await this.#walk(parts.slice(0, -1), path, false);
    const at = join(dir.base, parts.at(-1)!);
    try {
      const st = await lstat(at).catch((err: unknown) => {
        throw fsError(err, path, 'write');
      });
      if (st.isSymbolicLink()) throw outside(path, 'is a symbolic link');
      if (st.isDirectory()) {
        await rmdir(at).catch((err: unknown) => {
          if (code(err) === 'ENOTEMPTY' || code(err) === 'EEXIST') throw new TrustError('ERR_REQUEST_INVALID', `daemon: directory ${JSON.stringify(path)} is not empty`);
          throw fsError(err, path, 'write');
        });
      } else {
        await unlink(at).catch((err: unknown) => {
          throw fsError(err, path, 'write');
        });
      }
      return parts.join('/');
    } finally {
      await dir.handle?.close().catch(() => {});
    }
  }

  async #openError(err: unknown, dir: Dir, name: string, shown: string, op: 'read' | 'write'): Promise<TrustError> {
    const c = code(err);
    if (c === 'ELOOP') return outside(shown, 'is a symbolic link');
    if (c === 'EISDIR') return new TrustError('ERR_REQUEST_INVALID', `daemon: ${JSON.stringify(shown)} is a directory, not a file`);
    if (c === 'ENOENT' || c === 'ENOTDIR') {
      const st = await lstat(join(dir.base, name)).catch(() => undefined);
      if (st?.isSymbolicLink()) return outside(shown, 'is a symbolic link');
    }
    return fsError(err, shown, op);
  }
}

/** A filesystem error as a TrustError; the engine's text stays in `cause`. */
export function fsError(err: unknown, shown: string, op: 'read' | 'write'): TrustError {
  if (err instanceof TrustError) return err;
  const c = code(err);
  if (c === 'ENOENT') return new TrustError('ERR_FILE_NOT_FOUND', `daemon: ${JSON.stringify(shown)} not found`, { cause: err });
  if (c === 'ENOTDIR') return new TrustError('ERR_REQUEST_INVALID', `daemon: ${JSON.stringify(shown)}: a component is not a directory`, { cause: err });
  if (c === 'ELOOP') return outside(shown, 'goes through a symbolic link');
  if (op === 'read') return new TrustError('ERR_FILE_UNREADABLE', `daemon: ${JSON.stringify(shown)} cannot be read (${c ?? 'error'})`, { cause: err });
  return new TrustError('ERR_FILE_UNWRITABLE', `daemon: ${JSON.stringify(shown)} cannot be written (${c ?? 'error'})`, { cause: err });
}
