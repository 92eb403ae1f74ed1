/**
 * The worker as a real HTTP server on 127.0.0.1 for Node tests: `workers/index.ts` bundled with
 * esbuild (the bundler wrangler uses, with the workerd export conditions) and run in workerd
 * through Miniflare, with the given variables. Its outbound fetches go to the real network, so an
 * Upstash store can point at the local bridge (test/support/upstash-bridge.ts).
 *
 * @example
 * const worker = await startWorker({ CONTROL_PLANE_TOKEN: 't', ... });
 * await fetch(`${worker.url}/healthz`);
 * await worker.close();
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

let bundled: Promise<string> | undefined;

/** The bundle text, built once per test file. */
function bundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cardtrust-worker-bundle-'));
    try {
      const outfile = join(dir, 'index.js');
      await build({
        entryPoints: [join(root, 'workers/index.ts')],
        outfile,
        bundle: true,
        format: 'esm',
        platform: 'neutral',
        target: 'es2022',
        conditions: ['workerd', 'worker', 'browser'],
        mainFields: ['module', 'main'],
        logLevel: 'silent',
      });
      return await readFile(outfile, 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return bundled;
}

export interface StartWorkerOptions {
  /** Answers the worker's outbound fetches in Node (Miniflare's `outboundService`) instead of the network. */
  readonly outbound?: (request: Request) => Response | Promise<Response>;
}

/** Starts the worker on a free port of 127.0.0.1 with `vars` as its environment. */
export async function startWorker(vars: Record<string, string>, options: StartWorkerOptions = {}): Promise<WorkerServer> {
  const toml = await readFile(join(root, 'wrangler.toml'), 'utf8');
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1] ?? '2026-04-01';
  const mf = new Miniflare({
    modules: true,
    script: await bundle(),
    compatibilityDate,
    bindings: vars,
    host: '127.0.0.1',
    port: 0,
    ...(options.outbound ? { outboundService: options.outbound } : {}),
  });
  const url = (await mf.ready).toString().replace(/\/$/, '');
  return { url, close: () => mf.dispose() };
}
