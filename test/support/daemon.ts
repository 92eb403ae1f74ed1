/**
 * A sandbox daemon for tests: real HTTP on 127.0.0.1 (port 0), a temp workspace, a bootstrap key
 * pair and helpers that mint bootstrap and session tokens as a control plane would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { generateSessionKeyPair, mintBootstrapToken, mintSessionToken } from '../../shared/session/index.js';
import { MemoryReplayGuard } from '../../shared/store/memory-replay-guard.js';
import type { RateLimiter, ReplayGuard } from '../../shared/store/types.js';
import { createDaemonApp, type DaemonApp, type DaemonOptions } from '../../node-adapter/daemon/index.js';
import { serveFetch, type ServedFetch } from '../../node-adapter/http/index.js';

export const ISSUER = 'cardtrust';
export const AUDIENCE = 'cardtrust-sandbox';

export interface SessionKeys {
  privateKey: CryptoKey;
  publicJwk: JsonWebKey;
}

export async function sessionKeys(): Promise<SessionKeys> {
  const { privateKey, publicJwk } = await generateSessionKeyPair();
  return { privateKey, publicJwk };
}

export interface BootstrapSigner {
  alg: 'ES256' | 'RS256';
  privateKey: CryptoKey;
  publicPem: string;
}

export async function bootstrapSigner(alg: 'ES256' | 'RS256' = 'ES256'): Promise<BootstrapSigner> {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, publicPem: await jose.exportSPKI(publicKey) };
}

/**
 * A bootstrap token, minted by the core's `mintBootstrapToken` as the control plane does; with
 * overrides (`undefined` removes a claim) it is signed with jose directly, since the core refuses
 * to mint a bad token.
 */
export async function mintBootstrap(
  signer: BootstrapSigner,
  session: SessionKeys | { publicJwk: JsonWebKey | string },
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  if (Object.keys(claims).length === 0 && Object.keys(header).length === 0 && typeof session.publicJwk !== 'string') {
    return mintBootstrapToken({ privateKey: signer.privateKey, issuer: ISSUER, audience: AUDIENCE, sessionId: 'sess-1', sessionPublicKey: session.publicJwk });
  }
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: ISSUER, sub: 'sess-1', aud: AUDIENCE, jti: crypto.randomUUID(), iat: now, exp: now + 300, session_public_key: session.publicJwk, ...claims,
  };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return new jose.SignJWT(payload as jose.JWTPayload).setProtectedHeader({ alg: signer.alg, typ: 'JWT', ...header }).sign(signer.privateKey);
}

/** A session token by the core's `mintSessionToken`; with overrides, by jose directly. */
export async function mintSession(session: SessionKeys, claims: Record<string, unknown> = {}): Promise<string> {
  if (Object.keys(claims).length === 0) return mintSessionToken({ privateKey: session.privateKey, issuer: ISSUER, audience: AUDIENCE, sessionId: 'sess-1' });
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: ISSUER, sub: 'sess-1', aud: AUDIENCE, jti: crypto.randomUUID(), iat: now, exp: now + 300, ...claims };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return new jose.SignJWT(payload as jose.JWTPayload).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).sign(session.privateKey);
}

export interface TestDaemon {
  url: string;
  app: DaemonApp;
  served: ServedFetch;
  workspace: string;
  dir: string;
  signer: BootstrapSigner;
  session: SessionKeys;
  replayGuard: ReplayGuard;
  /** POST /init with a fresh bootstrap token for `session`; asserts 200. */
  init(): Promise<void>;
  /** fetch with the session token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startDaemon(
  opts: Partial<DaemonOptions> & { signer?: BootstrapSigner; initLimiter?: RateLimiter; maxBodyBytes?: number } = {},
): Promise<TestDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'cardtrust-daemon-'));
  const workspace = join(dir, 'ws');
  const signer = opts.signer ?? (await bootstrapSigner());
  const session = await sessionKeys();
  const replayGuard = opts.replayGuard ?? new MemoryReplayGuard();
  const app = await createDaemonApp({
    workspace, bootstrapKey: signer.publicPem, issuer: ISSUER, audience: AUDIENCE, sessionId: 'sess-1', replayGuard, ...opts,
  });
  const served = await serveFetch(app.fetch, { maxBodyBytes: opts.maxBodyBytes ?? opts.maxUploadBytes ?? 32 * 1024 * 1024 });
  const url = served.url;
  return {
    url, app, served, workspace: app.workspace.root, dir, signer, session, replayGuard,
    async init() {
      const res = await fetch(`${url}/init`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: await mintBootstrap(signer, session) }) });
      if (res.status !== 200) throw new Error(`init: ${res.status} ${await res.text()}`);
    },
    async api(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${await mintSession(session)}`);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    async close() {
      await served.close(1000);
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** POST JSON. */
export function postJson(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
