/**
 * `cardtrust serve` as a real child process on 127.0.0.1 (a free port): ready once `/healthz`
 * answers; its stdout (the JSON access log) and stderr kept; stopped with SIGTERM and awaited.
 */
import { startCliServer, type CliServer } from './cli-server.js';

export interface ServeProcess extends CliServer {
  /** The access-log lines so far, parsed. */
  accessLog(): Array<Record<string, unknown>>;
}

/** Starts `cardtrust serve --host 127.0.0.1 --port <free> …args` in `cwd` with `env`. */
export async function startServeProcess(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const s = await startCliServer('serve', args, cwd, env, '/healthz', 20_000);
  return {
    ...s,
    accessLog: () =>
      s
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
