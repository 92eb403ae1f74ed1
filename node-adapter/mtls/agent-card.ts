/**
 * AgentCard fetch over mTLS with the attested peer identity: the card, the SPIFFE ID of the TLS
 * peer that served it (from its verified chain), the signature report, and whether the two are the
 * same identity — how an operator proves the card came from the live agent it names, not a copy.
 */
import { TrustError } from '../spiffe/core.js';
import { verifyAgentCard, type AgentCardReport, type VerifyAgentCardOptions } from '../../shared/agentcard/index.js';
import { parseJsonBytes, readCapped } from '../../shared/http/body.js';
import { createHash } from 'node:crypto';
import type { X509Source } from '../spiffe/types.js';
import type { Authorizer } from './authorize.js';
import { MtlsAgent, mtlsFetch, type MtlsResponse } from './client.js';

/** The well-known paths, in the order tried: the current name, then the legacy one on 404. */
export const AGENT_CARD_PATHS = ['/.well-known/agent-card.json', '/.well-known/agent.json'] as const;
export const DEFAULT_CARD_FETCH_TIMEOUT_MS = 10_000;
export const DEFAULT_CARD_FETCH_MAX_BYTES = 1024 * 1024;

export interface FetchAgentCardVerifiedOptions {
  readonly source: X509Source;
  /** Which TLS peers may serve the card (`authorizeAny()`, or `authorizeId(expected)`). */
  readonly authorize: Authorizer;
  /**
   * Card verification options. `bundles` defaults to the source (the trust bundles of the TLS
   * peer); without `trustDomain`, `expectedId` or `match`, signers are bound to the TLS peer's
   * trust domain.
   */
  readonly verify?: VerifyAgentCardOptions;
  /** Deadline for the whole exchange (both paths, bodies included); default 10 s. */
  readonly timeoutMs?: number;
  /** Largest card accepted; default 1 MiB. */
  readonly maxBytes?: number;
}

export interface AttestedPeer {
  /** The SPIFFE ID of the TLS peer, from its verified chain. */
  readonly spiffeId: string;
  readonly trustDomain: string;
  /** SHA-256 (hex) of each certificate of the verified path, leaf first, trusted root last. */
  readonly chainFingerprints: string[];
}

export interface VerifiedAgentCardFetch {
  /** Where the card was read. */
  readonly url: string;
  readonly path: (typeof AGENT_CARD_PATHS)[number];
  readonly card: unknown;
  /** Who served it over TLS. */
  readonly peer: AttestedPeer;
  /** The signature report of `verifyAgentCard`. */
  readonly report: AgentCardReport;
  /** SPIFFE IDs of the signers whose signatures verified. */
  readonly signers: string[];
  /** True when the card verified and one of its verified signers is the TLS peer. */
  readonly sameIdentity: boolean;
  /** `same-identity`, `different-identity` (verified, but signed by someone else), or `card-not-verified`. */
  readonly verdict: 'same-identity' | 'different-identity' | 'card-not-verified';
}

function fingerprints(chain: readonly { der: Uint8Array }[]): string[] {
  return chain.map((c) => createHash('sha256').update(c.der).digest('hex'));
}

/**
 * Fetches `/.well-known/agent-card.json` (the legacy `/.well-known/agent.json` on 404) over mTLS,
 * verifies it, and reports the TLS peer next to the card's signers. Redirects are not followed.
 * Throws `ERR_FETCH_*`, `ERR_PEER_*` or `ERR_CARD_MALFORMED`; a card that does not verify is a
 * report, not an exception.
 *
 * @example
 * const r = await fetchAgentCardVerified('https://127.0.0.1:8443', { source, authorize: authorizeId(agentId) })
 * if (r.verdict !== 'same-identity') throw new Error(`card from ${r.peer.spiffeId} signed by ${r.signers}`)
 */
export async function fetchAgentCardVerified(baseUrl: string, options: FetchAgentCardVerifiedOptions): Promise<VerifiedAgentCardFetch> {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch (err) {
    throw new TrustError('ERR_INPUT_INVALID', 'fetchAgentCardVerified: not a URL', { cause: err });
  }
  if (base.protocol !== 'https:') throw new TrustError('ERR_INPUT_INVALID', `fetchAgentCardVerified: only https: URLs (got ${base.protocol})`);
  if (base.search || base.hash || (base.pathname !== '/' && base.pathname !== '')) {
    throw new TrustError('ERR_INPUT_INVALID', 'fetchAgentCardVerified: give the agent origin (https://host:port), without a path, query or fragment');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_CARD_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_CARD_FETCH_MAX_BYTES;
  const deadline = AbortSignal.timeout(timeoutMs);
  const timedOut = new Promise<never>((_, reject) => {
    deadline.addEventListener('abort', () => reject(new TrustError('ERR_FETCH_TIMEOUT', `no agent card from ${base.origin} within ${timeoutMs} ms`)), { once: true });
  });
  timedOut.catch(() => {});
  const agent = new MtlsAgent({ source: options.source, authorize: options.authorize, keepAlive: true, connectTimeoutMs: timeoutMs });
  try {
    for (const path of AGENT_CARD_PATHS) {
      const url = base.origin + path;
      let res: MtlsResponse;
      try {
        res = await Promise.race([mtlsFetch(url, { source: options.source, authorize: options.authorize, agent, signal: deadline, timeoutMs, headers: { accept: 'application/json' } }), timedOut]);
      } catch (err) {
        if (deadline.aborted) throw new TrustError('ERR_FETCH_TIMEOUT', `no agent card from ${base.origin} within ${timeoutMs} ms`, { cause: err });
        throw err;
      }
      if (res.status === 404) {
        await res.body?.cancel().catch(() => {});
        continue;
      }
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => {});
        throw new TrustError('ERR_FETCH_FAILED', `${url} answered HTTP ${res.status}`);
      }
      const length = res.headers.get('content-length');
      if (length !== null && /^\d+$/.test(length) && Number(length) > maxBytes) {
        await res.body?.cancel().catch(() => {});
        throw new TrustError('ERR_FETCH_TOO_LARGE', `agent card at ${url} exceeds ${maxBytes} bytes`);
      }
      const bytes = await readCapped(res.body, maxBytes, 'ERR_FETCH_TOO_LARGE', timedOut).catch((err: unknown) => {
        if (err instanceof TrustError) throw err;
        throw new TrustError('ERR_FETCH_FAILED', `reading the agent card from ${url} failed`, { cause: err });
      });
      const card = parseJsonBytes(bytes, `agent card at ${url}`, 'ERR_CARD_MALFORMED');
      const peerId = res.peer.id.toString();
      // without a binding policy of the caller's, signers are bound to the TLS peer's trust domain;
      // whether the signer is the peer itself is the verdict below
      const policy = options.verify?.trustDomain ?? options.verify?.expectedId ?? options.verify?.match;
      const report = await verifyAgentCard(card, {
        bundles: options.source,
        ...(policy === undefined ? { trustDomain: res.peer.id.trustDomain.name } : {}),
        ...options.verify,
      });
      const signers = [...new Set(report.signatures.filter((s) => s.status === 'valid' && s.signer).map((s) => s.signer!.spiffeId))];
      const sameIdentity = report.verified && signers.includes(peerId);
      return {
        url,
        path,
        card,
        peer: { spiffeId: peerId, trustDomain: res.peer.id.trustDomain.name, chainFingerprints: fingerprints(res.peer.chain) },
        report,
        signers,
        sameIdentity,
        verdict: !report.verified ? 'card-not-verified' : sameIdentity ? 'same-identity' : 'different-identity',
      };
    }
    throw new TrustError('ERR_FETCH_NOT_FOUND', `${base.origin} has no agent card at ${AGENT_CARD_PATHS.join(' or ')}`);
  } finally {
    agent.destroy();
  }
}
