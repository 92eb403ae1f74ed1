/**
 * Running the `cardtrust` binary (and other commands) as real child processes, for the CLI tests:
 * exit code and the whole of stdout and stderr.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The package's bin, as `npx cardtrust` runs it. */
export const BIN = fileURLToPath(new URL('../../node-adapter/bin/cardtrust.mjs', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` to its end (with `input` on stdin, if given); stdout and stderr as UTF-8 text. */
export function runProcess(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `cardtrust args` in `cwd` (without CARDTRUST_DEBUG, so errors are the one-line form). */
export function cli(args: readonly string[], cwd: string, options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Run> {
  const env = { ...process.env, ...options.env };
  delete env.CARDTRUST_DEBUG;
  return runProcess(process.execPath, [BIN, ...args], { cwd, env, ...(options.input !== undefined ? { input: options.input } : {}) });
}

/** The one-line error format: `cardtrust: ERR_CODE: message`, nothing else on stderr. */
export function expectError(run: Run, exit: number, code: string): void {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: exit, stderr: expect.stringMatching(new RegExp(`^cardtrust: ${code}: [^\\n]+\\n$`)) });
}

/** An AgentCard within the A2A schema, for the sign/verify round trips. */
export const CARD = Object.freeze({
  name: 'Agent A',
  description: 'Answers questions about example.org',
  url: 'https://agent-a.example.org/a2a',
  version: '1.0.0',
  protocolVersion: '0.3.0',
  capabilities: { streaming: true },
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [{ id: 'qa', name: 'Q&A', description: 'Answers questions', tags: ['qa'] }],
});
