/** `GET /v1/bundles/{trustDomain}`: the configured SPIFFE bundle, cacheable and revalidatable. */
import { TrustError } from '../../shared/errors.js';
import { parseTrustDomain } from '../../shared/spiffe/index.js';
import { toHex, utf8 } from '../../shared/lib/encoding.js';
import { subtle } from '../../shared/crypto.js';
import type { AppContext } from '../context.js';
import { DEFAULT_BUNDLE_MAX_AGE, type ConfiguredBundle } from '../config.js';
import { serializeSpiffeBundle, type TrustBundle } from '../../shared/bundle/index.js';

const etags = new WeakMap<ConfiguredBundle, Promise<string>>();
const federatedEntries = new WeakMap<TrustBundle, ConfiguredBundle>();

/** A federated trust domain's current bundle, published like a configured one (the worker is itself a bundle endpoint). */
async function federatedEntry(app: AppContext, td: string): Promise<ConfiguredBundle | undefined> {
  if (!app.federated || !app.config.bundleEndpoints.has(td)) return undefined;
  const bundle = await app.federated.getBundle(td);
  let entry = federatedEntries.get(bundle);
  if (!entry) {
    entry = { bundle, document: serializeSpiffeBundle(bundle), maxAge: bundle.refreshHint ?? DEFAULT_BUNDLE_MAX_AGE };
    federatedEntries.set(bundle, entry);
  }
  return entry;
}

/** A strong ETag: the SHA-256 of the served document, computed once per configured bundle. */
function etagOf(entry: ConfiguredBundle): Promise<string> {
  let tag = etags.get(entry);
  if (!tag) {
    tag = subtle()
      .digest('SHA-256', utf8.encode(entry.document))
      .then((d) => `"${toHex(new Uint8Array(d))}"`);
    etags.set(entry, tag);
  }
  return tag;
}

/** True when an `If-None-Match` header names `etag` (weak comparison, RFC 9110 §13.1.2). */
function matches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export async function bundleRoute(request: Request, app: AppContext, name: string): Promise<Response> {
  const td = parseTrustDomain(name);
  // `spiffe://…` forms are for configuration, not for this path
  if (td.name !== name) throw new TrustError('ERR_TRUST_DOMAIN_INVALID', 'use the bare trust domain name in the path');
  const entry = app.config.bundles.get(td.name) ?? (await federatedEntry(app, td.name));
  if (!entry) throw new TrustError('ERR_BUNDLE_NOT_FOUND', `no bundle is configured for trust domain ${td.name}`);
  const etag = await etagOf(entry);
  const headers = {
    etag,
    'cache-control': `public, max-age=${entry.maxAge}`,
    'x-content-type-options': 'nosniff',
  };
  if (matches(request.headers.get('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  return new Response(entry.document, { status: 200, headers: { ...headers, 'content-type': 'application/json; charset=utf-8' } });
}
