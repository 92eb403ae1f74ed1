/**
 * A `cardtrust` server command (`serve`, `daemon`) as a real child process on 127.0.0.1 (a free
 * port): ready once its health path answers, its output kept, stopped with a signal (SIGTERM: its
 * graceful path) and awaited. `serve-process.ts` and `daemon-process.ts` are the two faces of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.js';
import { freePort } from './upstash-bridge.js';

export interface CliServer {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr as they arrived, interleaved. */
  output(): string;
  /** Sends `signal` (default SIGTERM) unless it has exited, and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `cardtrust <command> --host 127.0.0.1 --port <free> …args` in `cwd` with `env`, and waits
 * until `GET <health>` answers 2xx: there is nothing else to await but the port answering, so it
 * asks until it does, the process exits, or `timeoutMs` pass.
 */
export async function startCliServer(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, health: string, timeoutMs: number): Promise<CliServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, command, '--host', '127.0.0.1', '--port', String(port), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let all = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => ((out += d), (all += d)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => ((err += d), (all += d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cardtrust ${command} exited with ${child.exitCode}: ${all}`);
    try {
      const res = await fetch(`${url}${health}`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`cardtrust ${command} did not answer ${health}: ${all}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    child,
    stdout: () => out,
    stderr: () => err,
    output: () => all,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited,
  };
}
