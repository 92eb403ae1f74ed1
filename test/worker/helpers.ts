// Helpers for tests running inside workerd: scripting fake agent origins and driving the
// redis/bridge control server (both answered in Node through Miniflare's outbound handler).
import { inject } from 'vitest';
import type { ScriptedResponse } from '../support/worker-outbound.js';

// Mirrors the declaration in test/support/worker-global-setup.ts (a Node file this program cannot include).
declare module 'vitest' {
  export interface ProvidedContext {
    upstash: { url: string; token: string; controlUrl: string } | null;
  }
}

/** Scripts `origin` (e.g. `https://a.agent.test`) to answer the given paths. */
export async function scriptOrigin(origin: string, routes: Record<string, ScriptedResponse>): Promise<void> {
  const res = await fetch('http://origins.test/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ origin, routes }),
  });
  if (res.status !== 204) throw new Error(`scripting ${origin} failed: ${res.status}`);
}

/** How many times a URL was requested from the scripted origins. */
export async function hits(url: string): Promise<number> {
  return (await (await fetch(`http://origins.test/hits?url=${encodeURIComponent(url)}`)).json()) as number;
}

/** The local Upstash bridge, or null when redis-server is unavailable. */
export function upstash(): { url: string; token: string; controlUrl: string } | null {
  return inject('upstash');
}

/** Stops or starts redis-server or the bridge (outage tests). */
export async function control(action: 'redis/stop' | 'redis/start' | 'bridge/stop' | 'bridge/start'): Promise<void> {
  const u = upstash();
  if (!u) throw new Error('no upstash bridge');
  const res = await fetch(`${u.controlUrl}/${action}`, { method: 'POST' });
  if (res.status !== 204) throw new Error(`${action} failed: ${res.status} ${await res.text()}`);
}

/** A unique name per call, so tests never share keys or origins. */
let seq = 0;
export function unique(prefix: string): string {
  seq++;
  return `${prefix}${seq}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The public JWK of a key, with a `kid` and without WebCrypto's `key_ops`/`ext`. */
export async function publicJwk(key: CryptoKey, kid: string): Promise<JsonWebKey & { kid: string }> {
  const { key_ops: _ops, ext: _ext, ...jwk } = (await crypto.subtle.exportKey('jwk', key)) as JsonWebKey;
  return { ...jwk, kid };
}
