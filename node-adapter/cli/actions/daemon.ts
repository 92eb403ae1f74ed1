/**
 * `cardtrust daemon`: validates every option before listening (a security option that cannot be
 * honoured refuses to start, exit 2), serves the daemon app through the Node ↔ Fetch bridge, and
 * on SIGTERM/SIGINT stops accepting, lets in-flight requests finish within a bound, kills what
 * still runs and resolves to exit 0.
 */
import { resolve } from 'node:path';
import { importBootstrapPublicKey } from '../../../shared/session/index.js';
import { MemoryReplayGuard } from '../../../shared/store/memory-replay-guard.js';
import type { ReplayGuard } from '../../../shared/store/types.js';
import { createDaemonApp, DAEMON_DEFAULTS, parseGoDuration, type DaemonAuthMode } from '../../daemon/index.js';
import { serveFetch } from '../../http/index.js';
import { parseSpiffeId, parseTrustDomain, TrustError, type SpiffeId } from '../../spiffe/core.js';
import type { X509Source } from '../../spiffe/types.js';
import { packageVersion } from '../package-version.js';
import { stopSignal } from '../signals.js';
import { optionalString, stringList, type ParsedArgs } from '../args.js';
import { hasSvidSource, openSvidSource } from '../svid-source.js';
import type { CliIo } from '../command.js';
import { asInput, CliError, EXIT_OK, EXIT_USAGE, usageError, type ExitCode } from '../errors.js';
import { readTextFile } from '../files.js';
import { parsePort } from '../port.js';

/** How long in-flight requests may take after SIGTERM before running commands are killed. */
const SHUTDOWN_GRACE_MS = 10_000;
/** After the kill, how long their answers may take before connections are cut. */
const SHUTDOWN_AFTER_KILL_MS = 1_000;
const KEY_ENV = 'CARDTRUST_BOOTSTRAP_PUBLIC_KEY';

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

/** `--auth` and the options each mode needs or refuses, checked before anything starts. */
async function parseAuth(values: ParsedArgs['values']): Promise<{ mode: DaemonAuthMode; ids: SpiffeId[]; domains: string[] }> {
  const text = optionalString(values, 'auth') ?? 'jwt';
  if (text !== 'jwt' && text !== 'mtls' && text !== 'both') throw usageError(`--auth: expected jwt, mtls or both, got ${JSON.stringify(text)}`);
  const mode: DaemonAuthMode = text;
  const idTexts = stringList(values, 'allowed-client-id');
  const tdTexts = stringList(values, 'allowed-trust-domain');
  const mtlsFlags = ['svid-dir', 'workload-api', 'svid-wait', 'allowed-client-id', 'allowed-trust-domain'].filter((f) => values[f] !== undefined);
  if (mode === 'jwt') {
    if (mtlsFlags.length > 0) throw usageError(`--${mtlsFlags[0]} needs --auth mtls or --auth both (the daemon would otherwise ignore it)`);
    return { mode, ids: [], domains: [] };
  }
  if (!hasSvidSource(values)) throw usageError(`--auth ${mode} needs --svid-dir or --workload-api (the daemon's own SVID and the bundle clients are verified with)`);
  if (idTexts.length === 0 && tdTexts.length === 0) throw usageError(`--auth ${mode} needs --allowed-client-id or --allowed-trust-domain: which clients may call`);
  if (mode === 'mtls') {
    const jwtFlags = ['bootstrap-public-key', 'session-id', 'issuer', 'audience', 'redis'].filter((f) => values[f] !== undefined);
    if (jwtFlags.length > 0) throw usageError(`--${jwtFlags[0]} has no effect with --auth mtls (there is no /init or session token); use --auth both`);
  }
  const ids = await Promise.all(idTexts.map((t) => asInput('--allowed-client-id', () => parseSpiffeId(t))));
  const domains = await Promise.all(tdTexts.map((t) => asInput('--allowed-trust-domain', () => parseTrustDomain(t).name)));
  return { mode, ids, domains };
}

/** Runs `cardtrust daemon` until SIGTERM or SIGINT (see the command's help text). */
export async function run({ values }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const auth = await parseAuth(values);
  const port = parsePort(optionalString(values, 'port'), 8080);
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
  const key = auth.mode === 'mtls' ? undefined : (await loadBootstrapKey(values, io)).key;

  let source: X509Source | undefined;
  if (auth.mode !== 'jwt') {
    source = await openSvidSource(values, io, (line) => io.stderr(`cardtrust daemon: ${line}\n`));
    source.onError((err) => io.stderr(`cardtrust daemon: ${err instanceof TrustError ? `${err.code}: ` : ''}${err.message}\n`));
  }
  const closeSource = async () => source?.close();

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
      await closeSource();
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
        workspace, maxTimeoutMs, version, auth: auth.mode,
        ...(auth.mode === 'mtls' ? {} : { bootstrapKey: key!, issuer, audience, replayGuard }),
        ...(sessionId !== undefined ? { sessionId } : {}),
      }),
    );
    let server: import('node:https').Server | undefined;
    let connInfo: ((socket: import('node:net').Socket) => import('../../http/index.js').ConnInfo) | undefined;
    if (source) {
      const { createMtlsServer, mtlsConnInfo } = await import('../../mtls/server.js');
      const allowedIds = new Set(auth.ids.map((id) => id.toString()));
      const allowedDomains = new Set(auth.domains);
      const describe = [...[...allowedIds], ...[...allowedDomains].map((d) => `trust domain ${d}`)].join(', ');
      server = createMtlsServer({
        source,
        authorize: (id) => {
          if (!allowedIds.has(id.toString()) && !allowedDomains.has(id.trustDomain.name)) {
            throw new TrustError('ERR_PEER_NOT_AUTHORIZED', `mtls: peer ${id.toString()} is not authorized: the daemon allows ${describe}`);
          }
        },
        onRefused: (r) => io.stderr(`cardtrust daemon: refused ${r.id ?? 'a client'}${r.remoteAddress ? ` from ${r.remoteAddress}` : ''}: ${r.code}${r.reason ? ` (${r.reason})` : ''}\n`),
      });
      connInfo = mtlsConnInfo;
    }
    served = await serveFetch(app.fetch, { host, port, maxBodyBytes: DAEMON_DEFAULTS.maxUploadBytes, ...(server ? { server } : {}), ...(connInfo ? { connInfo } : {}) }).catch((err: unknown) => {
      const c = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new CliError('ERR_CONFIG_INVALID', `cannot listen on ${host}:${port} (${c})`, EXIT_USAGE, { cause: err });
    });
  } catch (err) {
    await app?.close();
    await closeStores();
    await closeSource();
    throw err;
  }
  const clients = auth.mode === 'jwt' ? '' : `; clients ${[...auth.ids.map((i) => i.toString()), ...auth.domains.map((d) => `trust domain ${d}`)].join(', ')}; svid ${source!.getX509Svid().id.toString()}`;
  const jwt = auth.mode === 'mtls' ? '' : `; replay guard ${redisUrl ? 'redis' : 'memory'}; ${sessionId ? `session ${sessionId}` : 'any session'}; iss ${issuer}, aud ${audience}`;
  io.stdout(`cardtrust daemon: listening on ${served.url} (workspace ${app.workspace.root}${jwt}; auth ${auth.mode}${clients})\n`);

  const signal = await stopSignal();
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
    await closeSource();
  }
  io.stderr('cardtrust daemon: stopped\n');
  return EXIT_OK;
}
