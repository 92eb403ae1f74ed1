// Shared by the session control-plane tests: a configured environment and small request helpers.
import worker, { type ExecutionContext } from '../../workers/index.js';
import { exportPrivateKeyPem, exportPublicKeyPem, generateKeyPair } from '../../shared/ca/index.js';
import { testKeyPair } from '../support/ca.js';

export const BASE = 'https://cardtrust.test';
export const TOKEN = 'cp-token-0123456789abcdef0123456789abcdef';
export const SECRET = 'seal-secret-0123456789abcdef0123456789abcdef';
const ctx = {} as ExecutionContext;

export interface BootstrapKeys {
  privatePem: string;
  publicPem: string;
}

export async function bootstrapKeys(alg: 'P-256' | 'RSA' = 'P-256'): Promise<BootstrapKeys> {
  const pair = alg === 'RSA' ? await testKeyPair('RSA') : await generateKeyPair('P-256');
  return { privatePem: await exportPrivateKeyPem(pair.privateKey), publicPem: await exportPublicKeyPem(pair.publicKey) };
}

export function sessionEnv(keys: BootstrapKeys, extra: Record<string, string> = {}): Record<string, string> {
  return { CONTROL_PLANE_TOKEN: TOKEN, SESSION_SEAL_SECRET: SECRET, BOOTSTRAP_PRIVATE_KEY: keys.privatePem, ...extra };
}

export function call(env: Record<string, unknown>, method: string, path: string, init: { body?: unknown; token?: string | null; headers?: Record<string, string>; ip?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (init.ip) headers['cf-connecting-ip'] = init.ip;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  return worker.fetch(new Request(BASE + path, { method, headers, ...(body !== undefined ? { body } : {}) }), env, ctx);
}

export async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code?: string } };
  return body.error?.code ?? `no error body (status ${res.status})`;
}

export interface Created {
  sessionId: string;
  bootstrapToken: string;
  sessionKeyThumbprint: string;
  expiresAt: string;
  bootstrapExpiresAt: string;
}
