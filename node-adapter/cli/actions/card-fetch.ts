/** `cardtrust card fetch`: fetch an AgentCard over mTLS and prove who served and who signed it. */
import { TrustError, parseSpiffeId } from '../core.js';
import { optionalString, stringList, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { CliError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, asInput, type ExitCode } from '../errors.js';
import { loadKeySets } from '../key-sets.js';
import { formatReport } from '../report.js';
import { openSvidSource } from '../svid-source.js';
import { authorizeAny, authorizeId } from '../../mtls/authorize.js';
import { fetchAgentCardVerified, type VerifiedAgentCardFetch } from '../../mtls/agent-card.js';

/** Runs `cardtrust card fetch` (see the command's help text). */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const url = positionals[0]!;
  const idFlag = optionalString(values, 'expect-id');
  const expected = idFlag === undefined ? undefined : await asInput('--expect-id', () => parseSpiffeId(idFlag));
  const keySets = await loadKeySets(stringList(values, 'keys'), io.cwd);
  const source = await openSvidSource(values, io);
  let result: VerifiedAgentCardFetch;
  try {
    result = await fetchAgentCardVerified(url, {
      source,
      authorize: expected ? authorizeId(expected) : authorizeAny(),
      verify: { ...(keySets.length > 0 ? { keys: keySets } : {}), ...(expected ? { expectedId: expected.toString() } : {}) },
    });
  } catch (err) {
    if (err instanceof TrustError) {
      // a refused TLS peer is an answer (no); a fetch that could not happen is an input problem
      const exit = err.code.startsWith('ERR_PEER_') ? EXIT_FAILED : EXIT_USAGE;
      if (values['json'] === true) io.stdout(`${JSON.stringify({ verdict: 'not-fetched', error: { code: err.code, message: err.message } }, null, 2)}\n`);
      throw new CliError(err.code, `${url}: ${err.message}`, exit, { cause: err });
    }
    throw err;
  } finally {
    await source.close();
  }
  const ok = result.verdict === 'same-identity';
  if (values['json'] === true) {
    io.stdout(`${JSON.stringify({ url: result.url, peer: result.peer, signers: result.signers, sameIdentity: result.sameIdentity, verdict: result.verdict, report: result.report }, null, 2)}\n`);
  } else {
    io.stdout(
      `tls peer        ${result.peer.spiffeId} (verified chain, sha256:${result.peer.chainFingerprints[0]})\n` +
        `card signers    ${result.signers.length > 0 ? result.signers.join(', ') : 'none verified'}\n` +
        `verdict         ${result.verdict}\n` +
        formatReport(result.report, result.url),
    );
  }
  if (ok) return EXIT_OK;
  const why =
    result.verdict === 'different-identity'
      ? `the card is signed by ${result.signers.join(', ')}, but ${result.peer.spiffeId} served it`
      : `the card does not verify${result.report.error ? `: ${result.report.error.code}: ${result.report.error.message}` : ''}`;
  io.stderr(`cardtrust: ${result.verdict === 'different-identity' ? 'ERR_CARD_SIGNER_NOT_BOUND' : (result.report.error?.code ?? 'ERR_JWS_SIGNATURE_INVALID')}: ${url}: ${why}\n`);
  return EXIT_FAILED;
}
