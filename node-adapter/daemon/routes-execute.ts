/** `POST /api/execute`: PicoD's request and response, see execute.ts for how it runs. */
import { TrustError } from '../../shared/errors.js';
import { json } from '../../shared/http/respond.js';
import { readJsonBody } from '../../shared/http/body.js';
import { parseGoDuration } from './duration.js';
import { childEnv, runCommand, type ChildRegistry } from './execute.js';
import type { Workspace } from './workspace.js';

export interface ExecuteLimits {
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  maxOutputBytes: number;
}

const invalid = (message: string) => new TrustError('ERR_REQUEST_INVALID', `daemon: ${message}`);

function parseBody(body: unknown): { command: string[]; timeout?: string; working_dir?: string; env: Record<string, string> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const command = b['command'];
  if (!Array.isArray(command) || command.length === 0) throw invalid('command must be a non-empty array of strings (argv; no shell)');
  for (const a of command) if (typeof a !== 'string' || a.includes('\0')) throw invalid('command must be an array of strings without NUL');
  if (command[0] === '') throw invalid('command[0] must not be empty');
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

export async function executeRoute(request: Request, workspace: Workspace, limits: ExecuteLimits, children: ChildRegistry): Promise<Response> {
  const req = parseBody(await readJsonBody(request));
  let timeoutMs = limits.defaultTimeoutMs;
  if (req.timeout !== undefined) {
    timeoutMs = parseGoDuration(req.timeout);
    if (timeoutMs <= 0) throw invalid(`timeout must be positive (got ${JSON.stringify(req.timeout)})`);
    if (timeoutMs > limits.maxTimeoutMs) throw invalid(`timeout ${req.timeout} exceeds the maximum of ${limits.maxTimeoutMs / 1000}s`);
  }
  const cwd = req.working_dir === undefined ? workspace.root : (await workspace.directory(req.working_dir)).path;
  const result = await runCommand(
    {
      argv: req.command, cwd, env: childEnv(workspace.root, cwd, req.env), timeoutMs, maxOutputBytes: limits.maxOutputBytes,
      signal: request.signal,
    },
    children,
  );
  return json(result);
}
