/**
 * Where the dev CA keeps its files. One folder per trust domain (default `.cardtrust`):
 *
 *   root.pem, root_key.pem                  self-signed root CA (key 0600)
 *   intermediate.pem, intermediate_key.pem  intermediate CA signed by the root (key 0600)
 *   bundle.pem                              the trust bundle: the root, PEM
 *   bundle.spiffe.json                      the same bundle as a SPIFFE bundle (JWKS)
 *   svids/<id path>/svid.pem                X509-SVIDs from `ca issue`, in the layout SPIRE's
 *   svids/<id path>/svid_key.pem            helper writes: leaf + intermediate, PKCS#8 key (0600),
 *   svids/<id path>/svid_bundle.pem         and the root bundle
 */
import { join, resolve } from 'node:path';

/** Default CA folder, relative to the working directory. */
export const DEFAULT_CA_DIR = '.cardtrust';

export interface CaFiles {
  readonly dir: string;
  readonly rootCert: string;
  readonly rootKey: string;
  readonly intermediateCert: string;
  readonly intermediateKey: string;
  readonly bundlePem: string;
  readonly bundleSpiffe: string;
}

/**
 * The file names of the CA in `dir` (resolved against `cwd`).
 *
 * @example
 * caFiles('.cardtrust', process.cwd()).bundleSpiffe // '/…/.cardtrust/bundle.spiffe.json'
 */
export function caFiles(dir: string, cwd: string): CaFiles {
  const d = resolve(cwd, dir);
  return {
    dir: d,
    rootCert: join(d, 'root.pem'),
    rootKey: join(d, 'root_key.pem'),
    intermediateCert: join(d, 'intermediate.pem'),
    intermediateKey: join(d, 'intermediate_key.pem'),
    bundlePem: join(d, 'bundle.pem'),
    bundleSpiffe: join(d, 'bundle.spiffe.json'),
  };
}

export interface SvidFiles {
  readonly dir: string;
  readonly cert: string;
  readonly key: string;
  readonly bundle: string;
}

/**
 * Where `ca issue` writes an SVID: `outDir` when given, else `<ca dir>/svids/<path of the ID>`.
 * SPIFFE ID paths are validated before this (no empty, `.` or `..` segments), so the folder stays
 * inside the CA folder.
 *
 * @example
 * svidFiles(ca, '/agent/a').cert // '<ca dir>/svids/agent/a/svid.pem'
 */
export function svidFiles(ca: CaFiles, idPath: string, outDir: string | undefined, cwd: string): SvidFiles {
  const d = outDir !== undefined ? resolve(cwd, outDir) : join(ca.dir, 'svids', ...idPath.split('/').filter(Boolean));
  return { dir: d, cert: join(d, 'svid.pem'), key: join(d, 'svid_key.pem'), bundle: join(d, 'svid_bundle.pem') };
}
