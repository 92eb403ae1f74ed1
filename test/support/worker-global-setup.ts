/**
 * globalSetup of the `worker` test project: a real `redis-server` and the Upstash-compatible bridge
 * on free ports, plus a tiny control server so tests inside workerd can stop and restart either
 * (outage tests). Provides `upstash` to the tests (`inject('upstash')`), or `null` when
 * redis-server is missing (those tests then skip with a banner; CARDTRUST_REQUIRE_REDIS=1 fails).
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { startRedisServer, startUpstashBridge } from './upstash-bridge.js';
import { redisAvailable } from './redis-available.js';

export interface ProvidedUpstash {
  url: string;
  token: string;
  /** POST `${controlUrl}/redis/stop|start`, `/bridge/stop|start`. */
  controlUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    upstash: ProvidedUpstash | null;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!redisAvailable('worker tests against Upstash (test/worker/*upstash*)')) {
    project.provide('upstash', null);
    return undefined;
  }
  const redis = await startRedisServer();
  const token = randomBytes(16).toString('hex');
  let bridge: Awaited<ReturnType<typeof startUpstashBridge>>;
  try {
    bridge = await startUpstashBridge({ redisPort: redis.port, token });
  } catch (err) {
    await redis.stop();
    throw err;
  }
  const actions: Record<string, () => Promise<void>> = {
    '/redis/stop': () => redis.stop(),
    '/redis/start': () => redis.start(),
    '/bridge/stop': () => bridge.stop(),
    '/bridge/start': () => bridge.start(),
  };
  const control = http.createServer((req, res) => {
    const action = req.method === 'POST' ? actions[req.url ?? ''] : undefined;
    if (!action) {
      res.writeHead(404).end();
      return;
    }
    action().then(
      () => res.writeHead(204).end(),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const addr = control.address();
  const controlPort = typeof addr === 'object' && addr ? addr.port : 0;
  project.provide('upstash', { url: bridge.url, token, controlUrl: `http://127.0.0.1:${controlPort}` });
  return async () => {
    await new Promise<void>((resolve) => control.close(() => resolve()));
    await bridge.close();
    await redis.stop();
  };
}
