/**
 * WorkloadJwtSource against the fake Workload API agent: JWT-SVIDs fetched and cached until
 * shortly before expiry, JWT bundles streamed into a BundleSource that validateJwtSvid uses,
 * bundle rotation, PermissionDenied, malformed bundles (last good kept).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeWorkloadApi } from '../support/workload-api.js';
import { waitFor } from '../support/mtls.js';
import { WorkloadJwtSource } from '../../node-adapter/spiffe/workload/index.js';
import { validateJwtSvid } from '../../shared/svid/index.js';
import type { TrustError } from '../../shared/index.js';

const ID = 'spiffe://example.org/reports';
let dir: string;
let agent: FakeWorkloadApi;
let signing: { kid: string; privateKey: CryptoKey; jwk: JsonWebKey };
let lifetimeS = 300;

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid } };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-wl-jwt-'));
  agent = new FakeWorkloadApi(join(dir, 'agent.sock'));
  await agent.start();
  signing = await keyPair('k1');
  agent.jwtMinter = async (audience, spiffeId) => [
    {
      spiffe_id: spiffeId || ID,
      svid: await new jose.SignJWT({ sub: spiffeId || ID, aud: audience })
        .setProtectedHeader({ alg: 'ES256', kid: signing.kid, typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + lifetimeS)
        .sign(signing.privateKey),
      hint: '',
    },
  ];
  agent.pushJwtBundles({ 'example.org': { keys: [signing.jwk] } });
});
/** A token signed with the bundle's key; `expIn` seconds from now, `null` for no exp. */
async function mint(claims: Record<string, unknown>, expIn: number | null = 300): Promise<string> {
  const jwt = new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: signing.kid, typ: 'JWT' });
  if (expIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expIn);
  return jwt.sign(signing.privateKey);
}

afterAll(async () => {
  await agent.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('WorkloadJwtSource', () => {
  it('a JWT-SVID for an audience validates against the streamed JWT bundle', async () => {
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const svid = await source.fetchJwtSvid({ audience: 'reports-api' });
    expect(svid.id.toString()).toBe(ID);
    expect(svid.audience).toEqual(['reports-api']);
    const validated = await validateJwtSvid(svid.token, source, { audience: 'reports-api' });
    expect(validated.id.toString()).toBe(ID);
    await expect(validateJwtSvid(svid.token, source, { audience: 'other' })).rejects.toMatchObject({ code: 'ERR_JWT_AUDIENCE_MISMATCH' });
    await source.close();
  });

  it('cached until shortly before expiry: a second call does not reach the agent; a short-lived one is refetched', async () => {
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const a = await source.fetchJwtSvid({ audience: ['x'] });
    const b = await source.fetchJwtSvid({ audience: ['x'] });
    expect(b.token).toBe(a.token);
    expect(source.fetches).toBe(1);
    lifetimeS = 2;
    try {
      const short = await source.fetchJwtSvid({ audience: ['short'] });
      expect(source.fetches).toBe(2);
      await new Promise((r) => setTimeout(r, 1100)); // past half its lifetime
      const again = await source.fetchJwtSvid({ audience: ['short'] });
      expect(source.fetches).toBe(3);
      expect(again.expiresAt.getTime()).toBeGreaterThanOrEqual(short.expiresAt.getTime());
    } finally {
      lifetimeS = 300;
    }
    await source.close();
  });

  it('JWT bundle rotation: a key removed from the bundle stops validating', async () => {
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const { token } = await source.fetchJwtSvid({ audience: 'rot' });
    const next = await keyPair('k2');
    agent.pushJwtBundles({ 'example.org': { keys: [next.jwk] } });
    await waitFor(async () => validateJwtSvid(token, source, { audience: 'rot' }).then(() => false, (e: TrustError) => e.code === 'ERR_JWS_KEY_NOT_FOUND'), 3000, 'the rotated bundle');
    agent.pushJwtBundles({ 'example.org': { keys: [signing.jwk] } });
    await waitFor(async () => validateJwtSvid(token, source, { audience: 'rot' }).then(() => true, () => false), 3000, 'the bundle back');
    await source.close();
  });

  it('a malformed JWT bundle is refused and the last good one kept', async () => {
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const errors: TrustError[] = [];
    source.onError((e) => errors.push(e as TrustError));
    const { token } = await source.fetchJwtSvid({ audience: 'm' });
    agent.pushJwtBundles({ 'example.org': { keys: [{ kty: 'EC' }] } });
    await waitFor(() => errors.length > 0, 3000, 'the refusal');
    expect(errors[0]!.code).toBe('ERR_BUNDLE_INVALID');
    expect((await validateJwtSvid(token, source, { audience: 'm' })).id.toString()).toBe(ID);
    agent.pushJwtBundles({ 'example.org': { keys: [signing.jwk] } });
    await source.close();
  });

  it.each<[string, string]>([
    ['__proto__', 'a kid that is an Object.prototype name'],
    ['toString', 'a kid that is an inherited property name'],
  ])('kid %j (%s) is just a key ID', async (kid) => {
    const key = await keyPair(kid);
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const token = await new jose.SignJWT({ sub: ID, aud: 'kid' }).setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('5m').sign(key.privateKey);
    agent.pushJwtBundles({ 'example.org': { keys: [signing.jwk, key.jwk] } });
    await waitFor(async () => validateJwtSvid(token, source, { audience: 'kid' }).then(() => true, () => false), 3000, `the bundle with kid ${kid}`);
    agent.pushJwtBundles({ 'example.org': { keys: [signing.jwk] } });
    await source.close();
  });

  it.each<[string, () => Record<string, { keys: JsonWebKey[] }>, string]>([
    // Workload API §6.2.2 / §4.5: bundles is mandatory; a response without any is discarded
    ['no bundles at all', () => ({}), 'ERR_WORKLOAD_API_FAILED'],
    ['a key without kid', () => ({ 'example.org': { keys: [{ ...signing.jwk, kid: undefined } as JsonWebKey] } }), 'ERR_BUNDLE_INVALID'],
    ['a kid twice', () => ({ 'example.org': { keys: [signing.jwk, signing.jwk] } }), 'ERR_BUNDLE_INVALID'],
  ])('a JWT bundles update with %s is refused (%s) and the last good bundles kept', async (_name, update, expected) => {
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const errors: TrustError[] = [];
    source.onError((e) => errors.push(e as TrustError));
    const { token } = await source.fetchJwtSvid({ audience: 'kept' });
    agent.pushJwtBundles(update());
    await waitFor(() => errors.length > 0, 3000, 'the refusal');
    expect(errors[0]!.code).toBe(expected);
    expect((await validateJwtSvid(token, source, { audience: 'kept' })).id.toString()).toBe(ID);
    agent.pushJwtBundles({ 'example.org': { keys: [signing.jwk] } });
    await source.close();
  });

  it('a key of another use in a JWT bundle is ignored, never used for JWT-SVIDs (Workload API §6.2.2)', async () => {
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const { token } = await source.fetchJwtSvid({ audience: 'use' });
    agent.pushJwtBundles({ 'example.org': { keys: [{ ...signing.jwk, use: 'x509-svid' } as JsonWebKey] } });
    await waitFor(async () => validateJwtSvid(token, source, { audience: 'use' }).then(() => false, (e: TrustError) => e.code === 'ERR_JWS_KEY_NOT_FOUND'), 3000, 'the x509-svid key ignored');
    agent.pushJwtBundles({ 'example.org': { keys: [{ ...signing.jwk, use: 'jwt-svid' } as JsonWebKey] } });
    await waitFor(async () => validateJwtSvid(token, source, { audience: 'use' }).then(() => true, () => false), 3000, 'a jwt-svid key used');
    agent.pushJwtBundles({ 'example.org': { keys: [signing.jwk] } });
    await source.close();
  });

  it.each<[string, (audience: string[]) => Promise<string>, string]>([
    ['a sub other than spiffe_id', (aud) => mint({ sub: 'spiffe://example.org/other', aud }), 'ERR_JWT_CLAIM_INVALID'],
    ['no sub', (aud) => mint({ aud }), 'ERR_JWT_CLAIM_INVALID'],
    ['an audience missing', (aud) => mint({ sub: ID, aud: aud.slice(1) }), 'ERR_JWT_AUDIENCE_MISMATCH'],
    ['an expired token', (aud) => mint({ sub: ID, aud }, -10), 'ERR_JWT_EXPIRED'],
    ['no exp', (aud) => mint({ sub: ID, aud }, null), 'ERR_JWT_CLAIM_INVALID'],
  ])('a JWT-SVID from the agent with %s is refused (%s), as go-spiffe does', async (_name, token, expected) => {
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const minter = agent.jwtMinter;
    agent.jwtMinter = async (audience) => [{ spiffe_id: ID, svid: await token(audience), hint: '' }];
    try {
      await expect(source.fetchJwtSvid({ audience: ['a1', 'a2'] })).rejects.toMatchObject({ code: expected });
    } finally {
      agent.jwtMinter = minter;
      await source.close();
    }
  });

  it('PermissionDenied on FetchJWTSVID: ERR_WORKLOAD_API_DENIED; no audience: ERR_INPUT_INVALID', async () => {
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    agent.denyAll();
    try {
      await expect(source.fetchJwtSvid({ audience: 'denied' })).rejects.toMatchObject({ code: 'ERR_WORKLOAD_API_DENIED', message: 'workloadapi: FetchJWTSVID failed: PERMISSION_DENIED' });
    } finally {
      agent.allow();
    }
    await expect(source.fetchJwtSvid({ audience: [] })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
    await source.close();
    await expect(source.fetchJwtSvid({ audience: 'x' })).rejects.toMatchObject({ code: 'ERR_SVID_SOURCE_UNAVAILABLE' });
  });
});
