/** Loading the dev CA that `cardtrust ca init` wrote, for `ca issue`. */
import { TrustError, parseCertificate, parseCertificates, type Certificate, type TrustDomain } from './core.js';
import { asInput, CliError, EXIT_USAGE } from './errors.js';
import { readTextFile } from './files.js';
import { displayPath } from './format.js';
import { importPrivateKeyFor } from './keys.js';
import type { CaFiles } from './layout.js';
import { caTrustDomain } from './trust-domain.js';

export interface LoadedCa {
  readonly trustDomain: TrustDomain;
  readonly intermediate: Certificate;
  readonly intermediatePem: string;
  readonly intermediateKey: CryptoKey;
  /** The trust bundle (bundle.pem), as written. */
  readonly bundlePem: string;
}

/**
 * Reads the intermediate CA (certificate and key) and the bundle from a CA folder. Missing files
 * point at `cardtrust ca init`; the trust domain is the one the intermediate's SPIFFE URI SAN names.
 *
 * @example
 * const ca = await loadCa(caFiles('.cardtrust', process.cwd()), process.cwd())
 */
export async function loadCa(files: CaFiles, cwd: string): Promise<LoadedCa> {
  const read = async (path: string) => {
    try {
      return await readTextFile(path, 'CA file', displayPath(cwd, path));
    } catch (err) {
      if (err instanceof CliError) throw new CliError(err.code, `${err.message} (create the CA with 'cardtrust ca init')`, EXIT_USAGE, { cause: err });
      throw err;
    }
  };
  const [intermediatePem, keyPem, bundlePem] = await Promise.all([read(files.intermediateCert), read(files.intermediateKey), read(files.bundlePem)]);
  const intermediate = await asInput(displayPath(cwd, files.intermediateCert), () => parseCertificate(intermediatePem));
  await asInput(displayPath(cwd, files.bundlePem), () => parseCertificates(bundlePem));
  const trustDomain = await asInput(displayPath(cwd, files.intermediateCert), () => {
    const td = caTrustDomain(intermediate);
    if (!td) throw new TrustError('ERR_INPUT_INVALID', 'the intermediate CA names no trust domain (no spiffe://<td> URI SAN)');
    return td;
  });
  const intermediateKey = await asInput(displayPath(cwd, files.intermediateKey), () => importPrivateKeyFor(keyPem, intermediate));
  return { trustDomain, intermediate, intermediatePem, intermediateKey, bundlePem };
}
