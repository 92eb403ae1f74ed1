/** `cardtrust ca issue`: an X509-SVID from the dev CA. */
import {
  ExtKeyUsage,
  KeyUsage,
  TrustError,
  parseCertificate,
  parseSpiffeId,
  TrustBundle,
  verifyX509Svid,
} from '../../../shared/index.js';
import { exportPrivateKeyPem, generateKeyPair, issueCertificate } from '../../../shared/ca/index.js';
import { optionalString, type ParsedArgs } from '../args.js';
import { loadCa } from '../ca.js';
import type { CliIo } from '../command.js';
import { parseDuration } from '../duration.js';
import { asInput, CliError, EXIT_OK, EXIT_USAGE, type ExitCode } from '../errors.js';
import { KEY_FILE_MODE, PUBLIC_FILE_MODE, writeFileAtomic } from '../files.js';
import { displayPath, isoTime } from '../format.js';
import { caFiles, DEFAULT_CA_DIR, svidFiles } from '../layout.js';

const DEFAULT_TTL = '24h';
// the leaf starts a little in the past so a peer whose clock runs behind still accepts it
const BACKDATE_MS = 60_000;

/** Runs `cardtrust ca issue` (see the command's help text). */
export async function run({ values, positionals }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const id = await asInput('SPIFFE ID', () => parseSpiffeId(positionals[0]!));
  if (id.path === '') throw new CliError('ERR_SPIFFE_ID_INVALID', `an X509-SVID needs an ID with a path, e.g. ${id}/agent`, EXIT_USAGE);
  const ttlMs = parseDuration(optionalString(values, 'ttl') ?? DEFAULT_TTL);
  const ca = await loadCa(caFiles(optionalString(values, 'dir') ?? DEFAULT_CA_DIR, io.cwd), io.cwd);
  if (!id.memberOf(ca.trustDomain)) {
    throw new CliError('ERR_SPIFFE_ID_NOT_AUTHORIZED', `${id} is not in the CA's trust domain ${ca.trustDomain.name}`, EXIT_USAGE);
  }

  const now = Date.now();
  if (ca.intermediate.notAfter.getTime() <= now) {
    throw new TrustError('ERR_X509_EXPIRED', `the intermediate CA expired at ${isoTime(ca.intermediate.notAfter)} (replace the CA with 'cardtrust ca init --force')`);
  }
  let notAfter = new Date(now + ttlMs);
  if (notAfter > ca.intermediate.notAfter) {
    // an SVID outliving its issuer would fail path validation anyway; say so instead of minting it
    notAfter = ca.intermediate.notAfter;
    io.stderr(`cardtrust: note: --ttl capped to the intermediate CA's lifetime (until ${isoTime(notAfter)})\n`);
  }

  const keys = await generateKeyPair('P-256');
  const leaf = await issueCertificate({
    subject: 'O=cardtrust',
    publicKey: keys.publicKey,
    issuer: { certificate: ca.intermediatePem, privateKey: ca.intermediateKey },
    notBefore: new Date(Math.max(now - BACKDATE_MS, ca.intermediate.notBefore.getTime())),
    notAfter,
    ca: false,
    keyUsage: KeyUsage.digitalSignature,
    extKeyUsage: [ExtKeyUsage.serverAuth, ExtKeyUsage.clientAuth],
    uris: [id.toString()],
  });

  // Prove the SVID verifies against the CA's own bundle before writing it: a CA folder whose
  // intermediate no longer chains to bundle.pem (edited, half-replaced) fails here, not at a peer.
  try {
    await verifyX509Svid([leaf.der, ca.intermediate], TrustBundle.fromPem(ca.trustDomain, ca.bundlePem));
  } catch (err) {
    const why = err instanceof TrustError ? err : new TrustError('ERR_INTERNAL', 'verification failed', { cause: err });
    throw new TrustError(why.code, `the issued SVID does not verify against the CA's bundle: ${why.message}`, { cause: err });
  }

  const out = svidFiles(caFiles(optionalString(values, 'dir') ?? DEFAULT_CA_DIR, io.cwd), id.path, optionalString(values, 'out'), io.cwd);
  const show = (p: string) => displayPath(io.cwd, p);
  await writeFileAtomic(out.key, await exportPrivateKeyPem(keys.privateKey), KEY_FILE_MODE, show(out.key));
  await writeFileAtomic(out.cert, leaf.pem + ca.intermediatePem, PUBLIC_FILE_MODE, show(out.cert));
  await writeFileAtomic(out.bundle, ca.bundlePem, PUBLIC_FILE_MODE, show(out.bundle));

  io.stdout(
    `issued ${id} valid until ${isoTime(parseCertificate(leaf.der).notAfter)}\n` +
      `  svid.pem         ${show(out.cert)}\n` +
      `  svid_key.pem     ${show(out.key)}\n` +
      `  svid_bundle.pem  ${show(out.bundle)}\n`,
  );
  return EXIT_OK;
}
