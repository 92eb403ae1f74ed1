/** `POST /api/execute`: PicoD's request and response, see execute.ts for how it runs. */
import { TrustError } from '../../shared/errors.js';
import { json } from '../../shared/http/respond.js';
import { join } from 'node:path';
import { parseGoDuration } from './duration.js';
import { childEnv, runCommand, type ChildRegistry, type ExecuteResult } from './execute.js';
import { readPicodJson } from './read-body.js';
import { pathParts, type Workspace } from './workspace.js';

export interface ExecuteLimits {
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  maxOutputBytes: number;
  /** The request body cap (PicoD's `MaxBodySize`, 32 MiB, for every authenticated route). */
  maxBodyBytes: number;
}

const invalid = (message: string) => new TrustError('ERR_REQUEST_INVALID', `daemon: ${message}`);

function parseBody(body: unknown): { command: string[]; timeout?: string; working_dir?: string; env: Record<string, string> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const command = b['command'];
  if (!Array.isArray(command) || command.length === 0) throw invalid('command must be a non-empty array of strings (argv; no shell)');
  for (const a of command) if (typeof a !== 'string' || a.includes('\0')) throw invalid('command must be an array of strings without NUL');
  const timeout = b['timeout'];
  if (timeout !== undefined && timeout !== null && typeof timeout !== 'string') throw invalid('timeout must be a duration string such as "30s" or "500ms"');
  const wd = b['working_dir'];
  if (wd !== undefined && wd !== null && typeof wd !== 'string') throw invalid('working_dir must be a string');
  const envIn = b['env'];
  const env: Record<string, string> = {};
  if (envIn !== undefined && envIn !== null) {
    if (typeof envIn !== 'object' || Array.isArray(envIn)) throw invalid('env must be an object of strings');
    for (const [k, v] of Object.entries(envIn as Record<string, unknown>)) {
      if (!/^[^=\0]+$/.test(k)) throw invalid(`env: invalid variable name ${JSON.stringify(k)}`);
      if (typeof v !== 'string' || v.includes('\0')) throw invalid(`env: ${k} must be a string without NUL`);
      env[k] = v;
    }
  }
  return {
    command: command as string[],
    ...(typeof timeout === 'string' && timeout !== '' ? { timeout } : {}),
    ...(typeof wd === 'string' && wd !== '' ? { working_dir: wd } : {}),
    env,
  };
}

/** PicoD's answer when the command cannot start: 200, exit code 1, Go's error in stderr. */
function notStarted(stderr: string): ExecuteResult {
  const now = new Date().toISOString();
  return { stdout: '', stderr, exit_code: 1, duration: 0, start_time: now, end_time: now, timed_out: false, truncated: false };
}

export async function executeRoute(request: Request, workspace: Workspace, limits: ExecuteLimits, children: ChildRegistry): Promise<Response> {
  const req = parseBody(await readPicodJson(request, limits.maxBodyBytes));
  let timeoutMs = limits.defaultTimeoutMs;
  if (req.timeout !== undefined) {
    timeoutMs = parseGoDuration(req.timeout);
    if (timeoutMs <= 0) throw invalid(`timeout must be positive (got ${JSON.stringify(req.timeout)})`);
    if (timeoutMs > limits.maxTimeoutMs) throw invalid(`timeout ${req.timeout} exceeds the maximum of ${limits.maxTimeoutMs / 1000}s`);
  }
  let cwd = workspace.root;
  if (req.working_dir !== undefined) {
    try {
      cwd = (await workspace.directory(req.working_dir)).path;
    } catch (err) {
      // PicoD checks only that working_dir stays in the workspace; a missing directory fails in
      // Go's os.StartProcess ("chdir <dir>: no such file or directory"), answered 200 with exit
      // code 1 like any command that cannot start (pkg/picod/execute.go)
      if (err instanceof TrustError && err.code === 'ERR_FILE_NOT_FOUND') {
        return json(notStarted(`chdir ${join(workspace.root, ...pathParts(req.working_dir))}: no such file or directory`));
      }
      throw err;
    }
  }
  const result = await runCommand(
    {
      argv: req.command, cwd, env: childEnv(workspace.root, cwd, req.env), timeoutMs, maxOutputBytes: limits.maxOutputBytes,
      signal: request.signal,
    },
    children,
  );
  return json(result);
}
