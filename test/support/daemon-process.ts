/**
 * `cardtrust daemon` as a real child process on 127.0.0.1 (a free port), for the end-to-end and
 * tutorial tests: started with the given flags, ready once `GET /health` answers, stopped with
 * SIGTERM (its graceful path) and awaited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli.js';
import { freePort } from './upstash-bridge.js';

export interface DaemonProcess {
  readonly url: string;
  readonly port: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts `cardtrust daemon --host 127.0.0.1 --port <free> …args` in `cwd`. */
export async function startDaemonProcess(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<DaemonProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [BIN, 'daemon', '--host', '127.0.0.1', '--port', String(port), ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  // nothing to await but the port answering: ask until it does, the process dies, or 15 s pass
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cardtrust daemon exited with ${child.exitCode}: ${out}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`cardtrust daemon did not answer /health: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
