/** `cardtrust card sign`: sign an AgentCard with an X509-SVID. */
import type { AgentCardAlgorithm } from '../../../shared/agentcard/index.js';
import { TrustError, decodePemBlocks, getCrypto, parseCertificates, signAgentCard } from '../core.js';
import { optionalString, requireString, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { asInput, EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { PUBLIC_FILE_MODE, readTextFile, writeFileAtomic } from '../files.js';
import { displayPath, isoTime } from '../format.js';
import { parseJsonObject } from '../json.js';
import { importPrivateKeyFor } from '../keys.js';
import { resolve } from 'node:path';

const ALGORITHMS: readonly AgentCardAlgorithm[] = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

/** Runs `cardtrust card sign` (see the command's help text). */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const cardPath = positionals[0]!;
  const certPath = requireString(values, 'cert');
  const keyPath = requireString(values, 'key');
  const kid = optionalString(values, 'kid');
  const jku = optionalString(values, 'jku');
  const out = optionalString(values, 'out');
  const alg = parseAlgorithm(optionalString(values, 'alg'));
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
  const privateKey = await asInput(`--key ${keyPath}`, async () => rsaKeyFor(alg, await importPrivateKeyFor(keyText, leaf), keyText));

  // a card signed with a certificate outside its validity would never verify: refuse now
  const now = new Date();
  if (leaf.notAfter < now) throw new TrustError('ERR_X509_EXPIRED', `--cert ${certPath}: the certificate expired at ${isoTime(leaf.notAfter)}`);
  if (leaf.notBefore > now) throw new TrustError('ERR_X509_NOT_YET_VALID', `--cert ${certPath}: the certificate is valid from ${isoTime(leaf.notBefore)}`);

  let signed: Record<string, unknown>;
  try {
    signed = await signAgentCard(card, {
      privateKey,
      certificateChain: chain,
      ...(alg === undefined ? {} : { alg }),
      ...(kid === undefined ? {} : { kid }),
      ...(jku === undefined ? {} : { jku }),
    });
  } catch (err) {
    // the key type decides the algorithm: say which flag asked for another one
    if (alg !== undefined && err instanceof TrustError && err.code === 'ERR_JWS_KEY_ALGORITHM_MISMATCH') {
      throw new TrustError(err.code, `--alg ${alg}: ${err.message.replace(/^signAgentCard: /, '')}`, { cause: err });
    }
    throw err;
  }
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

function parseAlgorithm(text: string | undefined): AgentCardAlgorithm | undefined {
  if (text === undefined) return undefined;
  // JWS algorithm names are case-sensitive (RFC 7515 §4.1.1): 'es256' is not ES256
  if (!(ALGORITHMS as readonly string[]).includes(text)) throw usageError(`--alg: unknown algorithm '${text}' (use one of ${ALGORITHMS.join(', ')})`);
  return text as AgentCardAlgorithm;
}

/**
 * The key for `alg`. importPrivateKeyFor imports an RSA key for RS256, and WebCrypto binds an RSA
 * key to one scheme and hash; for another RS or PS algorithm the PKCS#8 key (already proved to be
 * the certificate's) is imported again for it. Any other key is returned as is: signAgentCard
 * checks the algorithm against it.
 */
async function rsaKeyFor(alg: AgentCardAlgorithm | undefined, key: CryptoKey, pem: string): Promise<CryptoKey> {
  if (alg === undefined || key.algorithm.name !== 'RSASSA-PKCS1-v1_5' || !/^(RS|PS)/.test(alg) || alg === 'RS256') return key;
  const params: RsaHashedImportParams = { name: alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: `SHA-${alg.slice(2)}` };
  const der = decodePemBlocks(pem).find((b) => b.label === 'PRIVATE KEY')!.der;
  try {
    return await getCrypto().subtle.importKey('pkcs8', der.slice(), params, false, ['sign']);
  } catch (err) {
    throw new TrustError('ERR_KEY_UNSUPPORTED', `the RSA key cannot be used for ${alg}`, { cause: err });
  }
}

function isHttpsUrl(s: string): boolean {
  try {
    return new URL(s).protocol === 'https:';
  } catch {
    return false;
  }
}
