/**
 * Running one command for `POST /api/execute`: argv only (no shell), in its own process group,
 * with a minimal environment, each output stream capped, and on timeout the whole group killed
 * (grandchildren too), exit code 124 and a note in stderr — PicoD's contract without its holes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';

export interface ExecuteSpec {
  argv: readonly string[];
  cwd: string;
  /** The child's whole environment (the caller builds it: see {@link childEnv}). */
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Aborts (kills the group) when the client goes away. */
  signal?: AbortSignal;
}

export interface ExecuteResult {
  stdout: string;
  stderr: string;
  exit_code: number;
  /** Seconds, as a float (PicoD). */
  duration: number;
  start_time: string;
  end_time: string;
  timed_out: boolean;
  truncated: boolean;
  /** The signal that ended the process, when one did (exit_code is then -1, as Go reports it). */
  signal?: string;
}

/** PATH of the child unless the request sets one: the usual system directories. */
export const CHILD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The child's environment: a minimal safe base (PATH, HOME = the workspace, LANG, PWD) plus the
 * request's variables. Nothing of the daemon's own environment is passed on.
 */
export function childEnv(workspace: string, cwd: string, extra: Readonly<Record<string, string>>): Record<string, string> {
  return { PATH: CHILD_PATH, HOME: workspace, LANG: 'C.UTF-8', PWD: cwd, ...extra };
}

/** Keeps at most `max` bytes of a stream, and counts the rest. */
class Capped {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  truncated = false;
  constructor(readonly max: number) {}
  push(chunk: Buffer): void {
    const room = this.max - this.#size;
    if (room <= 0) {
      if (chunk.byteLength > 0) this.truncated = true;
      return;
    }
    if (chunk.byteLength > room) {
      this.truncated = true;
      chunk = chunk.subarray(0, room);
    }
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
  }
  text(): string {
    // invalid UTF-8 (or a character cut at the cap) becomes U+FFFD, as Go's JSON encoder does
    return Buffer.concat(this.#chunks).toString('utf8');
  }
}

/**
 * Go's `fmt.Sprintf("%.0f", seconds)`, which PicoD's timeout note uses (pkg/picod/execute.go:
 * `Command timed out after %.0f seconds`): whole seconds, an exact half rounded to even.
 */
export function goSecondsNoFraction(ms: number): string {
  const x = ms / 1000;
  const r = Math.round(x);
  return String(Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r);
}

/**
 * The reason Go's `cmd.Run()` gives when a command cannot start (PicoD puts `err.Error()` in
 * stderr with exit code 1, pkg/picod/execute.go): `exec.LookPath`'s messages for a name searched
 * in PATH or a path that is missing or not executable.
 */
export function goStartError(name: string, errno: string | undefined): string {
  if (name === '') return 'exec: no command';
  if (!name.includes('/')) return `exec: ${JSON.stringify(name)}: executable file not found in $PATH`;
  if (errno === 'ENOENT') return `exec: ${JSON.stringify(name)}: stat ${name}: no such file or directory`;
  if (errno === 'EACCES') return `exec: ${JSON.stringify(name)}: permission denied`;
  return `fork/exec ${name}: ${errno ?? 'error'}`;
}

/** Kills a process group; ESRCH (already gone) is fine. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** Running children, so the daemon can kill them all at shutdown. */
export class ChildRegistry {
  readonly #running = new Set<ChildProcess>();
  add(child: ChildProcess): void {
    this.#running.add(child);
  }
  delete(child: ChildProcess): void {
    this.#running.delete(child);
  }
  get size(): number {
    return this.#running.size;
  }
  killAll(): void {
    for (const c of this.#running) killGroup(c.pid);
  }
}

/**
 * Runs the command to its end (or its deadline). A command that cannot be started (not found,
 * not executable) answers like PicoD: exit code 1 and the reason in stderr.
 */
export function runCommand(spec: ExecuteSpec, registry?: ChildRegistry): Promise<ExecuteResult> {
  const started = new Date();
  const t0 = performance.now();
  const out = new Capped(spec.maxOutputBytes);
  const err = new Capped(spec.maxOutputBytes);
  return new Promise<ExecuteResult>((resolve) => {
    let child: ChildProcess;
    let timedOut = false;
    let settled = false;
    const finish = (exitCode: number, signal: string | null, note?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      registry?.delete(child);
      let stderr = err.text();
      // PicoD appends its timeout note to stderr as is (no separator); a start error follows "\n"
      // when stderr is not empty (pkg/picod/execute.go)
      if (note) stderr += (note.startsWith('Command timed out') || stderr === '' ? '' : '\n') + note;
      const ended = new Date();
      resolve({
        stdout: out.text(),
        stderr,
        exit_code: exitCode,
        duration: (performance.now() - t0) / 1000,
        start_time: started.toISOString(),
        end_time: ended.toISOString(),
        timed_out: timedOut,
        truncated: out.truncated || err.truncated,
        ...(signal ? { signal } : {}),
      });
    };
    const onAbort = (): void => killGroup(child.pid);
    const timedOutNote = `Command timed out after ${goSecondsNoFraction(spec.timeoutMs)} seconds`;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
      // a descendant that left the group (setsid) may still hold the pipes: stop waiting for them
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(124, null, timedOutNote);
      }, 2000).unref();
    }, spec.timeoutMs);
    try {
      child = spawn(spec.argv[0]!, spec.argv.slice(1), {
        cwd: spec.cwd,
        env: spec.env,
        detached: true, // its own process group, so a timeout can kill the whole group
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (e) {
      clearTimeout(timer);
      resolve({
        stdout: '', stderr: goStartError(spec.argv[0]!, (e as NodeJS.ErrnoException).code), exit_code: 1, duration: (performance.now() - t0) / 1000,
        start_time: started.toISOString(), end_time: new Date().toISOString(), timed_out: false, truncated: false,
      });
      return;
    }
    registry?.add(child);
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    if (spec.signal?.aborted) onAbort();
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      // spawn failures come here (ENOENT, EACCES): there is no process
      if (child.pid !== undefined) return;
      finish(1, null, goStartError(spec.argv[0]!, e.code));
    });
    // 'close' waits for the pipes: a grandchild holding stdout keeps the command running until
    // its group is killed at the deadline
    child.on('close', (code, signal) => {
      if (timedOut) {
        finish(124, null, timedOutNote);
        return;
      }
      if (code !== null) finish(code, null);
      else finish(-1, signal, signal ? `daemon: terminated by ${signal} (${osConstants.signals[signal] ?? '?'})` : undefined);
    });
  });
}
