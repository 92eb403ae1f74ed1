/** `cardtrust ca init`: a dev root and intermediate CA for one trust domain. */
import {
  KeyUsage,
  TrustBundle,
  parseCertificate,
  parseSpiffeBundle,
  parseTrustDomain,
  serializeSpiffeBundle,
  type TrustDomain,
} from '../../../shared/index.js';
import { exportPrivateKeyPem, generateKeyPair, issueCertificate } from '../../../shared/ca/index.js';
import { optionalString, requireString, type ParsedArgs } from '../args.js';
import type { CliIo } from '../command.js';
import { asInput, CliError, EXIT_FAILED, EXIT_OK, type ExitCode } from '../errors.js';
import { exists, KEY_FILE_MODE, PUBLIC_FILE_MODE, readTextFile, writeFileAtomic } from '../files.js';
import { caFiles, DEFAULT_CA_DIR } from '../layout.js';
import { displayPath, isoTime } from '../format.js';

const YEAR_MS = 365 * 86_400_000;
const ROOT_LIFETIME_MS = 10 * YEAR_MS;
const INTERMEDIATE_LIFETIME_MS = 5 * YEAR_MS;
// certificates start a little in the past so a peer whose clock runs behind still accepts them
const BACKDATE_MS = 60_000;
/** spiffe_refresh_hint of the written SPIFFE bundle, in seconds. */
const REFRESH_HINT_S = 300;

/** Runs `cardtrust ca init` (see the command's help text). */
export async function run({ values }: ParsedArgs, io: CliIo): Promise<ExitCode> {
  const td = await asInput('--trust-domain', () => parseTrustDomain(requireString(values, 'trust-domain')));
  const files = caFiles(optionalString(values, 'dir') ?? DEFAULT_CA_DIR, io.cwd);
  const previous = [files.rootCert, files.rootKey, files.intermediateCert, files.intermediateKey, files.bundlePem, files.bundleSpiffe];
  const existing: string[] = [];
  for (const f of previous) if (await exists(f)) existing.push(f);
  if (existing.length > 0 && values['force'] !== true) {
    throw new CliError('ERR_FILE_EXISTS', `a CA already exists in ${files.dir} (use --force to replace it)`, EXIT_FAILED);
  }
  const sequence = (await previousSequence(files.bundleSpiffe)) + 1;

  const now = Date.now();
  const notBefore = new Date(now - BACKDATE_MS);
  const caUsage = KeyUsage.keyCertSign | KeyUsage.cRLSign;
  // The trust domain ID as URI SAN lets verifiers read which trust domain a bundle speaks for
  // (SPIRE does the same); the URI name constraint stops the CA from vouching for IDs of any
  // other trust domain, and sits on the intermediate too since verifiers may not apply a
  // trust anchor's own constraints.
  const scope = { uris: [td.idString()], nameConstraints: { permitted: { uri: [td.name] }, critical: true } };

  const rootKeys = await generateKeyPair('P-256');
  const root = await issueCertificate({
    subject: subjectFor(td, 'root'),
    publicKey: rootKeys.publicKey,
    privateKey: rootKeys.privateKey,
    notBefore,
    notAfter: new Date(now + ROOT_LIFETIME_MS),
    ca: true,
    pathLen: 1,
    keyUsage: caUsage,
    ...scope,
  });
  const intKeys = await generateKeyPair('P-256');
  const intermediate = await issueCertificate({
    subject: subjectFor(td, 'intermediate'),
    publicKey: intKeys.publicKey,
    issuer: { certificate: root.der, privateKey: rootKeys.privateKey },
    notBefore,
    notAfter: new Date(now + INTERMEDIATE_LIFETIME_MS),
    ca: true,
    pathLen: 0,
    keyUsage: caUsage,
    ...scope,
  });
  const bundle = new TrustBundle(td, { x509Authorities: [root.der], sequence, refreshHint: REFRESH_HINT_S });

  const show = (p: string) => displayPath(io.cwd, p);
  await writeFileAtomic(files.rootKey, await exportPrivateKeyPem(rootKeys.privateKey), KEY_FILE_MODE, show(files.rootKey));
  await writeFileAtomic(files.intermediateKey, await exportPrivateKeyPem(intKeys.privateKey), KEY_FILE_MODE, show(files.intermediateKey));
  await writeFileAtomic(files.rootCert, root.pem, PUBLIC_FILE_MODE, show(files.rootCert));
  await writeFileAtomic(files.intermediateCert, intermediate.pem, PUBLIC_FILE_MODE, show(files.intermediateCert));
  await writeFileAtomic(files.bundlePem, root.pem, PUBLIC_FILE_MODE, show(files.bundlePem));
  // the bundle last: a consumer that sees the new bundle sees a complete CA
  await writeFileAtomic(files.bundleSpiffe, `${serializeSpiffeBundle(bundle, 2)}\n`, PUBLIC_FILE_MODE, show(files.bundleSpiffe));

  io.stdout(
    `${existing.length > 0 ? 'replaced' : 'created'} dev CA for trust domain ${td.name} in ${show(files.dir)}\n` +
      `  root CA          ${show(files.rootCert)} (key ${show(files.rootKey)}), valid until ${isoTime(parseCertificate(root.der).notAfter)}\n` +
      `  intermediate CA  ${show(files.intermediateCert)} (key ${show(files.intermediateKey)}), valid until ${isoTime(parseCertificate(intermediate.der).notAfter)}\n` +
      `  trust bundle     ${show(files.bundlePem)}, ${show(files.bundleSpiffe)} (spiffe_sequence ${sequence})\n`,
  );
  return EXIT_OK;
}

function subjectFor(td: TrustDomain, role: 'root' | 'intermediate'): string {
  // trust domain names are [a-z0-9._-] only, so no RFC 4514 escaping is needed
  return `CN=cardtrust dev ${role} CA,O=${td.name}`;
}


/** The spiffe_sequence of a bundle being replaced, so consumers that cache by sequence see a change. */
async function previousSequence(path: string): Promise<number> {
  if (!(await exists(path))) return 0;
  try {
    const text = await readTextFile(path, 'bundle');
    return parseSpiffeBundle(text, 'replaced.invalid').sequence ?? 0;
  } catch {
    return 0; // an unreadable old bundle is being replaced anyway
  }
}
