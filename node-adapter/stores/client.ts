/**
 * The ioredis client behind the TCP Redis stores, configured to fail closed and fast: no offline
 * queue, no per-command retries, a deadline on every command, and background reconnection so
 * service resumes when Redis returns. One node (`redis://host:port`) or a Redis Cluster (several
 * seed URLs, or `cluster: true`).
 */
// named imports: ioredis is CommonJS, and under Node's ESM loader its default export is the module object
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { TrustError } from '../../shared/errors.js';

/** Either client shape: every store uses only single-key commands, which both route the same way. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Deadline per store call, including waiting for a (re)connection; default 2000 ms. */
  timeoutMs?: number;
  /** Force cluster mode with a single seed URL (several URLs always mean a cluster). */
  cluster?: boolean;
}

interface Endpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
  db?: number;
}

function parseUrl(text: string): Endpoint {
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw new TrustError('ERR_CONFIG_INVALID', `stores: invalid Redis URL (expected redis://host:port)`, { cause: err });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TrustError('ERR_CONFIG_INVALID', `stores: Redis URL must start with redis:// or rediss://`);
  }
  if (!url.hostname) throw new TrustError('ERR_CONFIG_INVALID', 'stores: Redis URL has no host');
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) throw new TrustError('ERR_CONFIG_INVALID', 'stores: Redis URL path must be a database number');
  if (url.search || url.hash) throw new TrustError('ERR_CONFIG_INVALID', 'stores: Redis URL must not have a query or fragment');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    tls: url.protocol === 'rediss:',
    ...(dbText !== '' ? { db: Number(dbText) } : {}),
  };
}

// Reconnect quickly at first, then every half second: an outage is noticed per command (it fails
// at once or at its deadline), and the first command after Redis returns finds a live connection.
const reconnectDelay = (times: number): number => Math.min(50 * times, 500);

function nodeOptions(ep: Endpoint | undefined, timeoutMs: number): RedisOptions {
  return {
    ...(ep?.username ? { username: ep.username } : {}),
    ...(ep?.password ? { password: ep.password } : {}),
    ...(ep?.tls ? { tls: {} } : {}),
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    // a command while disconnected fails at once instead of queueing without bound
    enableOfflineQueue: false,
    enableReadyCheck: true,
    // nothing replays after a reconnect: a replay claim must never be applied twice or late
    autoResendUnfulfilledCommands: false,
  };
}

/**
 * Opens the client (connection starts at once, in the background). Several URLs, or `cluster`,
 * make an ioredis `Cluster` seeded with every URL.
 *
 * @example
 * const client = createRedisClient(['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'], { timeoutMs: 1000 });
 */
export function createRedisClient(url: string | readonly string[], options: RedisConnectionOptions = {}): RedisClient {
  const urls = typeof url === 'string' ? [url] : [...url];
  if (urls.length === 0) throw new TrustError('ERR_CONFIG_INVALID', 'stores: no Redis URL given');
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TrustError('ERR_CONFIG_INVALID', 'stores: timeoutMs must be a positive integer');
  const endpoints = urls.map(parseUrl);
  const first = endpoints[0]!;
  if (urls.length > 1 || options.cluster) {
    if (endpoints.some((e) => e.db !== undefined && e.db !== 0)) {
      throw new TrustError('ERR_CONFIG_INVALID', 'stores: Redis Cluster has only database 0');
    }
    const redisOptions = nodeOptions(first, timeoutMs);
    return new Cluster(
      endpoints.map((e) => ({ host: e.host, port: e.port })),
      {
        redisOptions,
        enableOfflineQueue: false,
        enableReadyCheck: true,
        clusterRetryStrategy: reconnectDelay,
        slotsRefreshTimeout: timeoutMs,
        // a MOVED/ASK redirection is followed a bounded number of times
        maxRedirections: 16,
        retryDelayOnFailover: 50,
        retryDelayOnClusterDown: 50,
        retryDelayOnTryAgain: 50,
      },
    );
  }
  return new Redis({
    host: first.host,
    port: first.port,
    ...(first.db !== undefined ? { db: first.db } : {}),
    ...nodeOptions(first, timeoutMs),
    retryStrategy: reconnectDelay,
  });
}

/**
 * One open client and its deadline. {@link RedisConnection.call} runs one store command: while
 * the client is (re)connecting it waits for it to be ready, up to the deadline, so a burst at
 * start-up or after an outage neither queues without bound nor fails needlessly; any failure is
 * `ERR_STORE_UNAVAILABLE` (fail closed), with the engine's error only as `cause`.
 */
export class RedisConnection {
  readonly client: RedisClient;
  readonly timeoutMs: number;
  #ready: Promise<void> | undefined;

  constructor(url: string | readonly string[], options: RedisConnectionOptions = {}) {
    this.client = createRedisClient(url, options);
    this.timeoutMs = options.timeoutMs ?? 2000;
    // errors are reported per command; without a listener ioredis prints every reconnect failure
    this.client.on('error', () => {});
    this.client.on('ready', () => {
      this.#ready = undefined;
    });
  }

  async call<T>(what: string, fn: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      if (this.client.status !== 'ready') await this.ready(this.timeoutMs);
      return await fn(this.client);
    } catch (err) {
      throw new TrustError('ERR_STORE_UNAVAILABLE', `stores: ${what} failed: Redis unavailable`, { cause: err });
    }
  }

  /** Resolves when the client is ready; rejects after `timeoutMs` or once it has been closed. */
  ready(timeoutMs = this.timeoutMs): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    if (this.client.status === 'end') return Promise.reject(new Error('client closed'));
    this.#ready ??= new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        this.client.off('end', onEnd);
        resolve();
      };
      const onEnd = (): void => {
        this.client.off('ready', onReady);
        reject(new Error('client closed'));
      };
      this.client.once('ready', onReady);
      this.client.once('end', onEnd);
    });
    const waiting = this.#ready;
    waiting.catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not connected within ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([waiting, deadline]).finally(() => clearTimeout(timer));
  }

  /** Closes the connection (QUIT, or a hard disconnect when Redis does not answer). */
  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    try {
      await Promise.race([
        this.client.quit(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('quit timed out')), this.timeoutMs).unref()),
      ]);
    } catch {
      this.client.disconnect();
    }
  }
}
