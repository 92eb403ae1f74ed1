/**
 * Trust bundles named on the command line (`--bundle`), each scoped to the trust domain it speaks
 * for. A SPIFFE bundle document does not name its trust domain and a PEM file cannot, so the trust
 * domain comes from the verifier's own material: the roots' SPIFFE URI SAN (`spiffe://<td>`, as
 * `cardtrust ca init` and SPIRE write them), else `--trust-domain`. Never from the card being
 * verified: a signer must not choose which trust domain a root vouches for.
 */
import { resolve } from 'node:path';
import { BundleSet, TrustBundle, TrustError, parseBundle, type TrustDomain } from './core.js';
import { asInput, usageError } from './errors.js';
import { readTextFile } from './files.js';
import { bundleTrustDomain } from './trust-domain.js';

// Parsing needs some trust domain before we know the real one; the bundle is rebuilt for the real
// one right after, so this reserved name (RFC 2606) never reaches a verifier.
const UNSCOPED = 'unscoped.invalid';

export interface LoadedBundle {
  readonly path: string;
  readonly trustDomain: TrustDomain;
  /** Where the trust domain came from. */
  readonly scopedBy: 'root-san' | '--trust-domain';
}

/**
 * Reads each bundle file (SPIFFE bundle JSON or PEM) and scopes it to its trust domain. Failures
 * are exit-2 input errors naming the file; two files for one trust domain are a usage error.
 *
 * @example
 * const { set, loaded } = await loadBundles(['.cardtrust/bundle.spiffe.json'], process.cwd(), undefined)
 */
export async function loadBundles(paths: readonly string[], cwd: string, fallback: TrustDomain | undefined): Promise<{ set: BundleSet; loaded: LoadedBundle[] }> {
  const set = new BundleSet();
  const loaded: LoadedBundle[] = [];
  for (const path of paths) {
    const text = await readTextFile(resolve(cwd, path), '--bundle', path);
    const bundle = await asInput(`--bundle ${path}`, () => {
      const parsed = parseBundle(text, UNSCOPED);
      const own = bundleTrustDomain(parsed.x509Authorities);
      const td = own ?? fallback;
      if (!td) {
        throw new TrustError('ERR_BUNDLE_INVALID', "no root names its trust domain (no spiffe://<td> URI SAN); say which with --trust-domain");
      }
      return {
        scopedBy: own ? ('root-san' as const) : ('--trust-domain' as const),
        bundle: new TrustBundle(td, {
          x509Authorities: parsed.x509Authorities,
          jwtAuthorities: new Map([...parsed.jwtAuthorities].map(([kid, jwk]) => [kid, jwk as JsonWebKey])),
          ...(parsed.sequence === undefined ? {} : { sequence: parsed.sequence }),
          ...(parsed.refreshHint === undefined ? {} : { refreshHint: parsed.refreshHint }),
        }),
      };
    });
    if (set.has(bundle.bundle.trustDomain)) throw usageError(`two --bundle files for trust domain ${bundle.bundle.trustDomain.name}`);
    set.add(bundle.bundle);
    loaded.push({ path, trustDomain: bundle.bundle.trustDomain, scopedBy: bundle.scopedBy });
  }
  return { set, loaded };
}
