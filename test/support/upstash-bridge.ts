/**
 * A small Upstash-compatible REST server in front of a real `redis-server`, so the worker's
 * Upstash store is tested against Redis itself rather than a mock. Speaks exactly what
 * `@upstash/redis` 1.x sends (see its HttpClient): POST `/` with a JSON command array,
 * POST `/pipeline` and `/multi-exec` with an array of command arrays, `Authorization: Bearer`,
 * and with `Upstash-Encoding: base64` every string result except a top-level "OK" base64-encoded.
 * Redis is reached through ioredis (a maintained client), never a hand-rolled protocol.
 *
 * @example
 * const redis = await startRedisServer();
 * const bridge = await startUpstashBridge({ redisPort: redis.port, token: 't' });
 * // new Redis({ url: bridge.url, token: 't' }) ...
 * await bridge.close(); await redis.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
// the default import: the named one is missing under some ESM-from-CJS loaders (vitest globalSetup)
import IORedis from 'ioredis';

const MAX_BODY = 8 * 1024 * 1024;

/** A free TCP port on 127.0.0.1 (closed again before returning, so there is a small race; fine for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The redis-server binary: `REDIS_SERVER_BIN`, else `redis-server` on PATH. */
const REDIS_SERVER = process.env.REDIS_SERVER_BIN || 'redis-server';

/** True when the redis-server binary runs. */
export function hasRedisServer(): boolean {
  const r = spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

export interface RedisServer {
  readonly port: number;
  /** Stops the server (no persistence) and waits for the process to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after {@link stop}). */
  start(): Promise<void>;
}

/**
 * Starts `redis-server` on 127.0.0.1 on a free port with persistence off — or, with `persistDir`,
 * with an RDB snapshot there that `stop()` (SIGTERM) writes and `start()` loads, so data survives
 * a restart as it does on a real server. The child is ours: `stop()` kills it by pid and waits
 * for the exit, so no process outlives the tests.
 */
export async function startRedisServer(options: { port?: number; persistDir?: string } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const persistence = options.persistDir ? ['--save', '3600 1', '--dir', options.persistDir, '--dbfilename', 'dump.rdb'] : ['--save', ''];

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}: ${out}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          proc.stdout?.off('data', onData);
          proc.stdout?.resume();
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.resume();
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    await new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };

  await start();
  return { port, start, stop };
}

export interface UpstashBridge {
  /** Base URL for `@upstash/redis` (`UPSTASH_REDIS_REST_URL`). */
  readonly url: string;
  readonly token: string;
  readonly port: number;
  /** Stops listening (in-flight requests finish); `start()` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops and disconnects from Redis for good. */
  close(): Promise<void>;
}

type Reply = null | number | string | Buffer | Reply[] | Error;

function encodeReply(value: Reply, base64: boolean, topLevel: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (value instanceof Error) return value.message;
  if (Buffer.isBuffer(value) || typeof value === 'string') {
    const buf = Buffer.isBuffer(value) ? value : Buffer.from(value);
    // Upstash leaves a top-level "OK" as is; the client decodes every other string from base64.
    if (!base64) return buf.toString('utf8');
    if (topLevel && buf.toString('latin1') === 'OK') return 'OK';
    return buf.toString('base64');
  }
  if (Array.isArray(value)) return value.map((v) => encodeReply(v, base64, false));
  return value;
}

function isCommand(value: unknown): value is (string | number | boolean)[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    typeof value[0] === 'string' &&
    value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
  );
}

function args(cmd: (string | number | boolean)[]): string[] {
  return cmd.slice(1).map((v) => String(v));
}

// Script flags redis-server 7.0 understands. Upstash also accepts its own (`allow-key-locking`,
// used by @upstash/ratelimit's scripts), which Redis rejects; they are hints with no meaning on a
// single Redis, so the bridge drops them and maps the client's SHA to the rewritten script's.
const REDIS_SCRIPT_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

function rewriteScript(script: string): string {
  const m = /^#!lua((?:[ \t]+[^\n]*)?)\n/.exec(script);
  if (!m) return script;
  const parts = (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const kept = parts.map((part) => {
    if (!part.startsWith('flags=')) return part;
    const flags = part.slice('flags='.length).split(',').filter((f) => REDIS_SCRIPT_FLAGS.has(f));
    return `flags=${flags.join(',')}`;
  });
  return `#!lua${kept.length ? ' ' + kept.join(' ') : ''}\n${script.slice(m[0].length)}`;
}

/** Rewrites EVAL/EVALSHA/SCRIPT LOAD for redis-server; returns the command to send. */
function translate(cmd: string[], shas: Map<string, string>): string[] {
  const name = (cmd[0] ?? '').toLowerCase();
  if ((name === 'eval' || name === 'eval_ro') && cmd[1] !== undefined) {
    const rewritten = rewriteScript(cmd[1]);
    if (rewritten !== cmd[1]) shas.set(sha1(cmd[1]), sha1(rewritten));
    return [cmd[0]!, rewritten, ...cmd.slice(2)];
  }
  if ((name === 'evalsha' || name === 'evalsha_ro') && cmd[1] !== undefined) {
    return [cmd[0]!, shas.get(cmd[1].toLowerCase()) ?? cmd[1], ...cmd.slice(2)];
  }
  if (name === 'script' && (cmd[1] ?? '').toLowerCase() === 'load' && cmd[2] !== undefined) {
    const rewritten = rewriteScript(cmd[2]);
    if (rewritten !== cmd[2]) shas.set(sha1(cmd[2]), sha1(rewritten));
    return [cmd[0]!, cmd[1]!, rewritten];
  }
  return cmd;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Starts the bridge on 127.0.0.1 (a free port unless given). Commands fail immediately while Redis
 * is down (no offline queue, no per-request retries), so an outage surfaces as an `{ error }`
 * reply at once; ioredis reconnects in the background, so service resumes when Redis is back.
 */
export async function startUpstashBridge(options: { redisPort: number; token: string; port?: number }): Promise<UpstashBridge> {
  const port = options.port ?? (await freePort());
  const redis = new IORedis({
    host: '127.0.0.1',
    port: options.redisPort,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 100,
  });
  redis.on('error', () => {
    // reconnection is automatic; command failures are reported per request
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bridge could not reach redis-server')), 10_000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const shas = new Map<string, string>();
  // SCRIPT LOAD answers with the SHA of the script the client sent, as Upstash would
  const fixReply = (cmd: (string | number | boolean)[], reply: Reply): Reply =>
    String(cmd[0]).toLowerCase() === 'script' && String(cmd[1]).toLowerCase() === 'load' && typeof cmd[2] === 'string'
      ? sha1(cmd[2])
      : reply;
  const run = async (cmd: (string | number | boolean)[]): Promise<Reply> => {
    const [name, ...rest] = translate([String(cmd[0]), ...args(cmd)], shas);
    return fixReply(cmd, (await redis.callBuffer(name!, ...rest)) as Reply);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' });
    if (req.headers.authorization !== `Bearer ${options.token}`) return send(res, 401, { error: 'Unauthorized' });
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, { error: 'ERR failed to parse command' });
    }
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/' || path === '') {
        if (!isCommand(body)) return send(res, 400, { error: 'ERR failed to parse command' });
        const result = await run(body);
        return send(res, 200, { result: encodeReply(result, base64, true) });
      }
      if (path === '/pipeline' || path === '/multi-exec') {
        if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) {
          return send(res, 400, { error: 'ERR failed to parse pipeline request' });
        }
        const commands = body as (string | number | boolean)[][];
        const batch = path === '/pipeline' ? redis.pipeline() : redis.multi();
        for (const cmd of commands) {
          const [name, ...rest] = translate([String(cmd[0]), ...args(cmd)], shas);
          batch.callBuffer(name!, ...rest);
        }
        const results = await batch.exec();
        if (results === null) return send(res, 400, { error: 'ERR transaction aborted' });
        return send(
          res,
          200,
          results.map(([err, value], i) =>
            err ? { error: err.message } : { result: encodeReply(fixReply(commands[i]!, value as Reply), base64, true) },
          ),
        );
      }
      return send(res, 404, { error: 'not found' });
    } catch (err) {
      // a Redis error reply (or Redis unreachable): Upstash answers 400 with `{ error }`
      return send(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  };

  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: 'internal error' }));
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (server.listening) return resolve();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      // kept-alive connections would keep serving: an outage means nothing answers
      for (const s of sockets) s.destroy();
    });

  await start();
  return {
    url: `http://127.0.0.1:${port}`,
    token: options.token,
    port,
    start,
    stop,
    close: async () => {
      await stop();
      redis.disconnect();
    },
  };
}
