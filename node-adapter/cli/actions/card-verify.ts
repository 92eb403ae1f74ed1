/** `cardtrust card verify`: verify an AgentCard's signatures and the signer's identity. */
import { resolve } from 'node:path';
import { TrustError, parseSpiffeId, parseTrustDomain, verifyAgentCard, type AgentCardReport } from '../core.js';
import { optionalString, stringList, type ParsedArgs } from '../args.js';
import { loadBundles } from '../bundles.js';
import type { CliIo } from '../command.js';
import { asInput, EXIT_FAILED, EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { readTextFile } from '../files.js';
import { parseJsonObject } from '../json.js';
import { loadKeySets } from '../key-sets.js';
import { profileFlags } from '../profiles.js';
import { formatReport } from '../report.js';
import { parseTime } from '../time.js';

/** Runs `cardtrust card verify` (see the command's help text). */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const cardPath = positionals[0]!;
  const bundlePaths = stringList(values, 'bundle');
  const keyPaths = stringList(values, 'keys');
  if (bundlePaths.length === 0 && keyPaths.length === 0) throw usageError('missing required option --bundle or --keys');
  const tdFlag = optionalString(values, 'trust-domain');
  const trustDomain = tdFlag === undefined ? undefined : await asInput('--trust-domain', () => parseTrustDomain(tdFlag));
  const idFlag = optionalString(values, 'expect-id');
  const expectedId = idFlag === undefined ? undefined : await asInput('--expect-id', () => parseSpiffeId(idFlag));
  const mode = values['audit'] === true ? 'audit' : 'strict';
  const at = parseTime(optionalString(values, 'at'));
  const profiles = profileFlags(values);

  const cardText = await readTextFile(resolve(io.cwd, cardPath), 'card', cardPath);
  const card = await asInput(cardPath, () => parseJsonObject(cardText));
  const { set, loaded } = bundlePaths.length > 0 ? await loadBundles(bundlePaths, io.cwd, trustDomain) : { set: undefined, loaded: [] };
  const keySets = await loadKeySets(keyPaths, io.cwd);

  // The binding policy: --trust-domain, else the one bundle's trust domain (with or without
  // --keys). With several bundles and no policy, strict mode could never bind a signer, so ask
  // instead of failing every card. With --keys alone and no policy there is none, as in the core:
  // a kid signer verifies by its pinned key alone.
  const bindTo = trustDomain ?? (loaded.length === 1 ? loaded[0]!.trustDomain : undefined);
  if (!bindTo && !expectedId && mode === 'strict' && loaded.length > 1) {
    throw usageError('several --bundle files: say which signers to accept with --trust-domain or --expect-id (or use --audit)');
  }

  let report: AgentCardReport;
  try {
    report = await verifyAgentCard(card, {
      ...(set ? { bundles: set } : {}),
      ...(keySets.length > 0 ? { keys: keySets } : {}),
      mode,
      ...(bindTo ? { trustDomain: bindTo.name } : {}),
      ...(expectedId ? { expectedId: expectedId.toString() } : {}),
      ...(at ? { at } : {}),
      ...(profiles ? { profiles } : {}),
    });
  } catch (err) {
    // a card that cannot be evaluated at all (malformed signatures, too large) is not verified
    if (values['json'] === true && err instanceof TrustError) {
      io.stdout(`${JSON.stringify({ verified: false, error: { code: err.code, message: err.message } }, null, 2)}\n`);
    }
    if (err instanceof TrustError) throw new TrustError(err.code, `${cardPath}: ${err.message}`, { cause: err });
    throw err;
  }

  const json = values['json'] === true;
  io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, cardPath));
  if (report.verified) return EXIT_OK;
  const error = report.error ?? { code: 'ERR_JWS_SIGNATURE_INVALID', message: 'no signature verified' };
  // the readable report already says why, once; JSON is for programs, so the line says it for people
  io.stderr(`cardtrust: ${error.code}: ${cardPath}: not verified${json ? `: ${error.message}` : ' (the report says why)'}\n`);
  return EXIT_FAILED;
}
