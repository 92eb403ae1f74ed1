/** `cardtrust card sign`: sign an AgentCard with an X509-SVID, or with a private key alone (kid only). */
import type { AgentCardAlgorithm } from '../../../shared/agentcard/index.js';
import { TrustError, certificateJwk, parseCertificates, signAgentCard, type Certificate } from '../core.js';
import { optionalString, requireString, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { asInput, EXIT_OK, usageError, type ExitCode } from '../errors.js';
import { PUBLIC_FILE_MODE, readTextFile, writeFileAtomic } from '../files.js';
import { displayPath, isoTime } from '../format.js';
import { parseJsonObject } from '../json.js';
import { profileFlags } from '../profiles.js';
import { importPrivateKey, importPrivateKeyFor, publicJwk } from '../keys.js';
import { resolve } from 'node:path';

const ALGORITHMS: readonly AgentCardAlgorithm[] = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

/** The signing key, and with `--cert` the chain whose leaf it belongs to. */
interface Signer {
  readonly privateKey: CryptoKey;
  readonly chain?: Certificate[];
}

/** Runs `cardtrust card sign` (see the command's help text). */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const cardPath = positionals[0]!;
  const certPath = optionalString(values, 'cert');
  const keyPath = requireString(values, 'key');
  const kid = optionalString(values, 'kid');
  const jku = optionalString(values, 'jku');
  const out = optionalString(values, 'out');
  const jwksPath = optionalString(values, 'jwks');
  const alg = parseAlgorithm(optionalString(values, 'alg'));
  const profiles = profileFlags(values);
  if (jku !== undefined && !isHttpsUrl(jku)) throw usageError(`--jku must be an https:// URL`);

  const at = (p: string) => resolve(io.cwd, p);
  if (out !== undefined && jwksPath !== undefined && at(out) === at(jwksPath)) throw usageError('-o and --jwks name the same file');
  const [cardText, certText, keyText] = await Promise.all([
    readTextFile(at(cardPath), 'card', cardPath),
    certPath === undefined ? undefined : readTextFile(at(certPath), '--cert', certPath),
    readTextFile(at(keyPath), '--key', keyPath),
  ]);
  const card = await asInput(cardPath, () => parseJsonObject(cardText));
  const signer: Signer =
    certPath === undefined || certText === undefined
      ? { privateKey: await asInput(`--key ${keyPath}`, () => importPrivateKey(keyText, alg)) }
      : await certificateSigner(certPath, certText, keyPath, keyText, alg);

  let signed: Record<string, unknown>;
  try {
    signed = await signAgentCard(card, {
      privateKey: signer.privateKey,
      ...(signer.chain === undefined ? {} : { certificateChain: signer.chain }),
      ...(alg === undefined ? {} : { alg }),
      ...(kid === undefined ? {} : { kid }),
      ...(jku === undefined ? {} : { jku }),
      ...(profiles === undefined ? {} : { profiles }),
    });
  } catch (err) {
    // the key type decides the algorithm: say which flag asked for another one
    if (alg !== undefined && err instanceof TrustError && err.code === 'ERR_JWS_KEY_ALGORITHM_MISMATCH') {
      throw new TrustError(err.code, `--alg ${alg}: ${err.message.replace(/^signAgentCard: /, '')}`, { cause: err });
    }
    throw err;
  }
  const sigs = signed['signatures'] as Array<{ protected: string }>;
  // the kid and alg signAgentCard chose (the default kid is its thumbprint of the public key)
  const header = JSON.parse(Buffer.from(sigs[sigs.length - 1]!.protected, 'base64url').toString('utf8')) as { alg: string; kid: string };

  // the key set first: when it cannot be written, no card is printed or written either
  if (jwksPath !== undefined) {
    const jwk = signer.chain === undefined ? await publicJwk(signer.privateKey) : certificateJwk(signer.chain[0]!);
    const jwks = { keys: [{ ...jwk, kid: header.kid, alg: header.alg }] };
    await writeFileAtomic(at(jwksPath), `${JSON.stringify(jwks, null, 2)}\n`, PUBLIC_FILE_MODE, jwksPath);
  }
  const text = `${JSON.stringify(signed, null, 2)}\n`;
  if (out === undefined) {
    io.stdout(text);
  } else {
    await writeFileAtomic(at(out), text, PUBLIC_FILE_MODE, out);
    const leaf = signer.chain?.[0];
    const by = leaf ? `as ${leaf.subjectAltName.uri[0] ?? leaf.subject.text}` : `with kid ${header.kid}`;
    const added = sigs.length - ((card['signatures'] as unknown[] | undefined)?.length ?? 0);
    const which = added === 1 ? `signature ${sigs.length - 1}` : `signatures ${sigs.length - added}..${sigs.length - 1}`;
    io.stdout(`signed ${cardPath} ${by}: ${displayPath(io.cwd, at(out))} (${which})\n`);
    if (jwksPath !== undefined) io.stdout(`public key set: ${displayPath(io.cwd, at(jwksPath))}\n`);
  }
  return EXIT_OK;
}

/**
 * The chain of `--cert` and the key of `--key`, proved to be its leaf's; a leaf outside its validity
 * is refused, since a card signed with it would never verify.
 */
async function certificateSigner(certPath: string, certText: string, keyPath: string, keyText: string, alg: AgentCardAlgorithm | undefined): Promise<Signer> {
  const chain = await asInput(`--cert ${certPath}`, () => parseCertificates(certText));
  const leaf = chain[0]!;
  const privateKey = await asInput(`--key ${keyPath}`, async () => {
    const key = await importPrivateKeyFor(keyText, leaf);
    // WebCrypto binds an RSA key to one scheme and hash, and importPrivateKeyFor imports it for
    // RS256: for another RS or PS algorithm the key, now proved the leaf's, is imported for that one
    return key.algorithm.name === 'RSASSA-PKCS1-v1_5' && alg !== undefined && alg !== 'RS256' && /^(RS|PS)/.test(alg) ? importPrivateKey(keyText, alg) : key;
  });
  const now = new Date();
  if (leaf.notAfter < now) throw new TrustError('ERR_X509_EXPIRED', `--cert ${certPath}: the certificate expired at ${isoTime(leaf.notAfter)}`);
  if (leaf.notBefore > now) throw new TrustError('ERR_X509_NOT_YET_VALID', `--cert ${certPath}: the certificate is valid from ${isoTime(leaf.notBefore)}`);
  return { privateKey, chain };
}

function parseAlgorithm(text: string | undefined): AgentCardAlgorithm | undefined {
  if (text === undefined) return undefined;
  // JWS algorithm names are case-sensitive (RFC 7515 §4.1.1): 'es256' is not ES256
  if (!(ALGORITHMS as readonly string[]).includes(text)) throw usageError(`--alg: unknown algorithm '${text}' (use one of ${ALGORITHMS.join(', ')})`);
  return text as AgentCardAlgorithm;
}

function isHttpsUrl(s: string): boolean {
  try {
    return new URL(s).protocol === 'https:';
  } catch {
    return false;
  }
}
