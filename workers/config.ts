/**
 * Worker configuration from its environment (wrangler `[vars]`, secrets, `.dev.vars`). Parsed
 * once per isolate; every value is checked, and a bad one is `ERR_CONFIG_INVALID` naming the
 * variable — never a silent fallback (a security option either works or the worker refuses).
 */
import { TrustError } from '../shared/errors.js';
import { parseTrustDomain } from '../shared/spiffe/index.js';
import { parseBundle, parseSpiffeBundle, serializeSpiffeBundle, type TrustBundle } from '../shared/bundle/index.js';
import { AGENT_CARD_PROFILES, parseAgentCardKeySets, type AgentCardKeySet, type AgentCardProfile } from '../shared/agentcard/index.js';
import type { RateLimitPolicy } from '../shared/store/index.js';
import { decodePemBlocks, pkcs8KeyType } from '../shared/x509/index.js';
import { MIN_SEAL_SECRET_BYTES } from '../shared/session/index.js';
import type { CorsPolicy } from './http/cors.js';

/** The variables the worker reads. Anything else in `env` is ignored. */
export const CONFIG_VARIABLES = [
  'TRUST_BUNDLES',
  'TRUST_BUNDLE_ENDPOINTS',
  'DEFAULT_TRUST_DOMAIN',
  'DEFAULT_MODE',
  'FETCH_ALLOWED_ORIGINS',
  'FETCH_TIMEOUT_MS',
  'JKU_ALLOWED_ORIGINS',
  'TRUSTED_KEYS',
  'ALLOWED_PROFILES',
  'CORS_ALLOWED_ORIGINS',
  'RATE_LIMIT',
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'STORE_TIMEOUT_MS',
  'CONTROL_PLANE_TOKEN',
  'SESSION_SEAL_SECRET',
  'BOOTSTRAP_PRIVATE_KEY',
  'SESSION_ISSUER',
  'SESSION_AUDIENCE',
  'SESSION_TTL_SECONDS',
] as const;

export type ConfigVariable = (typeof CONFIG_VARIABLES)[number];
export type WorkerEnv = Partial<Record<ConfigVariable, unknown>> & Record<string, unknown>;

/** A configured trust domain's bundle and its published form (`GET /v1/bundles/{td}`). */
export interface ConfiguredBundle {
  bundle: TrustBundle;
  /** The SPIFFE bundle JWKS served for this trust domain. */
  document: string;
  /** Seconds clients may cache the document: `spiffe_refresh_hint`, or 300. */
  maxAge: number;
}

export interface WorkerConfig {
  bundles: ReadonlyMap<string, ConfiguredBundle>;
  /** `TRUST_BUNDLE_ENDPOINTS`: trust domain → its `https_web` SPIFFE bundle endpoint URL (federation). */
  bundleEndpoints: ReadonlyMap<string, string>;
  defaultTrustDomain: string | undefined;
  defaultMode: 'strict' | 'audit';
  fetchAllowedOrigins: ReadonlySet<string>;
  fetchTimeoutMs: number;
  jkuAllowedOrigins: readonly string[] | undefined;
  /** `TRUSTED_KEYS` as key sets, each optionally scoped to the SPIFFE ID its keys vouch for. */
  trustedKeys: readonly AgentCardKeySet[] | undefined;
  /** `ALLOWED_PROFILES`: the canonical profiles tried; undefined = the core's default (jcs-clean, a2a-sdk, spec). */
  allowedProfiles: readonly AgentCardProfile[] | undefined;
  cors: CorsPolicy | undefined;
  rateLimit: RateLimitPolicy | undefined;
  upstash: { url: string; token: string } | undefined;
  storeTimeoutMs: number;
  /** The session control plane (`/v1/sessions`), when its three secrets are configured. */
  sessions: SessionConfig | undefined;
}

/** The session control plane's configuration (docs/sessions.md). */
export interface SessionConfig {
  /** The bearer token of `/v1/sessions*` callers. */
  controlPlaneToken: string;
  /** The master secret sealed session keys are encrypted under (HKDF input). */
  sealSecret: string;
  /** The bootstrap signing key, PKCS#8 PEM (checked here, imported once by the app). */
  bootstrapPrivateKeyPem: string;
  /** `bootstrap` for ES256 (EC P-256), RS256 for RSA. */
  bootstrapAlg: 'ES256' | 'RS256';
  issuer: string;
  audience: string;
  /** Lifetime of a session (its sealed key), in seconds. */
  ttlSeconds: number;
}

/** `max-age` for a bundle without `spiffe_refresh_hint`. */
export const DEFAULT_BUNDLE_MAX_AGE = 300;

function bad(variable: ConfigVariable, message: string, cause?: unknown): TrustError {
  return new TrustError('ERR_CONFIG_INVALID', `${variable}: ${message}`, cause === undefined ? undefined : { cause });
}

/** The variable as a trimmed string, or undefined when unset or empty. Objects only where allowed. */
function text(env: WorkerEnv, name: ConfigVariable): string | undefined {
  const v = env[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(name, 'must be a string');
  const t = v.trim();
  return t === '' ? undefined : t;
}

function jsonValue(env: WorkerEnv, name: ConfigVariable): unknown {
  const v = env[name];
  if (v !== null && typeof v === 'object') return v; // a wrangler [vars] table arrives as an object
  const t = text(env, name);
  if (t === undefined) return undefined;
  try {
    return JSON.parse(t);
  } catch (err) {
    throw bad(name, 'is not valid JSON', err);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A comma- or whitespace-separated list of exact origins (`scheme://host[:port]`, nothing else). */
function origins(env: WorkerEnv, name: ConfigVariable, opts: { httpsOnly: boolean; allowAny?: boolean }): string[] | '*' | undefined {
  // `*` is accepted only where "any origin" is meaningful (CORS), never for what we fetch
  const t = text(env, name);
  if (t === undefined) return undefined;
  const items = t.split(/[\s,]+/).filter(Boolean);
  if (opts.allowAny && items.length === 1 && items[0] === '*') return '*';
  return items.map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch (err) {
      throw bad(name, `${JSON.stringify(item)} is not an origin`, err);
    }
    if (url.origin === 'null' || url.origin !== item.replace(/\/$/, '')) {
      throw bad(name, `${JSON.stringify(item)} is not an exact origin (scheme://host[:port], no path)`);
    }
    if (opts.httpsOnly && url.protocol !== 'https:') throw bad(name, `${JSON.stringify(item)} is not an https: origin`);
    if (!opts.httpsOnly && url.protocol !== 'https:' && url.protocol !== 'http:') throw bad(name, `${JSON.stringify(item)} is not an http(s) origin`);
    return url.origin;
  });
}

function positiveInt(env: WorkerEnv, name: ConfigVariable, fallback: number, max: number): number {
  const t = text(env, name);
  if (t === undefined) return fallback;
  if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > max) throw bad(name, `must be an integer from 1 to ${max}`);
  return Number(t);
}

const WINDOW_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `RATE_LIMIT`: `N` requests per minute per client, or `N/<window>` with a window like `10s`, `1m`, `1h`. */
function rateLimit(env: WorkerEnv): RateLimitPolicy | undefined {
  const t = text(env, 'RATE_LIMIT');
  if (t === undefined) return undefined;
  const m = /^(\d+)(?:\s*\/\s*(\d*)\s*(s|m|h))?$/.exec(t);
  const limit = m ? Number(m[1]) : NaN;
  const windowMs = m?.[3] ? Number(m[2] || '1') * WINDOW_UNITS[m[3]]! : 60_000;
  if (!m || !Number.isSafeInteger(limit) || limit < 1 || windowMs < 1000 || windowMs > 86_400_000) {
    throw bad('RATE_LIMIT', 'must be a positive request count per minute ("60") or per window ("100/10s", "1000/1h")');
  }
  return { limit, windowMs };
}

function trustBundles(env: WorkerEnv): Map<string, ConfiguredBundle> {
  const value = jsonValue(env, 'TRUST_BUNDLES');
  const out = new Map<string, ConfiguredBundle>();
  if (value === undefined) return out;
  if (!isPlainObject(value)) throw bad('TRUST_BUNDLES', 'must be a JSON object mapping trust domain to bundle');
  for (const [name, doc] of Object.entries(value)) {
    let td: string;
    try {
      td = parseTrustDomain(name).name;
    } catch (err) {
      throw bad('TRUST_BUNDLES', `${JSON.stringify(name)} is not a trust domain name`, err);
    }
    if (td !== name) throw bad('TRUST_BUNDLES', `${JSON.stringify(name)}: use the bare trust domain name (${td})`);
    let bundle: TrustBundle;
    let document: string;
    try {
      // a string is a SPIFFE bundle JSON text or PEM certificates; an object is a SPIFFE bundle
      if (typeof doc === 'string') bundle = parseBundle(doc, td);
      else if (isPlainObject(doc)) bundle = parseSpiffeBundle(doc, td);
      else throw new TrustError('ERR_BUNDLE_INVALID', 'must be a SPIFFE bundle object, its JSON text, or PEM certificates');
      // serializing reads every authority's key: a PEM root with a key we cannot express is a config error too
      document = serializeSpiffeBundle(bundle);
    } catch (err) {
      const reason = err instanceof TrustError ? err.message : 'invalid bundle';
      throw bad('TRUST_BUNDLES', `bundle of ${td}: ${reason}`, err);
    }
    out.set(td, { bundle, document, maxAge: bundle.refreshHint ?? DEFAULT_BUNDLE_MAX_AGE });
  }
  return out;
}

/**
 * `TRUST_BUNDLE_ENDPOINTS`: `{"partner.test": "https://partner.test/bundle"}` — bundles fetched from
 * SPIFFE bundle endpoints (the Federation standard's `https_web` profile). A trust domain is either
 * configured statically (`TRUST_BUNDLES`) or federated here, never both.
 */
function bundleEndpoints(env: WorkerEnv, statics: ReadonlyMap<string, ConfiguredBundle>): Map<string, string> {
  const value = jsonValue(env, 'TRUST_BUNDLE_ENDPOINTS');
  const out = new Map<string, string>();
  if (value === undefined) return out;
  if (!isPlainObject(value)) throw bad('TRUST_BUNDLE_ENDPOINTS', 'must be a JSON object mapping trust domain to an https bundle endpoint URL');
  for (const [name, url] of Object.entries(value)) {
    let td: string;
    try {
      td = parseTrustDomain(name).name;
    } catch (err) {
      throw bad('TRUST_BUNDLE_ENDPOINTS', `${JSON.stringify(name)} is not a trust domain name`, err);
    }
    if (td !== name) throw bad('TRUST_BUNDLE_ENDPOINTS', `${JSON.stringify(name)}: use the bare trust domain name (${td})`);
    if (statics.has(td)) throw bad('TRUST_BUNDLE_ENDPOINTS', `${td} is also in TRUST_BUNDLES: a trust domain is static or federated, not both`);
    let parsed: URL;
    try {
      if (typeof url !== 'string') throw new Error('not a string');
      parsed = new URL(url);
    } catch (err) {
      throw bad('TRUST_BUNDLE_ENDPOINTS', `the endpoint of ${td} is not a URL`, err);
    }
    if (parsed.protocol !== 'https:') throw bad('TRUST_BUNDLE_ENDPOINTS', `the endpoint of ${td} must be https: (the https_web profile)`);
    if (parsed.username || parsed.password) throw bad('TRUST_BUNDLE_ENDPOINTS', `the endpoint of ${td} must not carry credentials`);
    out.set(td, parsed.toString());
  }
  return out;
}

/**
 * `TRUSTED_KEYS`: a key-set document (shared/agentcard/key-sets.ts): a JWKS object `{"keys": [...]}`,
 * optionally scoped with `"spiffeId"` (the identity its keys vouch for), or a JSON array of such
 * sets. A `kid` is unique across all sets, so the set (and so the scope) a `kid` signature binds to
 * is never ambiguous.
 */
function trustedKeys(env: WorkerEnv): AgentCardKeySet[] | undefined {
  const value = jsonValue(env, 'TRUSTED_KEYS');
  if (value === undefined) return undefined;
  try {
    return parseAgentCardKeySets(value);
  } catch (err) {
    if (err instanceof TrustError) throw bad('TRUSTED_KEYS', err.message, err);
    throw err;
  }
}

/**
 * `ALLOWED_PROFILES`: a comma- or whitespace-separated list of canonical profiles, the exact set
 * verification tries (`jcs-clean,a2a-sdk,spec,python-json` opts into python-json). Unknown or
 * repeated names refuse the configuration.
 */
function allowedProfiles(env: WorkerEnv): AgentCardProfile[] | undefined {
  const t = text(env, 'ALLOWED_PROFILES');
  if (t === undefined) return undefined;
  const out: AgentCardProfile[] = [];
  for (const item of t.split(/[\s,]+/).filter(Boolean)) {
    const p = AGENT_CARD_PROFILES.find((x) => x === item);
    if (!p) throw bad('ALLOWED_PROFILES', `${JSON.stringify(item.slice(0, 40))} is not a profile (known: ${AGENT_CARD_PROFILES.join(', ')})`);
    if (out.includes(p)) throw bad('ALLOWED_PROFILES', `${JSON.stringify(p)} is listed twice`);
    out.push(p);
  }
  if (out.length === 0) throw bad('ALLOWED_PROFILES', 'lists no profile');
  return out;
}

function upstash(env: WorkerEnv): { url: string; token: string } | undefined {
  const url = text(env, 'UPSTASH_REDIS_REST_URL');
  const token = text(env, 'UPSTASH_REDIS_REST_TOKEN');
  if (url === undefined && token === undefined) return undefined;
  if (url === undefined) throw bad('UPSTASH_REDIS_REST_URL', 'is required when UPSTASH_REDIS_REST_TOKEN is set');
  if (token === undefined) throw bad('UPSTASH_REDIS_REST_TOKEN', 'is required when UPSTASH_REDIS_REST_URL is set');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw bad('UPSTASH_REDIS_REST_URL', 'is not a URL', err);
  }
  const loopback = parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost' || parsed.hostname === '[::1]';
  // the token is a bearer secret: plain http only to a local bridge
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw bad('UPSTASH_REDIS_REST_URL', 'must be an https: URL (http: only for localhost)');
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw bad('UPSTASH_REDIS_REST_URL', 'must not carry credentials, a query or a fragment');
  }
  if (/\s/.test(token)) throw bad('UPSTASH_REDIS_REST_TOKEN', 'must not contain whitespace');
  return { url: parsed.href.replace(/\/$/, ''), token };
}

/** Shortest accepted CONTROL_PLANE_TOKEN, in characters. */
export const MIN_CONTROL_PLANE_TOKEN_CHARS = 32;
/** Largest SESSION_TTL_SECONDS: 7 days. */
export const MAX_SESSION_TTL_SECONDS = 7 * 86_400;
const UTF8 = new TextEncoder();

/**
 * The session control plane: off when none of its variables is set; on when the three secrets
 * are; anything in between is ERR_CONFIG_INVALID naming the missing variable (a control plane
 * that is half configured must not start, lesson 1).
 */
function sessions(env: WorkerEnv): SessionConfig | undefined {
  const token = text(env, 'CONTROL_PLANE_TOKEN');
  const secret = text(env, 'SESSION_SEAL_SECRET');
  const pem = text(env, 'BOOTSTRAP_PRIVATE_KEY');
  const issuer = text(env, 'SESSION_ISSUER');
  const audience = text(env, 'SESSION_AUDIENCE');
  const ttl = text(env, 'SESSION_TTL_SECONDS');
  if ([token, secret, pem, issuer, audience, ttl].every((v) => v === undefined)) return undefined;
  const missing = (['CONTROL_PLANE_TOKEN', 'SESSION_SEAL_SECRET', 'BOOTSTRAP_PRIVATE_KEY'] as const).find((n) => text(env, n) === undefined);
  if (missing) throw bad(missing, 'is required when any session variable (CONTROL_PLANE_TOKEN, SESSION_SEAL_SECRET, BOOTSTRAP_PRIVATE_KEY, SESSION_ISSUER, SESSION_AUDIENCE, SESSION_TTL_SECONDS) is set');
  if (token!.length < MIN_CONTROL_PLANE_TOKEN_CHARS || /\s/.test(token!)) throw bad('CONTROL_PLANE_TOKEN', `must be at least ${MIN_CONTROL_PLANE_TOKEN_CHARS} characters without whitespace`);
  if (UTF8.encode(secret!).length < MIN_SEAL_SECRET_BYTES) throw bad('SESSION_SEAL_SECRET', `must be at least ${MIN_SEAL_SECRET_BYTES} bytes`);
  if (secret === token) throw bad('SESSION_SEAL_SECRET', 'must differ from CONTROL_PLANE_TOKEN');
  // a secret set from a one-line value may carry literal "\n" for its line breaks
  const keyPem = pem!.includes('\n') ? pem! : pem!.replace(/\\n/g, '\n');
  let bootstrapAlg: 'ES256' | 'RS256';
  try {
    const blocks = decodePemBlocks(keyPem);
    if (blocks.length !== 1 || blocks[0]!.label !== 'PRIVATE KEY') throw new TrustError('ERR_KEY_UNSUPPORTED', 'must be exactly one PKCS#8 "PRIVATE KEY" PEM block');
    const type = pkcs8KeyType(blocks[0]!.der);
    if (type.kty === 'EC' && type.crv === 'P-256') bootstrapAlg = 'ES256';
    else if (type.kty === 'RSA') bootstrapAlg = 'RS256';
    else throw new TrustError('ERR_KEY_UNSUPPORTED', 'must be an EC P-256 or RSA key');
  } catch (err) {
    throw bad('BOOTSTRAP_PRIVATE_KEY', err instanceof TrustError ? err.message : 'is not a PKCS#8 PEM private key', err);
  }
  return {
    controlPlaneToken: token!,
    sealSecret: secret!,
    bootstrapPrivateKeyPem: keyPem,
    bootstrapAlg,
    issuer: issuer ?? 'cardtrust',
    audience: audience ?? 'cardtrust-sandbox',
    ttlSeconds: positiveInt(env, 'SESSION_TTL_SECONDS', 3600, MAX_SESSION_TTL_SECONDS),
  };
}

/**
 * Parses and checks the worker's environment.
 *
 * @example
 * const config = parseWorkerConfig({ TRUST_BUNDLES: '{"example.org": {"keys": [...]}}', DEFAULT_TRUST_DOMAIN: 'example.org' });
 */
export function parseWorkerConfig(env: WorkerEnv): WorkerConfig {
  const bundles = trustBundles(env);

  const defaultTd = text(env, 'DEFAULT_TRUST_DOMAIN');
  let defaultTrustDomain: string | undefined;
  if (defaultTd !== undefined) {
    try {
      defaultTrustDomain = parseTrustDomain(defaultTd).name;
    } catch (err) {
      throw bad('DEFAULT_TRUST_DOMAIN', 'is not a valid trust domain', err);
    }
    if (defaultTrustDomain !== defaultTd) throw bad('DEFAULT_TRUST_DOMAIN', `use the bare trust domain name (${defaultTrustDomain})`);
  }

  const mode = text(env, 'DEFAULT_MODE') ?? 'strict';
  if (mode !== 'strict' && mode !== 'audit') throw bad('DEFAULT_MODE', 'must be "strict" or "audit"');

  const fetchOrigins = origins(env, 'FETCH_ALLOWED_ORIGINS', { httpsOnly: true });
  const jku = origins(env, 'JKU_ALLOWED_ORIGINS', { httpsOnly: true });
  const cors = origins(env, 'CORS_ALLOWED_ORIGINS', { httpsOnly: false, allowAny: true });

  return {
    bundles,
    bundleEndpoints: bundleEndpoints(env, bundles),
    defaultTrustDomain,
    defaultMode: mode,
    fetchAllowedOrigins: new Set(fetchOrigins === '*' ? [] : (fetchOrigins ?? [])),
    fetchTimeoutMs: positiveInt(env, 'FETCH_TIMEOUT_MS', 10_000, 60_000),
    jkuAllowedOrigins: jku === '*' ? undefined : jku,
    trustedKeys: trustedKeys(env),
    allowedProfiles: allowedProfiles(env),
    cors: cors === undefined ? undefined : cors === '*' ? { any: true } : { any: false, origins: new Set(cors) },
    rateLimit: rateLimit(env),
    upstash: upstash(env),
    storeTimeoutMs: positiveInt(env, 'STORE_TIMEOUT_MS', 2000, 30_000),
    sessions: sessions(env),
  };
}
