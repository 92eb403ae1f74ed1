/** `cardtrust svid verify`: verify an X509-SVID chain file against `--bundle` files. */
import { resolve } from 'node:path';
import { TrustError, describeChain, verifyX509Svid } from '../core.js';
import { stringList, optionalString, type ParsedArgs } from '../args.js';
import { loadBundles } from '../bundles.js';
import type { CliIo } from '../command.js';
import { EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { readTextFile } from '../files.js';
import { svidPolicy } from '../svid-policy.js';
import { parseTime } from '../time.js';
import { expiry, failed } from '../svid-output.js';

const USAGES = { client: 'clientAuth', server: 'serverAuth' } as const;

export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const file = positionals[0]!;
  const bundlePaths = stringList(values, 'bundle');
  if (bundlePaths.length === 0) throw usageError('missing required option --bundle');
  const usageText = optionalString(values, 'usage');
  if (usageText !== undefined && !(usageText in USAGES)) throw usageError(`--usage: expected client or server, got ${JSON.stringify(usageText)}`);
  const policy = await svidPolicy(values);
  const at = parseTime(optionalString(values, 'at'));
  const json = values['json'] === true;
  const pem = await readTextFile(resolve(io.cwd, file), 'SVID', file);
  const { set } = await loadBundles(bundlePaths, io.cwd, policy.trustDomain);

  try {
    const svid = await verifyX509Svid(pem, set, {
      ...(at ? { at } : {}),
      ...(policy.match ? { match: policy.match } : {}),
      ...(usageText ? { usage: USAGES[usageText as keyof typeof USAGES] } : {}),
    });
    const chain = await describeChain(svid.chain);
    const expiresAt = svid.chain[0]!.notAfter;
    if (json) {
      io.stdout(`${JSON.stringify({ verified: true, id: svid.id.toString(), trustDomain: svid.id.trustDomain.name, expiresAt: expiresAt.toISOString(), chain }, null, 2)}\n`);
    } else {
      io.stdout(
        [
          `${file}: verified`,
          `  SPIFFE ID     ${svid.id.toString()}`,
          `  trust domain  ${svid.id.trustDomain.name}`,
          `  expires       ${expiry(expiresAt, at ?? new Date())}`,
          '  path          (leaf first, the trusted root last)',
          ...chain.map((c, i) => `    ${i}  ${c.subject}${c.spiffeId ? ` (${c.spiffeId})` : ''}  until ${c.notAfter}  sha256 ${c.sha256}`),
          '',
        ].join('\n'),
      );
    }
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof TrustError)) throw err;
    return failed(io, file, err, json);
  }
}
