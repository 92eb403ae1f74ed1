/**
 * `cardtrust daemon`: validates every option before listening (a security option that cannot be
 * honoured refuses to start, exit 2), serves the daemon app through the Node ↔ Fetch bridge, and
 * on SIGTERM/SIGINT stops accepting, lets in-flight requests finish within a bound, kills what
 * still runs and resolves to exit 0.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { importBootstrapPublicKey } from '../../../shared/session/index.js';
import { MemoryReplayGuard } from '../../../shared/store/memory-replay-guard.js';
import type { ReplayGuard } from '../../../shared/store/types.js';
import { createDaemonApp, DAEMON_DEFAULTS, parseGoDuration } from '../../daemon/index.js';
import { serveFetch } from '../../http/index.js';
import { optionalString, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { asInput, CliError, EXIT_OK, EXIT_USAGE, usageError, type ExitCode } from '../errors.js';
import { readTextFile } from '../files.js';

/** How long in-flight requests may take after SIGTERM before running commands are killed. */
const SHUTDOWN_GRACE_MS = 10_000;
/** After the kill, how long their answers may take before connections are cut. */
const SHUTDOWN_AFTER_KILL_MS = 1_000;
const KEY_ENV = 'CARDTRUST_BOOTSTRAP_PUBLIC_KEY';

function parsePort(text: string | undefined): number {
  if (text === undefined) return 8080;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw usageError(`--port: not a TCP port: ${JSON.stringify(text)}`);
  return Number(text);
}

/** The bootstrap key text (PEM or JWK JSON) → what the core accepts, checked now. */
async function loadBootstrapKey(values: ParsedArgs['values'], io: CliIo): Promise<{ key: JsonWebKey | string; from: string }> {
  const file = optionalString(values, 'bootstrap-public-key');
  let text: string;
  let from: string;
  if (file !== undefined) {
    text = await readTextFile(resolve(io.cwd, file), 'bootstrap public key', file);
    from = file;
  } else if (io.env[KEY_ENV]) {
    text = io.env[KEY_ENV]!;
    from = `$${KEY_ENV}`;
  } else {
    throw usageError(`missing --bootstrap-public-key (or ${KEY_ENV}): without it the daemon could never be initialized`);
  }
  const trimmed = text.trim();
  const key = await asInput(from, () => {
    if (!trimmed.startsWith('{')) return trimmed;
    const jwk = JSON.parse(trimmed) as unknown;
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new Error('not a JWK object');
    return jwk as JsonWebKey;
  });
  // the same import /init uses: a key the daemon could not verify with refuses to start
  await asInput(from, () => importBootstrapPublicKey(key));
  return { key, from };
}

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs `cardtrust daemon` until SIGTERM or SIGINT (see the command's help text). */
export async function run({ values }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const port = parsePort(optionalString(values, 'port'));
  const host = optionalString(values, 'host') ?? '0.0.0.0';
  const workspace = resolve(io.cwd, optionalString(values, 'workspace') ?? '.');
  const sessionId = optionalString(values, 'session-id');
  if (sessionId === '') throw usageError('--session-id: must not be empty');
  const issuer = optionalString(values, 'issuer') ?? 'cardtrust';
  const audience = optionalString(values, 'audience') ?? 'cardtrust-sandbox';
  if (issuer === '' || audience === '') throw usageError('--issuer and --audience must not be empty');
  const maxTimeoutText = optionalString(values, 'max-timeout');
  let maxTimeoutMs: number = DAEMON_DEFAULTS.maxTimeoutMs;
  if (maxTimeoutText !== undefined) {
    maxTimeoutMs = await asInput('--max-timeout', () => parseGoDuration(maxTimeoutText, '--max-timeout'));
    if (maxTimeoutMs < 1000) throw usageError('--max-timeout: must be at least 1s');
  }
  const { key } = await loadBootstrapKey(values, io);

  const redisUrl = optionalString(values, 'redis');
  let replayGuard: ReplayGuard = new MemoryReplayGuard();
  let closeStores = async (): Promise<void> => {};
  if (redisUrl !== undefined) {
    if (!/^rediss?:\/\/[^/\s]+/.test(redisUrl)) throw usageError(`--redis: expected redis://host:port or rediss://host:port, got ${JSON.stringify(redisUrl)}`);
    const { createRedisStores } = await import('../../stores/index.js');
    const stores = createRedisStores(redisUrl);
    try {
      await stores.ready(5000);
    } catch (err) {
      await stores.close().catch(() => {});
      // a shared replay guard that is not there would silently become per-process: refuse
      throw new CliError('ERR_STORE_UNAVAILABLE', `--redis ${redisUrl}: cannot connect within 5 s; refusing to start without the shared replay guard`, EXIT_USAGE, { cause: err });
    }
    replayGuard = stores.replayGuard;
    closeStores = () => stores.close();
  }

  const version = await packageVersion();
  let app;
  let served;
  try {
    app = await asInput('--workspace', () =>
      createDaemonApp({
        workspace, bootstrapKey: key, issuer, audience, replayGuard, maxTimeoutMs, version,
        ...(sessionId !== undefined ? { sessionId } : {}),
      }),
    );
    served = await serveFetch(app.fetch, { host, port, maxBodyBytes: DAEMON_DEFAULTS.maxUploadBytes }).catch((err: unknown) => {
      const c = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new CliError('ERR_CONFIG_INVALID', `cannot listen on ${host}:${port} (${c})`, EXIT_USAGE, { cause: err });
    });
  } catch (err) {
    await app?.close();
    await closeStores();
    throw err;
  }
  io.stdout(
    `cardtrust daemon: listening on ${served.url} (workspace ${app.workspace.root}; replay guard ${redisUrl ? 'redis' : 'memory'}; ` +
      `${sessionId ? `session ${sessionId}` : 'any session'}; iss ${issuer}, aud ${audience})\n`,
  );

  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolveSignal(s);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  io.stderr(`cardtrust daemon: ${signal}: stopping (in-flight requests have ${SHUTDOWN_GRACE_MS / 1000} s)\n`);
  const running = app;
  // a second signal ends it now
  const now = () => {
    running.killCommands();
    served.server.closeAllConnections();
  };
  process.once('SIGTERM', now);
  process.once('SIGINT', now);
  const kill = setTimeout(() => running.killCommands(), SHUTDOWN_GRACE_MS);
  try {
    await served.close(SHUTDOWN_GRACE_MS + SHUTDOWN_AFTER_KILL_MS);
  } finally {
    clearTimeout(kill);
    process.off('SIGTERM', now);
    process.off('SIGINT', now);
    await app.close();
    await closeStores();
  }
  io.stderr('cardtrust daemon: stopped\n');
  return EXIT_OK;
}
