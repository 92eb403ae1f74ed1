/** `cardtrust jwt-svid validate`: validate a JWT-SVID (argument or stdin) against `--bundle` files. */
import { TrustError, validateJwtSvid } from '../core.js';
import { optionalString, stringList, type ParsedArgs } from '../args.js';
import { loadBundles } from '../bundles.js';
import type { CliIo } from '../command.js';
import { EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { svidPolicy } from '../svid-policy.js';
import { parseTime } from '../time.js';
import { expiry, failed } from '../svid-output.js';

/** Largest token read from stdin (the core refuses more than 16 KiB anyway). */
const MAX_STDIN_BYTES = 64 * 1024;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_STDIN_BYTES) throw usageError(`stdin: more than ${MAX_STDIN_BYTES} bytes; a JWT-SVID is far smaller`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const audiences = stringList(values, 'audience');
  if (audiences.length === 0 || audiences.some((a) => a === '')) throw usageError('missing required option --audience (a non-empty audience this validator is)');
  const bundlePaths = stringList(values, 'bundle');
  if (bundlePaths.length === 0) throw usageError('missing required option --bundle');
  const policy = await svidPolicy(values);
  const at = parseTime(optionalString(values, 'at'));
  const json = values['json'] === true;
  // a token read from stdin may end with the newline `echo` and files add; one given as an argument is taken as is
  const token = positionals[0] === '-' ? (await readStdin()).replace(/\r?\n$/, '') : positionals[0]!;
  const { set } = await loadBundles(bundlePaths, io.cwd, policy.trustDomain);
  const what = positionals[0] === '-' ? 'stdin' : 'token';

  try {
    const svid = await validateJwtSvid(token, set, { audience: audiences, ...(at ? { at } : {}), ...(policy.match ? { match: policy.match } : {}) });
    const expiresAt = new Date(svid.claims.exp * 1000);
    if (json) {
      io.stdout(`${JSON.stringify({ verified: true, id: svid.id.toString(), trustDomain: svid.id.trustDomain.name, claims: svid.claims, expiresAt: expiresAt.toISOString() }, null, 2)}\n`);
    } else {
      io.stdout(
        [
          `${what}: valid JWT-SVID`,
          `  SPIFFE ID     ${svid.id.toString()}`,
          `  audience      ${svid.claims.aud.join(', ')}`,
          `  expires       ${expiry(expiresAt, at ?? new Date())}`,
          `  key           ${svid.header.alg} kid ${svid.header.kid}`,
          '',
        ].join('\n'),
      );
    }
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof TrustError)) throw err;
    return failed(io, what, err, json);
  }
}
