/**
 * Where the session commands get their secrets: the control-plane bearer from a file or the
 * environment (never a flag value, which `ps` shows to every user), bootstrap and session tokens
 * from a file, stdin (`-`) or, for short-lived tokens, a flag value.
 */
import { resolve } from 'node:path';
import { TrustError } from '../../shared/errors.js';
import { optionalString, type ParsedArgs } from './args.js';
import type { CliIo } from './command.js';
import { CliError, EXIT_FAILED, EXIT_USAGE, usageError } from './errors.js';
import { readTextFile, writeFileAtomic, KEY_FILE_MODE } from './files.js';

/** The environment variable that holds the control-plane bearer token. */
export const CONTROL_PLANE_TOKEN_ENV = 'CARDTRUST_CONTROL_PLANE_TOKEN';

const MAX_STDIN = 64 * 1024;

/** The control-plane bearer: `--<flag> FILE`, else `$CARDTRUST_CONTROL_PLANE_TOKEN`. */
export async function controlPlaneToken(values: ParsedArgs['values'], io: CliIo, flag = 'token-file'): Promise<string> {
  const file = optionalString(values, flag);
  const text = file !== undefined ? await readTextFile(resolve(io.cwd, file), `--${flag}`, file) : io.env[CONTROL_PLANE_TOKEN_ENV];
  const token = text?.trim();
  if (!token) throw usageError(`the control-plane token is missing: --${flag} FILE or ${CONTROL_PLANE_TOKEN_ENV}`);
  return token;
}

/** A token from `--token VALUE`, `--token -` (stdin) or `--token-file FILE`; exactly one of them. */
export async function tokenArg(values: ParsedArgs['values'], io: CliIo, what: string): Promise<string | undefined> {
  const value = optionalString(values, 'token');
  const file = optionalString(values, 'token-file');
  if (value !== undefined && file !== undefined) throw usageError('give --token or --token-file, not both');
  let text: string | undefined;
  if (value === '-') text = await readStdin(what);
  else if (value !== undefined) text = value;
  else if (file !== undefined) text = await readTextFile(resolve(io.cwd, file), '--token-file', file);
  if (text === undefined) return undefined;
  const token = text.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    throw new CliError('ERR_JWS_MALFORMED', `the ${what} is not a compact JWT`, EXIT_USAGE);
  }
  return token;
}

/** The base URL flag, checked to be http(s). */
export function urlArg(values: ParsedArgs['values'], name: string): string {
  const text = optionalString(values, name);
  if (text === undefined) throw usageError(`missing required option --${name}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`--${name}: invalid URL '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--${name}: expected an http:// or https:// URL`);
  return text;
}

/** Writes a secret to a file named on the command line, owner-only (0600). */
export async function writeSecret(io: CliIo, file: string, text: string): Promise<void> {
  await writeFileAtomic(resolve(io.cwd, file), `${text}\n`, KEY_FILE_MODE, file);
}

/** A TrustError from the network keeps its code; the CLI reports it with exit 1. */
export function remoteFailure(err: unknown): never {
  if (err instanceof CliError) throw err;
  if (err instanceof TrustError) throw new CliError(err.code, err.message, EXIT_FAILED, { cause: err });
  throw err;
}

async function readStdin(what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN) throw usageError(`the ${what} on stdin is larger than ${MAX_STDIN} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
