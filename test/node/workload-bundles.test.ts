/**
 * The bundle-only Workload API source (FetchX509Bundles) verifying a peer without an SVID of its
 * own, its rotation and refusal of malformed updates; and ValidateJWTSVID through the agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCA } from '../support/ca.js';
import { FakeWorkloadApi } from '../support/workload-api.js';
import { waitFor } from '../support/mtls.js';
import { WorkloadJwtSource, WorkloadX509BundleSource } from '../../node-adapter/spiffe/workload/index.js';
import { verifyX509Svid } from '../../shared/svid/index.js';
import type { TrustError } from '../../shared/index.js';

let dir: string;
let agent: FakeWorkloadApi;
let ca: TestCA;
let partner: TestCA;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cardtrust-wl-bundles-'));
  agent = new FakeWorkloadApi(join(dir, 'agent.sock'));
  await agent.start();
  ca = await TestCA.create({ trustDomain: 'example.org' });
  partner = await TestCA.create({ trustDomain: 'partner.test' });
  agent.pushX509Bundles({ 'example.org': [ca], 'partner.test': [partner] });
});
afterAll(async () => {
  await agent.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('WorkloadX509BundleSource', () => {
  it('verifies peers of every trust domain the agent sends; follows rotation; keeps the last good set on a malformed update', async () => {
    const source = await WorkloadX509BundleSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const errors: TrustError[] = [];
    source.onError((e) => errors.push(e as TrustError));
    const peer = await partner.issueSVID('spiffe://partner.test/api');
    expect((await verifyX509Svid(peer.der, source)).id.toString()).toBe('spiffe://partner.test/api');

    agent.pushX509Bundles({ 'example.org': [ca] });
    await waitFor(() => {
      try {
        source.getBundle('partner.test');
        return false;
      } catch (e) {
        return (e as TrustError).code === 'ERR_BUNDLE_NOT_FOUND';
      }
    }, 3000, 'partner.test removed');
    await expect(verifyX509Svid(peer.der, source)).rejects.toMatchObject({ code: 'ERR_BUNDLE_NOT_FOUND' });

    agent.pushX509Bundles({ 'example.org': Buffer.from('not der') });
    await waitFor(() => errors.length > 0, 3000, 'the refusal');
    expect(errors[0]!.code).toBe('ERR_X509_MALFORMED');
    expect((await verifyX509Svid((await ca.issueSVID('spiffe://example.org/a')).der, source)).id.toString()).toBe('spiffe://example.org/a');

    // Workload API §5.2.2 / §4.5: bundles is mandatory; a response without any is discarded
    agent.pushX509Bundles({});
    await waitFor(() => errors.length > 1, 3000, 'the second refusal');
    expect(errors[1]!.code).toBe('ERR_WORKLOAD_API_FAILED');
    expect((await verifyX509Svid((await ca.issueSVID('spiffe://example.org/b')).der, source)).id.toString()).toBe('spiffe://example.org/b');
    await source.close();
    expect(() => source.getBundle('example.org')).toThrow(expect.objectContaining({ code: 'ERR_SVID_SOURCE_UNAVAILABLE' }));
    agent.pushX509Bundles({ 'example.org': [ca], 'partner.test': [partner] });
  });
});

describe('WorkloadJwtSource.validateWithAgent (ValidateJWTSVID)', () => {
  it('returns the SPIFFE ID and the claims the agent decoded; a refusal is ERR_WORKLOAD_API_FAILED', async () => {
    agent.jwtValidator = async (token, audience) => {
      if (token !== 'good.token.here') throw new Error('invalid');
      return {
        spiffe_id: 'spiffe://example.org/caller',
        claims: { fields: { aud: { kind: 'listValue', listValue: { values: [{ kind: 'stringValue', stringValue: audience }] } }, exp: { kind: 'numberValue', numberValue: 1900000000 }, admin: { kind: 'boolValue', boolValue: false } } },
      };
    };
    agent.pushJwtBundles({ 'example.org': { keys: [] } });
    const source = await WorkloadJwtSource.open({ address: agent.address, readyTimeoutMs: 5000 });
    const r = await source.validateWithAgent('good.token.here', 'reports');
    expect(r.id.toString()).toBe('spiffe://example.org/caller');
    expect(r.claims).toEqual({ aud: ['reports'], exp: 1900000000, admin: false });
    await expect(source.validateWithAgent('bad', 'reports')).rejects.toMatchObject({ code: 'ERR_WORKLOAD_API_FAILED', message: 'workloadapi: ValidateJWTSVID failed: INVALID_ARGUMENT' });
    await source.close();
  });
});
