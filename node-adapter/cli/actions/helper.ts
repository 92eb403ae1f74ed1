/** `cardtrust helper`: the Workload API SVID written to files on every update, a command signalled. */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { encodePem, TrustError } from '../../spiffe/core.js';
import type { X509Material } from '../../spiffe/types.js';
import { stopSignal } from '../signals.js';
import { optionalString, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { writeFileAtomic } from '../files.js';
import { openSvidSource } from '../svid-source.js';

const KEY_MODE = 0o600;
const PUBLIC_MODE = 0o644;

/** Runs `cardtrust helper` until SIGTERM or SIGINT (see the command's help text). */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  if (values['workload-api'] === undefined) throw usageError('missing required option --workload-api');
  const dirFlag = optionalString(values, 'dir');
  if (dirFlag === undefined) throw usageError('missing required option --dir');
  const dir = resolve(io.cwd, dirFlag);
  const signalName = optionalString(values, 'signal');
  if (signalName !== undefined) {
    if (!(signalName in constants.signals)) throw usageError(`--signal: not a signal name: ${JSON.stringify(signalName)} (e.g. SIGHUP)`);
    if (positionals.length === 0) throw usageError('--signal needs a command after -- to signal');
  }
  const audiences = (values['jwt-audience'] as string[] | undefined) ?? [];
  const jwtFile = optionalString(values, 'jwt-file');
  if (jwtFile !== undefined && audiences.length === 0) throw usageError('--jwt-file needs --jwt-audience');
  if (jwtFile !== undefined && (jwtFile.includes('/') || jwtFile === '' || jwtFile.startsWith('.'))) throw usageError('--jwt-file: a file name inside --dir, not a path');
  const log = (line: string) => io.stderr(`cardtrust helper: ${line}\n`);
  const source = await openSvidSource(values, io, log);
  let jwt: { close(): Promise<void> } | undefined;
  let jwtTimer: ReturnType<typeof setTimeout> | undefined;
  if (audiences.length > 0) {
    const { WorkloadJwtSource } = await import('../../spiffe/workload/jwt-source.js');
    const address = optionalString(values, 'workload-api');
    const jwtSource = new WorkloadJwtSource({ ...(address === 'default' ? {} : { address: address! }), env: io.env });
    jwt = jwtSource;
    const file = join(dir, jwtFile ?? 'jwt_svid.token');
    const refresh = async (): Promise<void> => {
      let nextMs = 5000;
      try {
        const svid = await jwtSource.fetchJwtSvid({ audience: audiences });
        await writeFileAtomic(file, `${svid.token}\n`, KEY_MODE);
        log(`wrote a JWT-SVID of ${svid.id.toString()} for ${audiences.join(', ')} (expires ${svid.expiresAt.toISOString()}) to ${file}`);
        nextMs = Math.max(1000, (svid.expiresAt.getTime() - Date.now()) / 2);
      } catch (err) {
        log(`${err instanceof TrustError ? `${err.code}: ` : ''}${(err as Error).message}; retrying in 5 s`);
      }
      jwtTimer = setTimeout(() => void refresh(), nextMs);
    };
    await refresh();
  }
  let child: ChildProcess | undefined;
  let writes = Promise.resolve();

  const write = async (m: X509Material): Promise<void> => {
    const svid = m.svid;
    const bundle = m.bundles.getBundle(svid.id.trustDomain);
    await writeFileAtomic(join(dir, 'svid.pem'), svid.certificatePem, PUBLIC_MODE);
    await writeFileAtomic(join(dir, 'svid_key.pem'), svid.privateKeyPem, KEY_MODE);
    await writeFileAtomic(join(dir, 'svid_bundle.pem'), bundle.x509Authorities.map((c) => encodePem('CERTIFICATE', c.der)).join(''), PUBLIC_MODE);
    log(`wrote ${svid.id.toString()} (serial ${svid.chain[0]!.serialNumber}, expires ${svid.expiresAt.toISOString()}) to ${dir}`);
    if (child && child.exitCode === null && signalName) {
      child.kill(signalName as NodeJS.Signals);
      log(`sent ${signalName} to ${positionals[0]} (pid ${child.pid})`);
    }
  };
  const queue = (m: X509Material) => {
    writes = writes.then(() => write(m)).catch((err: unknown) => log(err instanceof TrustError ? `${err.code}: ${err.message}` : String(err)));
    return writes;
  };

  source.onUpdate((m) => void queue(m));
  source.onError((err) => log(`${err instanceof TrustError ? `${err.code}: ` : ''}${err.message}`));
  await queue(source.current());

  if (positionals.length > 0) {
    child = spawn(positionals[0]!, positionals.slice(1), { stdio: 'inherit', env: process.env });
    child.on('error', (err) => log(`cannot start ${positionals[0]}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    child.on('exit', (code, signal) => log(`${positionals[0]} exited (${signal ?? `code ${code}`}); still writing SVIDs`));
  }

  const signal = await stopSignal();
  log(`${signal}: stopping`);
  if (jwtTimer !== undefined) clearTimeout(jwtTimer);
  await jwt?.close();
  await source.close();
  await writes;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  }
  return EXIT_OK;
}
