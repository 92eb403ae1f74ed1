/**
 * Issue 9's session rows.
 *  - verifySessionToken (every claim rule included) against one raw WebCrypto ES256 verify of the
 *    same token with the same imported key: the floor a session-token check cannot beat. jose's
 *    jwtVerify with the same key and claim options is printed for reference.
 *  - The control plane inside workerd: POST /v1/sessions and POST /v1/sessions/{id}/token per
 *    second, from the bundle `wrangler deploy --dry-run` writes, run by Miniflare with in-memory
 *    stores. Measured in isolate (a bench-only entry calls the worker's own fetch n times per outer
 *    request, so transport cost amortises away) and over Miniflare's HTTP path.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as jose from 'jose';
import { Miniflare } from 'miniflare';
import { generateSessionKeyPair, mintSessionToken, verifySessionToken } from '../shared/session/index.js';
import { exportPrivateKeyPem, generateKeyPair } from '../shared/ca/index.js';
import { b64urlDecode, toArrayBuffer } from '../shared/lib/encoding.js';
import { compare, ratio, median, type CompareOptions } from './lib/timing.js';
import type { Report } from './lib/report.js';

const SECTION = 'session';
const ROOT = resolve(import.meta.dirname, '..');
const ISS = 'cardtrust';
const AUD = 'cardtrust-sandbox';
const TOKEN = 'bench-control-plane-token-0123456789abcdef';

export async function sessionTokenRows(report: Report, timing: CompareOptions): Promise<void> {
  const pair = await generateSessionKeyPair();
  const now = new Date();
  const token = await mintSessionToken({ privateKey: pair.privateKey, issuer: ISS, audience: AUD, sessionId: 'bench-session', now: () => now });
  const d2 = token.lastIndexOf('.');
  const data = new TextEncoder().encode(token.slice(0, d2));
  const sig = toArrayBuffer(b64urlDecode(token.slice(d2 + 1)));
  const key = pair.publicKey;
  const subtle = globalThis.crypto.subtle;
  const params = { name: 'ECDSA', hash: 'SHA-256' };
  const at = () => now;
  const joseOpts = { issuer: ISS, audience: AUD, algorithms: ['ES256'], currentDate: now, maxTokenAge: 300, requiredClaims: ['iat', 'exp', 'sub', 'jti'] };

  // every variant checked before it is timed
  if (!(await subtle.verify(params, key, sig, data))) throw new Error('bench: the raw verify failed');
  await verifySessionToken(token, { key, issuer: ISS, audience: AUD, now: at });
  await jose.jwtVerify(token, key, joseOpts);

  const c = await compare(
    {
      floor: () => subtle.verify(params, key, sig, data),
      ours: () => verifySessionToken(token, { key, issuer: ISS, audience: AUD, now: at }),
      jose: () => jose.jwtVerify(token, key, joseOpts),
    },
    timing,
  );
  report.rate(SECTION, 'raw WebCrypto ES256 verify, imported key (floor)', c.opsPerSec.floor);
  report.rate(SECTION, 'verifySessionToken (all claim rules)', c.opsPerSec.ours);
  report.rate(SECTION, "jose jwtVerify (same key, same claim options)", c.opsPerSec.jose, `jose / floor ${ratio(c, 'jose', 'floor').toFixed(2)}× (reference; not used: it bypasses an injected crypto provider)`);
  report.check(SECTION, 'verifySessionToken / raw ES256 verify', ratio(c, 'ours', 'floor'), { min: 0.8, unit: '×' });
}

const BENCH_ENTRY = `
import worker from './index.js';
// bench only: ?n= control-plane calls of the worker's own fetch inside one request
const auth = { authorization: 'Bearer ${TOKEN}' };
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== '/__bench/loop') return worker.fetch(request, env, ctx);
    const n = Number(url.searchParams.get('n'));
    const what = url.searchParams.get('what');
    const id = url.searchParams.get('id');
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const path = what === 'create' ? '/v1/sessions' : '/v1/sessions/' + id + '/token';
      const res = await worker.fetch(new Request('https://cp.example' + path, { method: 'POST', headers: auth }), env, ctx);
      await res.arrayBuffer();
      if (res.status === (what === 'create' ? 201 : 200)) ok++;
    }
    return Response.json({ ok });
  },
};
`;

function wranglerSetting(name: string): string | undefined {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  return new RegExp(`^${name}\\s*=\\s*(.+)$`, 'm').exec(toml)?.[1]?.trim();
}

export async function controlPlaneRows(report: Report, options: { quick?: boolean } = {}): Promise<void> {
  const outdir = mkdtempSync(join(tmpdir(), 'cardtrust-bench-session-'));
  let mf: Miniflare | undefined;
  try {
    execFileSync(join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (!readdirSync(outdir).includes('index.js')) throw new Error('bench: wrangler wrote no index.js');
    writeFileSync(join(outdir, 'bench-entry.mjs'), BENCH_ENTRY);
    const flags = wranglerSetting('compatibility_flags');
    const bootstrap = await generateKeyPair('P-256');
    mf = new Miniflare({
      modules: true,
      modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }],
      scriptPath: join(outdir, 'bench-entry.mjs'),
      modulesRoot: outdir,
      compatibilityDate: JSON.parse(wranglerSetting('compatibility_date') ?? '"2026-04-01"') as string,
      ...(flags ? { compatibilityFlags: JSON.parse(flags) as string[] } : {}),
      bindings: {
        CONTROL_PLANE_TOKEN: TOKEN,
        SESSION_SEAL_SECRET: 'bench-seal-secret-0123456789abcdef0123456789',
        BOOTSTRAP_PRIVATE_KEY: await exportPrivateKeyPem(bootstrap.privateKey),
      },
    });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const first = await mf.dispatchFetch('http://localhost/v1/sessions', { method: 'POST', headers: auth });
    if (first.status !== 201) throw new Error(`bench: POST /v1/sessions answered ${first.status}: ${(await first.text()).slice(0, 200)}`);
    const { sessionId } = (await first.json()) as { sessionId: string };

    const INNER = options.quick ? 50 : 200;
    const rounds = options.quick ? 3 : 5;
    const loop = async (what: 'create' | 'token'): Promise<number> => {
      const t0 = performance.now();
      const res = await mf!.dispatchFetch(`http://localhost/__bench/loop?n=${INNER}&what=${what}&id=${sessionId}`, { method: 'POST' });
      const { ok } = (await res.json()) as { ok: number };
      if (ok !== INNER) throw new Error(`bench: in-isolate ${what} loop succeeded ${ok} of ${INNER}`);
      return (INNER * 1000) / (performance.now() - t0);
    };
    const http = async (what: 'create' | 'token', n: number): Promise<number> => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const res = await mf!.dispatchFetch(what === 'create' ? 'http://localhost/v1/sessions' : `http://localhost/v1/sessions/${sessionId}/token`, { method: 'POST', headers: auth });
        await res.arrayBuffer();
        if (res.status !== (what === 'create' ? 201 : 200)) throw new Error(`bench: ${what} answered ${res.status}`);
      }
      return (n * 1000) / (performance.now() - t0);
    };
    // warm-up
    await loop('create');
    await loop('token');
    await http('create', 50);
    await http('token', 50);
    const seen = { create: [] as number[], token: [] as number[], createHttp: [] as number[], tokenHttp: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      seen.create.push(await loop('create'));
      seen.token.push(await loop('token'));
      seen.createHttp.push(await http('create', INNER));
      seen.tokenHttp.push(await http('token', INNER));
    }
    report.rate(SECTION, 'workerd: POST /v1/sessions, in isolate', median(seen.create), 'key pair + seal + store (memory) + bootstrap token (ES256)');
    report.rate(SECTION, 'workerd: POST /v1/sessions/{id}/token, in isolate', median(seen.token), 'store read + LRU hit + session token (ES256)');
    report.rate(SECTION, 'workerd: POST /v1/sessions over HTTP (Miniflare)', median(seen.createHttp), 'sequential, Node client included');
    report.rate(SECTION, 'workerd: POST /v1/sessions/{id}/token over HTTP (Miniflare)', median(seen.tokenHttp), 'sequential, Node client included');
  } finally {
    await mf?.dispose();
    rmSync(outdir, { recursive: true, force: true });
  }
}
