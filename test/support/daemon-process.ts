/**
 * `cardtrust daemon` as a real child process on 127.0.0.1 (a free port), for the end-to-end and
 * tutorial tests: started with the given flags, ready once `GET /health` answers, stopped with
 * SIGTERM (its graceful path) and awaited.
 */
import { startCliServer, type CliServer } from './cli-server.js';

export type DaemonProcess = Pick<CliServer, 'url' | 'port' | 'output' | 'stop'>;

/** Starts `cardtrust daemon --host 127.0.0.1 --port <free> …args` in `cwd`. */
export async function startDaemonProcess(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<DaemonProcess> {
  return startCliServer('daemon', args, cwd, env, '/health', 15_000);
}
