/**
 * A real local Redis Cluster for tests: three `redis-server --cluster-enabled yes` masters (each in
 * its own temporary directory, no replicas, persistence off) joined with
 * `redis-cli --cluster create … --cluster-yes`. Every process is ours and is stopped by pid.
 *
 * @example
 * const cluster = await startRedisCluster();
 * // createRedisStores(cluster.urls) ...
 * await cluster.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './upstash-bridge.js';
import { runProcess } from './cli.js';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN || 'redis-server';
const REDIS_CLI = process.env.REDIS_CLI_BIN || 'redis-cli';

export interface RedisCluster {
  readonly ports: readonly number[];
  /** `redis://127.0.0.1:P` of every master. */
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

function startNode(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server (cluster node) did not start on ${port}: ${out}`)), 10_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        proc.stdout?.resume();
        resolve(proc);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.resume();
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server (cluster node) exited with ${code}: ${out}`));
    });
  });
}

function stopNode(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

/** Starts three masters on free ports and forms the cluster; resolves once every node reports `cluster_state:ok`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-cluster-'));
  const ports: number[] = [];
  const procs: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map(stopNode));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const nodeDir = await mkdtemp(join(dir, `node-${i}-`));
      procs.push(await startNode(port, nodeDir));
      ports.push(port);
    }
    const create = await runProcess(REDIS_CLI, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], {
      cwd: dir,
    });
    if (create.code !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    // the nodes agree through the cluster bus: there is no event to await, so ask each in turn
    const deadline = Date.now() + 15_000;
    for (const port of ports) {
      for (;;) {
        const info = await runProcess(REDIS_CLI, ['-p', String(port), 'cluster', 'info'], { cwd: dir });
        if (info.stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster did not become ok on ${port}: ${info.stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ports, urls: ports.map((p) => `redis://127.0.0.1:${p}`), stop };
}
