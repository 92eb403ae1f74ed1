/** `verifyChain`: path building with backtracking and RFC 5280 §6 path validation (the subset in docs/x509.md). */
import { describeCertificate } from './lib/describe.js';
import { TrustError } from '../errors.js';
import { bytesEqual } from '../lib/encoding.js';
import type { CertificateInput, VerifiedChain, VerifyChainOptions } from './types.js';
import { ExtKeyUsage, KeyUsage } from './types.js';
import { ParsedCertificate } from './lib/certificate.js';
import { applyNameConstraints, type ConstraintBudget } from './lib/constraints.js';
import { checkProfile } from './lib/profile.js';
import { checkSignature } from './lib/signature.js';
import { parseCertificate, parseCertificates } from './parse.js';

export const DEFAULT_MAX_DEPTH = 8;
export const DEFAULT_MAX_INTERMEDIATES = 32;
export const DEFAULT_MAX_SIGNATURE_CHECKS = 64;
/** Issuer candidates examined per call (name matches, before any signature check). */
export const MAX_CANDIDATES = 256;

// How far a failed candidate path got; the most advanced failure is the one reported.
const RANK_TOO_LONG = 1;
const RANK_LINK = 2; // a signature link failed (bad signature, unusable key or algorithm)
const RANK_AT_ROOT = 3; // the path reached a trusted root with a valid signature chain but broke a rule

interface Search {
  readonly at: number;
  readonly usageOid: string | undefined;
  readonly maxDepth: number;
  readonly maxSignatureChecks: number;
  readonly roots: Map<string, ParsedCertificate[]>;
  readonly intermediates: Map<string, ParsedCertificate[]>;
  readonly rootSet: Set<ParsedCertificate>;
  /** Signature checks by subject and issuer, started at most once each: null when it verified. */
  readonly links: Map<ParsedCertificate, Map<ParsedCertificate, Promise<TrustError | null>>>;
  signatureChecks: number;
  candidates: number;
  /** Name comparisons spent on name constraints in this call (bounded by MAX_NAME_COMPARISONS). */
  readonly constraints: ConstraintBudget;
  best: { rank: number; error: TrustError } | undefined;
}

function asParsed(input: CertificateInput): ParsedCertificate {
  return parseCertificate(input) as ParsedCertificate;
}

function index(certs: Iterable<ParsedCertificate>): Map<string, ParsedCertificate[]> {
  const map = new Map<string, ParsedCertificate[]>();
  for (const c of certs) {
    const list = map.get(c.subject.key);
    if (list) list.push(c);
    else map.set(c.subject.key, [c]);
  }
  return map;
}

/** Rules on one certificate that hold wherever it sits in a path. */
function checkValidity(cert: ParsedCertificate, at: number): void {
  if (at < cert.notBeforeMs) throw new TrustError('ERR_X509_NOT_YET_VALID', `certificate ${describeCertificate(cert)} is not valid before ${cert.notBefore.toISOString()}`);
  if (at > cert.notAfterMs) throw new TrustError('ERR_X509_EXPIRED', `certificate ${describeCertificate(cert)} expired at ${cert.notAfter.toISOString()}`);
}

function checkCommon(cert: ParsedCertificate, s: Search): void {
  checkValidity(cert, s.at);
  if (cert.unknownCritical !== undefined) {
    throw new TrustError('ERR_X509_CRITICAL_EXTENSION', `certificate ${describeCertificate(cert)} has an unrecognised critical extension ${cert.unknownCritical}`);
  }
  const eku = cert.extKeyUsage;
  // like Go: an EKU extension anywhere on the path must allow the requested usage
  if (s.usageOid && eku && !eku.includes(s.usageOid) && !eku.includes(ExtKeyUsage.any)) {
    throw new TrustError('ERR_X509_EKU_MISMATCH', `certificate ${describeCertificate(cert)} does not allow extended key usage ${s.usageOid}`);
  }
}

/**
 * Rules on `ca` as the issuer of `path[path.length - 1]`, with `path` (leaf first) below it. The
 * RFC 5280 §4 profile rules (lib/profile.ts) apply unless `ca` is the trust anchor.
 */
function checkIssuer(ca: ParsedCertificate, path: readonly ParsedCertificate[], s: Search, isRoot: boolean): void {
  checkCommon(ca, s);
  if (!ca.basicConstraints?.ca) throw new TrustError('ERR_X509_ISSUER_NOT_CA', `issuer ${describeCertificate(ca)} is not a CA (basicConstraints cA)`);
  if (ca.keyUsage !== undefined && (ca.keyUsage & KeyUsage.keyCertSign) === 0) {
    throw new TrustError('ERR_X509_KEY_USAGE_INVALID', `issuer ${describeCertificate(ca)} lacks keyCertSign`);
  }
  const pathLen = ca.basicConstraints.pathLen;
  if (pathLen !== undefined) {
    // intermediates between this CA and the leaf, not counting self-issued ones (RFC 5280 §6.1.4 (l))
    let n = 0;
    for (let i = 1; i < path.length; i++) if (!path[i]!.selfIssued) n++;
    if (n > pathLen) throw new TrustError('ERR_X509_PATH_LEN_EXCEEDED', `issuer ${describeCertificate(ca)} allows ${pathLen} intermediate(s) below it, path has ${n}`);
  }
  if (!isRoot) checkProfile(ca);
  applyNameConstraints(ca, path, s.constraints);
}

function record(s: Search, rank: number, error: TrustError): void {
  if (!s.best || rank > s.best.rank) s.best = { rank, error };
}

/** Candidate issuers of `cert`: roots first, then intermediates; matching key identifiers before unknown ones. */
function candidates(cert: ParsedCertificate, path: readonly ParsedCertificate[], s: Search): Array<[ParsedCertificate, boolean]> {
  const out: Array<[ParsedCertificate, boolean]> = [];
  for (const [list, isRoot] of [[s.roots.get(cert.issuer.key), true], [s.intermediates.get(cert.issuer.key), false]] as const) {
    if (!list) continue;
    const unknownId: ParsedCertificate[] = [];
    for (const c of list) {
      if (path.includes(c)) continue;
      if (cert.authorityKeyId && c.subjectKeyId) {
        // both identifiers present and different: not this certificate's issuer
        if (bytesEqual(cert.authorityKeyId, c.subjectKeyId)) out.push([c, isRoot]);
      } else unknownId.push(c);
    }
    for (const c of unknownId) out.push([c, isRoot]);
  }
  return out;
}

function link(subject: ParsedCertificate, issuer: ParsedCertificate, s: Search): Promise<TrustError | null> {
  let memo = s.links.get(subject);
  const known = memo?.get(issuer);
  if (known !== undefined) return known;
  if (++s.signatureChecks > s.maxSignatureChecks) {
    return Promise.reject(new TrustError('ERR_X509_PATH_SEARCH_LIMIT', `path search needed more than ${s.maxSignatureChecks} signature checks`));
  }
  const result = checkSignature(subject, issuer).then(
    () => null,
    (err: unknown) => {
      if (!(err instanceof TrustError)) throw new TrustError('ERR_INTERNAL', 'signature check failed', { cause: err });
      return err;
    },
  );
  if (!memo) s.links.set(subject, (memo = new Map()));
  memo.set(issuer, result);
  return result;
}

/**
 * Starts the signature checks of the path the search tries first (each certificate's first
 * candidate issuer, up to a root or the depth limit) side by side, before the search awaits the
 * first of them: for the usual chain that is the whole path, so its checks and key imports overlap
 * instead of running one after another. The search finds them memoized. On a path that fails
 * early this may check a few signatures the search would not have (at most maxDepth − 1, counted
 * against maxSignatureChecks like every other).
 */
function prefetch(leaf: ParsedCertificate, s: Search): void {
  const path = [leaf];
  let cert = leaf;
  while (path.length < s.maxDepth && s.signatureChecks < s.maxSignatureChecks) {
    const first = candidates(cert, path, s)[0];
    if (!first) return;
    const [cand, isRoot] = first;
    link(cert, cand, s).catch(() => {}); // awaited by the search when it gets there
    if (isRoot) return;
    path.push(cand);
    cert = cand;
  }
}

/**
 * Depth-first search from the end of `path` towards a root. `soft` is the first rule broken so
 * far: the search continues past it so that it can tell "broke a rule on the way to a trusted
 * root" (reported) from "never reached a root" (untrusted).
 */
async function extend(path: ParsedCertificate[], soft: TrustError | undefined, s: Search): Promise<ParsedCertificate[] | undefined> {
  const cert = path[path.length - 1]!;
  for (const [cand, isRoot] of candidates(cert, path, s)) {
    if (++s.candidates > MAX_CANDIDATES) throw new TrustError('ERR_X509_PATH_SEARCH_LIMIT', `path search examined more than ${MAX_CANDIDATES} candidate issuers`);
    if (path.length + 1 > s.maxDepth) {
      record(s, RANK_TOO_LONG, new TrustError('ERR_X509_CHAIN_TOO_LONG', `no trusted path within ${s.maxDepth} certificates`));
      continue;
    }
    const linkError = await link(cert, cand, s);
    if (linkError) {
      record(s, RANK_LINK, linkError);
      continue;
    }
    let error = soft;
    if (!error) {
      try {
        checkIssuer(cand, path, s, isRoot);
      } catch (err) {
        // a work bound ends the call, like the path search limits
        if (!(err instanceof TrustError) || err.code === 'ERR_X509_CONSTRAINTS_TOO_COMPLEX') throw err;
        error = err;
      }
    }
    if (isRoot) {
      if (!error) return [...path, cand];
      record(s, RANK_AT_ROOT, error);
      continue;
    }
    const found = await extend([...path, cand], error, s);
    if (found) return found;
  }
  return undefined;
}

const USAGE_OIDS: Readonly<Record<string, string | undefined>> = {
  serverAuth: ExtKeyUsage.serverAuth,
  clientAuth: ExtKeyUsage.clientAuth,
  any: undefined,
};

/**
 * Builds a path from `leaf` through `intermediates` (any order, untrusted) to one of `roots`
 * (trust anchors) and validates it at `at`. Tries every candidate path depth-first until one
 * validates; throws the most advanced failure otherwise (see docs/x509.md for the exact rules).
 *
 * @example
 * const { chain } = await verifyChain({ leaf: svid[0], intermediates: svid.slice(1), roots: [bundlePem], usage: 'clientAuth' })
 * console.log(chain.map((c) => c.subject.text)) // leaf first, root last
 */
export async function verifyChain(options: VerifyChainOptions): Promise<VerifiedChain> {
  const at = options.at === undefined ? Date.now() : options.at instanceof Date ? options.at.getTime() : NaN;
  if (!Number.isFinite(at)) throw new TrustError('ERR_INPUT_INVALID', '`at` must be a valid Date');
  const usage = options.usage ?? 'any';
  if (!(usage in USAGE_OIDS)) throw new TrustError('ERR_INPUT_INVALID', `unknown usage ${String(usage)}`);
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 2 || maxDepth > 32) throw new TrustError('ERR_INPUT_INVALID', 'maxDepth must be an integer in 2..32');
  const maxIntermediates = options.maxIntermediates ?? DEFAULT_MAX_INTERMEDIATES;
  const maxSignatureChecks = options.maxSignatureChecks ?? DEFAULT_MAX_SIGNATURE_CHECKS;

  const leaf = asParsed(options.leaf);
  // a PEM bundle string where a list is expected would otherwise be read one character at a time
  const list = (name: string) => `\`${name}\` must be an array of certificates (a PEM bundle string goes in one element: [pem])`;
  if (!Array.isArray(options.roots)) throw new TrustError('ERR_INPUT_INVALID', list('roots'));
  if (options.intermediates !== undefined && !Array.isArray(options.intermediates)) throw new TrustError('ERR_INPUT_INVALID', list('intermediates'));
  const roots = parseCertificates(options.roots) as ParsedCertificate[];
  const inter: ParsedCertificate[] = [];
  for (const item of options.intermediates ?? []) {
    for (const c of parseCertificates([item])) {
      if (inter.length >= maxIntermediates) throw new TrustError('ERR_X509_PATH_SEARCH_LIMIT', `more than ${maxIntermediates} intermediate certificates`);
      inter.push(c as ParsedCertificate);
    }
  }
  const rootSet = new Set(roots);
  const distinct = new Set(inter.filter((c) => c !== leaf && !rootSet.has(c)));

  const s: Search = {
    at,
    usageOid: USAGE_OIDS[usage],
    maxDepth,
    maxSignatureChecks,
    roots: index(rootSet),
    intermediates: index(distinct),
    rootSet,
    links: new Map(),
    signatureChecks: 0,
    candidates: 0,
    constraints: { used: 0 },
    best: undefined,
  };

  // the leaf is on every path: its own failures are final
  checkCommon(leaf, s);
  checkProfile(leaf);
  prefetch(leaf, s);
  const chain = await extend([leaf], undefined, s);
  if (chain) return { chain };
  if (s.best) throw s.best.error;
  throw new TrustError('ERR_X509_CHAIN_UNTRUSTED', `no path from ${describeCertificate(leaf)} to a trusted root`);
}
