/**
 * `cardtrust serve`: checks every option before listening (an option that cannot be honoured
 * refuses to start, exit 2), runs the service until SIGTERM or SIGINT, then shuts down gracefully.
 */
import { resolve } from 'node:path';
import { parseGoDuration } from '../../daemon/duration.js';
import { parseSpiffeId, parseTrustDomain, TrustError } from '../../spiffe/core.js';
import type { X509Source } from '../../spiffe/types.js';
import { startServe, DEFAULT_GRACE_MS, type Serving } from '../../serve/serve.js';
import { CONFIG_VARIABLES } from '../../../workers/config.js';
import { optionalString, stringList, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { parseEnvFile } from '../env-file.js';
import { asInput, CliError, EXIT_OK, EXIT_USAGE, usageError, type ExitCode } from '../errors.js';
import { readTextFile } from '../files.js';
import { parsePort } from '../port.js';
import { stopSignal } from '../signals.js';
import { hasSvidSource, openSvidSource } from '../svid-source.js';

/** The variables serve reads: the Worker's, and REDIS_URL. */
const VARIABLES: readonly string[] = [...CONFIG_VARIABLES, 'REDIS_URL'];

async function loadEnv(values: ParsedArgs['values'], io: CliIo): Promise<Record<string, string>> {
  const file = optionalString(values, 'env-file');
  const fromFile = file === undefined ? {} : parseEnvFile(await readTextFile(resolve(io.cwd, file), 'env file', file), file);
  const env: Record<string, string> = {};
  for (const name of VARIABLES) {
    // the environment wins over the file, as with `node --env-file` and dotenv
    const value = io.env[name] ?? fromFile[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

export async function run({ values }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const port = parsePort(optionalString(values, 'port'), 8787, '--port');
  const host = optionalString(values, 'host') ?? '127.0.0.1';
  const metricsPortText = optionalString(values, 'metrics-port');
  const metricsPort = metricsPortText === undefined ? undefined : parsePort(metricsPortText, 0, '--metrics-port');
  if (metricsPort !== undefined && values['metrics'] === true) throw usageError('give --metrics or --metrics-port, not both');
  const graceText = optionalString(values, 'grace');
  const graceMs = graceText === undefined ? DEFAULT_GRACE_MS : await asInput('--grace', () => parseGoDuration(graceText, '--grace'));

  const idTexts = stringList(values, 'allowed-client-id');
  const tdTexts = stringList(values, 'allowed-trust-domain');
  const mtls = hasSvidSource(values);
  if (!mtls) {
    const flag = ['svid-wait', 'allowed-client-id', 'allowed-trust-domain'].find((f) => values[f] !== undefined);
    if (flag) throw usageError(`--${flag} needs --svid-dir or --workload-api (serve would otherwise ignore it)`);
  } else if (idTexts.length === 0 && tdTexts.length === 0) {
    throw usageError('mTLS needs --allowed-client-id or --allowed-trust-domain: which clients may call');
  }
  const ids = new Set((await Promise.all(idTexts.map((t) => asInput('--allowed-client-id', () => parseSpiffeId(t))))).map((i) => i.toString()));
  const domains = new Set(await Promise.all(tdTexts.map((t) => asInput('--allowed-trust-domain', () => parseTrustDomain(t).name))));
  const env = await loadEnv(values, io);

  const say = (line: string) => io.stderr(`cardtrust serve: ${line}\n`);
  let source: X509Source | undefined;
  if (mtls) {
    source = await openSvidSource(values, io, say);
    source.onError((err) => say(`${err instanceof TrustError ? `${err.code}: ` : ''}${err.message}`));
  }
  const allowed = [...ids, ...[...domains].map((d) => `trust domain ${d}`)].join(', ');
  let serving: Serving;
  try {
    serving = await startServe({
      env,
      host,
      port,
      ...(values['metrics'] === true ? { metrics: true } : {}),
      ...(metricsPort !== undefined ? { metricsPort } : {}),
      ...(values['no-access-log'] === true ? {} : { accessLog: (entry) => io.stdout(`${JSON.stringify(entry)}\n`) }),
      ...(source
        ? {
            mtls: {
              source,
              authorize: (id) => {
                if (!ids.has(id.toString()) && !domains.has(id.trustDomain.name)) {
                  throw new TrustError('ERR_PEER_NOT_AUTHORIZED', `mtls: peer ${id.toString()} is not authorized: serve allows ${allowed}`);
                }
              },
              onRefused: (r) => say(`refused ${r.id ?? 'a client'}${r.remoteAddress ? ` from ${r.remoteAddress}` : ''}: ${r.code}${r.reason ? ` (${r.reason})` : ''}`),
            },
          }
        : {}),
    });
  } catch (err) {
    await source?.close();
    if (err instanceof TrustError) throw new CliError(err.code, err.message, EXIT_USAGE, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliError('ERR_CONFIG_INVALID', `cannot listen on ${host}:${port} (${code})`, EXIT_USAGE, { cause: err });
    }
    throw err;
  }
  const bundles = [...serving.config.bundles.keys()];
  say(
    `listening on ${serving.url} (stores ${serving.stores}; bundles ${bundles.length > 0 ? bundles.join(', ') : 'none'}` +
      `${serving.metricsUrl ? `; metrics ${serving.metricsUrl}/metrics` : values['metrics'] === true ? `; metrics ${serving.url}/metrics` : ''}` +
      `${source ? `; mTLS as ${source.getX509Svid().id.toString()}, clients ${allowed}` : ''})`,
  );

  const signal = await stopSignal();
  say(`${signal}: stopping (in-flight requests have ${graceMs / 1000} s)`);
  // a second signal ends it now
  const now = () => void serving.close(0);
  process.once('SIGTERM', now);
  process.once('SIGINT', now);
  try {
    await serving.close(graceMs);
  } finally {
    process.off('SIGTERM', now);
    process.off('SIGINT', now);
    await source?.close();
  }
  say('stopped');
  return EXIT_OK;
}
