import { TrustError } from '../../shared/errors.js';
import { goDurationMs } from './lib/go-duration.js';
import { joinUrl, readJson, send, SessionHttpError, stringField, type HttpCall } from './lib/http.js';

/** The answer of `POST /api/execute` (PicoD's fields, camel-cased). */
export interface ExecuteResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Seconds. */
  duration: number;
  startTime: string;
  endTime: string;
  timedOut: boolean;
  truncated: boolean;
}

/** The answer of `POST /api/files`. */
export interface FileInfo {
  path: string;
  size: number;
  /** As the daemon reports it: PicoD and `cardtrust daemon` use Go's form, `-rw-r--r--`. */
  mode: string;
  modified: string;
}

/** One entry of `GET /api/files?path=DIR`. */
export interface FileEntry {
  name: string;
  size: number;
  modified: string;
  mode: string;
  isDir: boolean;
}

export interface SandboxClientOptions {
  daemonUrl: string;
  /** A session token, or a function that returns a fresh one (called per request; cache in it if you like). */
  token: string | (() => Promise<string>);
  fetch?: typeof fetch;
  /** Deadline of each request; for `execute`, added to the command's own timeout. Default 30 000 ms. */
  timeoutMs?: number;
}

// the daemon's default command timeout when the request names none (PicoD: 60 s)
const DEFAULT_COMMAND_MS = 60_000;

/**
 * A client of a sandbox daemon's PicoD-compatible API (`cardtrust daemon`, or PicoD itself):
 * run commands and read, write, list and delete workspace files, with a session token as
 * `Authorization: Bearer`. Failures are `TrustError`s with the daemon's code.
 *
 * @example
 * const sandbox = new SandboxClient({ daemonUrl: 'http://127.0.0.1:8080', token: () => cp.sessionToken(id).then((t) => t.token) });
 * const { stdout, exitCode } = await sandbox.execute(['python3', '-c', 'print(1+1)']);
 */
export class SandboxClient {
  readonly #base: string;
  readonly #token: () => Promise<string>;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(opts: SandboxClientOptions) {
    this.#base = joinUrl(opts.daemonUrl, '');
    const token = opts.token;
    this.#token = typeof token === 'string' ? async () => token : token;
    this.#fetch = opts.fetch ?? fetch;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Runs `command` (argv, no shell). A non-zero exit is a result, not an error. */
  async execute(command: string[], opts: { timeout?: string; workingDir?: string; env?: Record<string, string> } = {}): Promise<ExecuteResult> {
    if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === 'string')) {
      throw new TrustError('ERR_INPUT_INVALID', 'session: command must be a non-empty array of strings');
    }
    const commandMs = opts.timeout === undefined ? DEFAULT_COMMAND_MS : goDurationMs(opts.timeout);
    if (commandMs === undefined) throw new TrustError('ERR_INPUT_INVALID', `session: timeout '${opts.timeout}' is not a duration such as 500ms, 30s or 2m`);
    const body = {
      command,
      ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
      ...(opts.workingDir !== undefined ? { working_dir: opts.workingDir } : {}),
      ...(opts.env !== undefined ? { env: opts.env } : {}),
    };
    const { call, res } = await this.#send('POST', '/api/execute', { json: body, timeoutMs: this.#timeoutMs + commandMs });
    const r = await readJson(res, call);
    const exitCode = r['exit_code'];
    if (typeof exitCode !== 'number' || typeof r['stdout'] !== 'string' || typeof r['stderr'] !== 'string') {
      throw new SessionHttpError('ERR_FETCH_FAILED', 'session: daemon answer to /api/execute lacks stdout, stderr or exit_code', res.status, r);
    }
    return {
      stdout: r['stdout'],
      stderr: r['stderr'],
      exitCode,
      duration: typeof r['duration'] === 'number' ? r['duration'] : 0,
      startTime: typeof r['start_time'] === 'string' ? r['start_time'] : '',
      endTime: typeof r['end_time'] === 'string' ? r['end_time'] : '',
      timedOut: r['timed_out'] === true,
      truncated: r['truncated'] === true,
    };
  }

  /** The bytes of a workspace file. */
  async readFile(path: string): Promise<Uint8Array> {
    const { res } = await this.#send('GET', `/api/files/${encodePath(path)}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Writes a workspace file (created or replaced), as JSON with base64 content; `mode` like `0644`. */
  async writeFile(path: string, content: Uint8Array | string, mode?: string): Promise<FileInfo> {
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const body = { path, content: Buffer.from(bytes).toString('base64'), ...(mode !== undefined ? { mode } : {}) };
    const { call, res } = await this.#send('POST', '/api/files', { json: body });
    const r = await readJson(res, call);
    return {
      path: stringField(r, 'path', call),
      size: typeof r['size'] === 'number' ? r['size'] : bytes.length,
      mode: typeof r['mode'] === 'string' ? r['mode'] : '',
      modified: typeof r['modified'] === 'string' ? r['modified'] : '',
    };
  }

  /** The entries of a workspace directory (default: the workspace root). */
  async listFiles(dir = '.'): Promise<FileEntry[]> {
    const { call, res } = await this.#send('GET', `/api/files?path=${encodeURIComponent(dir)}`);
    const r = await readJson(res, call);
    const files = r['files'];
    if (!Array.isArray(files)) throw new SessionHttpError('ERR_FETCH_FAILED', 'session: daemon answer to the file list has no "files"', res.status, r);
    return files.map((f: Record<string, unknown>) => ({
      name: String(f['name'] ?? ''),
      size: typeof f['size'] === 'number' ? f['size'] : 0,
      modified: typeof f['modified'] === 'string' ? f['modified'] : '',
      mode: typeof f['mode'] === 'string' ? f['mode'] : '',
      isDir: f['is_dir'] === true,
    }));
  }

  /** Deletes a workspace file. */
  async deleteFile(path: string): Promise<void> {
    const { res } = await this.#send('DELETE', `/api/files/${encodePath(path)}`);
    await res.body?.cancel();
  }

  async #send(method: string, path: string, opts: { json?: unknown; timeoutMs?: number } = {}): Promise<{ call: HttpCall; res: Response }> {
    const call: HttpCall = {
      fetch: this.#fetch,
      peer: 'daemon',
      method,
      url: this.#base + path,
      headers: {
        authorization: `Bearer ${await this.#token()}`,
        ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.json !== undefined ? { body: JSON.stringify(opts.json) } : {}),
      timeoutMs: opts.timeoutMs ?? this.#timeoutMs,
    };
    return { call, res: await send(call) };
  }
}

// each segment percent-encoded, the slashes kept: `a b/c.txt` → `a%20b/c.txt`. A `..` segment
// (even as `%2e%2e`) would be resolved away by the URL parser before the daemon could refuse it,
// so `../x` would silently name another route: refuse it here with the daemon's own code.
function encodePath(path: string): string {
  if (typeof path !== 'string' || path === '') throw new TrustError('ERR_INPUT_INVALID', 'session: path must be a non-empty string');
  const segments = path.split('/');
  if (segments.some((s) => s === '..' || s === '.')) {
    throw new TrustError('ERR_PATH_OUTSIDE_WORKSPACE', "session: a path with '.' or '..' segments cannot be sent in a URL");
  }
  return segments.map(encodeURIComponent).join('/');
}
