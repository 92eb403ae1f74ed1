/** `cardtrust card sign`: sign an AgentCard with an X509-SVID. */
import { TrustError, parseCertificates, signAgentCard } from '../core.js';
import { optionalString, requireString, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { asInput, EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { PUBLIC_FILE_MODE, readTextFile, writeFileAtomic } from '../files.js';
import { displayPath, isoTime } from '../format.js';
import { parseJsonObject } from '../json.js';
import { importPrivateKeyFor } from '../keys.js';
import { resolve } from 'node:path';

/** Runs `cardtrust card sign` (see the command's help text). */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const cardPath = positionals[0]!;
  const certPath = requireString(values, 'cert');
  const keyPath = requireString(values, 'key');
  const kid = optionalString(values, 'kid');
  const jku = optionalString(values, 'jku');
  const out = optionalString(values, 'out');
  if (jku !== undefined && !isHttpsUrl(jku)) throw usageError(`--jku must be an https:// URL`);

  const at = (p: string) => resolve(io.cwd, p);
  const [cardText, certText, keyText] = await Promise.all([
    readTextFile(at(cardPath), 'card', cardPath),
    readTextFile(at(certPath), '--cert', certPath),
    readTextFile(at(keyPath), '--key', keyPath),
  ]);
  const card = await asInput(cardPath, () => parseJsonObject(cardText));
  const chain = await asInput(`--cert ${certPath}`, () => parseCertificates(certText));
  const leaf = chain[0]!;
  const privateKey = await asInput(`--key ${keyPath}`, () => importPrivateKeyFor(keyText, leaf));

  // a card signed with a certificate outside its validity would never verify: refuse now
  const now = new Date();
  if (leaf.notAfter < now) throw new TrustError('ERR_X509_EXPIRED', `--cert ${certPath}: the certificate expired at ${isoTime(leaf.notAfter)}`);
  if (leaf.notBefore > now) throw new TrustError('ERR_X509_NOT_YET_VALID', `--cert ${certPath}: the certificate is valid from ${isoTime(leaf.notBefore)}`);

  const signed = await signAgentCard(card, {
    privateKey,
    certificateChain: chain,
    ...(kid === undefined ? {} : { kid }),
    ...(jku === undefined ? {} : { jku }),
  });
  const text = `${JSON.stringify(signed, null, 2)}\n`;
  if (out === undefined) {
    io.stdout(text);
  } else {
    await writeFileAtomic(at(out), text, PUBLIC_FILE_MODE, out);
    const sigs = signed['signatures'] as unknown[];
    io.stdout(`signed ${cardPath} as ${leaf.subjectAltName.uri[0] ?? leaf.subject.text}: ${displayPath(io.cwd, at(out))} (signature ${sigs.length - 1})\n`);
  }
  return EXIT_OK;
}

function isHttpsUrl(s: string): boolean {
  try {
    return new URL(s).protocol === 'https:';
  } catch {
    return false;
  }
}
