/**
 * Verification of a TLS peer's chain by the core's X509-SVID rules (never Node's hostname rules),
 * against the bundle of the peer's own trust domain from the local source, then authorization of
 * its SPIFFE ID. Results are cached by the exact chain bytes for the source's current generation
 * and the chain's validity window, so a client reconnecting with the same SVID costs a hash.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { TrustError, parseCertificate, verifyX509Svid, type Certificate, type SpiffeId } from '../spiffe/core.js';
import { peerCertificateChain } from '../http/conn-info.js';
import type { X509Source } from '../spiffe/types.js';
import { runAuthorizer, type Authorizer } from './authorize.js';

/** The identity of a verified TLS peer. */
export interface VerifiedPeer {
  /** The SPIFFE ID of the verified leaf. */
  readonly id: SpiffeId;
  /** The verified path: leaf first, trusted root last. */
  readonly chain: readonly Certificate[];
}

const MAX_CACHED_CHAINS = 1024;
const MAX_POOLED_INTERMEDIATES = 256;

interface Cached {
  readonly peer: VerifiedPeer;
  readonly generation: number;
  readonly notBefore: number;
  readonly notAfter: number;
}

export class PeerVerifier {
  readonly #source: X509Source;
  readonly #usage: 'clientAuth' | 'serverAuth';
  readonly #authorize: Authorizer;
  readonly #cache = new Map<string, Cached>();
  // intermediates seen in verified chains: a resumed TLS session may hand back the leaf alone
  readonly #intermediates = new Map<string, Uint8Array>();

  constructor(source: X509Source, usage: 'clientAuth' | 'serverAuth', authorize: Authorizer) {
    if (!source || typeof source.getBundle !== 'function' || typeof source.current !== 'function') throw new TrustError('ERR_INPUT_INVALID', 'mtls: an X509 source is required');
    if (typeof authorize !== 'function') throw new TrustError('ERR_INPUT_INVALID', 'mtls: an authorizer is required (authorizeAny() to accept every verified peer)');
    this.#source = source;
    this.#usage = usage;
    this.#authorize = authorize;
  }

  /** Verifies the peer of a TLS socket whose handshake finished. */
  verifySocket(socket: TLSSocket): Promise<VerifiedPeer> {
    return this.verify(peerCertificateChain(socket), socket.isSessionReused());
  }

  /**
   * Verifies a presented chain (DER, leaf first). Throws `ERR_PEER_CERTIFICATE_REQUIRED` for an
   * empty chain, `ERR_PEER_CERTIFICATE_INVALID` (the exact reason as `cause`) for a chain the
   * X509-SVID rules refuse, `ERR_PEER_NOT_AUTHORIZED` for an identity the authorizer refuses.
   */
  async verify(chainDer: readonly Uint8Array[], resumed = false): Promise<VerifiedPeer> {
    if (chainDer.length === 0) {
      throw new TrustError('ERR_PEER_CERTIFICATE_REQUIRED', `mtls: the ${this.#usage === 'clientAuth' ? 'client' : 'server'} presented no certificate`);
    }
    const generation = this.#source.current().generation;
    const key = chainKey(chainDer);
    const now = Date.now();
    let cached = this.#cache.get(key);
    if (cached && (cached.generation !== generation || now < cached.notBefore || now > cached.notAfter)) {
      this.#cache.delete(key);
      cached = undefined;
    }
    let peer: VerifiedPeer;
    if (cached) {
      peer = cached.peer;
      this.#cache.delete(key);
      this.#cache.set(key, cached);
    } else {
      peer = await this.#verifyChain(chainDer, resumed);
      const notBefore = Math.max(...peer.chain.map((c) => c.notBefore.getTime()));
      const notAfter = Math.min(...peer.chain.map((c) => c.notAfter.getTime()));
      if (this.#source.current().generation === generation) {
        this.#cache.set(key, { peer, generation, notBefore, notAfter });
        if (this.#cache.size > MAX_CACHED_CHAINS) this.#cache.delete(this.#cache.keys().next().value!);
      }
    }
    await runAuthorizer(this.#authorize, peer.id, peer.chain);
    return peer;
  }

  async #verifyChain(chainDer: readonly Uint8Array[], resumed: boolean): Promise<VerifiedPeer> {
    let certs: Uint8Array[] = [...chainDer];
    if (resumed && certs.length === 1) certs = [certs[0]!, ...this.#intermediates.values()];
    try {
      const { id, chain } = await verifyX509Svid(certs, this.#source, { usage: this.#usage });
      for (const c of chain.slice(1, -1)) {
        const fp = chainKey([c.der]);
        if (!this.#intermediates.has(fp)) {
          this.#intermediates.set(fp, c.der);
          if (this.#intermediates.size > MAX_POOLED_INTERMEDIATES) this.#intermediates.delete(this.#intermediates.keys().next().value!);
        }
      }
      return Object.freeze({ id, chain });
    } catch (err) {
      const code = err instanceof TrustError ? err.code : 'ERR_INTERNAL';
      const message = err instanceof Error ? err.message : String(err);
      throw new TrustError('ERR_PEER_CERTIFICATE_INVALID', `mtls: the ${this.#usage === 'clientAuth' ? 'client' : 'server'} certificate ${describe(chainDer[0]!)} was refused: ${code}: ${message}`, { cause: err });
    }
  }
}

/** The exact code behind a refused peer: the cause's code for ERR_PEER_CERTIFICATE_INVALID. */
export function refusalReason(err: TrustError): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  return err.code === 'ERR_PEER_CERTIFICATE_INVALID' && cause instanceof TrustError ? cause.code : undefined;
}

function chainKey(chainDer: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const der of chainDer) {
    h.update(String(der.length));
    h.update(':');
    h.update(der);
  }
  return h.digest('hex');
}

/** A certificate named for people: its URI SAN (the SPIFFE ID) when it has one, else its subject. */
function describe(der: Uint8Array): string {
  try {
    const c = parseCertificate(der);
    const uri = c.subjectAltName.uri[0];
    return uri ? `${JSON.stringify(uri.slice(0, 200))}` : `"${c.subject.text || '(empty subject)'}"`;
  } catch {
    return '(unparseable)';
  }
}
