// The examples of docs/spiffe.md, run as written (with the inputs they assume made here).
import { beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import {
  BundleSet,
  matchAny,
  matchId,
  matchMemberOf,
  matchOneOf,
  parseBundle,
  parsePemBundle,
  parseSpiffeBundle,
  parseSpiffeId,
  parseTrustDomain,
  serializeSpiffeBundle,
  TrustBundle,
  validateJwtSvid,
  verifyX509Svid,
  type BundleSource,
} from '../../shared/index.js';
import { TestCA } from '../support/ca.js';

let rootPem: string;
let pemText: string;
let jwksText: string;
let configValue: string;
let publicJwk: JsonWebKey;
let svidPem: string;
let partnerPem: string;
let bearerToken: string;

beforeAll(async () => {
  const root = await TestCA.create({ trustDomain: 'example.org' });
  const partner = await TestCA.create({ trustDomain: 'partner.test' });
  rootPem = root.pem;
  pemText = root.pem;
  partnerPem = partner.pem;
  svidPem = (await (await root.childCA()).issueSVID('spiffe://example.org/web')).pem;
  const kp = await jose.generateKeyPair('ES256');
  const { kty, crv, x, y } = await jose.exportJWK(kp.publicKey);
  publicJwk = { kty, crv, x, y } as JsonWebKey;
  jwksText = serializeSpiffeBundle(new TrustBundle('example.org', { x509Authorities: [rootPem], jwtAuthorities: { k1: publicJwk }, sequence: 1 }));
  configValue = jwksText;
  bearerToken = await new jose.SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'JWT' })
    .setSubject('spiffe://example.org/web')
    .setAudience('spiffe://example.org/reports')
    .setExpirationTime('5m')
    .sign(kp.privateKey);
});

describe('docs/spiffe.md examples', () => {
  it('SPIFFE IDs and trust domains', () => {
    const id = parseSpiffeId('spiffe://example.org/ns/prod/sa/web');
    expect(id.trustDomain.name).toBe('example.org');
    expect(id.path).toBe('/ns/prod/sa/web');
    expect(id.toString()).toBe('spiffe://example.org/ns/prod/sa/web');
    expect(id.memberOf('example.org')).toBe(true);
    const td = parseTrustDomain('spiffe://example.org/anything');
    expect(td.name).toBe('example.org');
    expect(td.idString()).toBe('spiffe://example.org');
  });

  it('matchers', () => {
    const onlyDb = matchId('spiffe://example.org/db');
    const frontends = matchOneOf('spiffe://example.org/web', 'spiffe://example.org/api');
    const ourDomain = matchMemberOf('example.org');
    expect(() => ourDomain(parseSpiffeId('spiffe://example.org/web'))).not.toThrow();
    expect(() => frontends(parseSpiffeId('spiffe://example.org/api'))).not.toThrow();
    expect(() => onlyDb(parseSpiffeId('spiffe://example.org/web'))).toThrow(expect.objectContaining({ code: 'ERR_SPIFFE_ID_NOT_AUTHORIZED' }));
    expect(() => matchAny()(parseSpiffeId('spiffe://x.test/y'))).not.toThrow();
  });

  it('trust bundles', () => {
    const fromJwks = parseSpiffeBundle(jwksText, 'example.org');
    const fromPem = parsePemBundle(pemText, 'example.org');
    const either = parseBundle(configValue, 'example.org');
    const built = new TrustBundle('example.org', { x509Authorities: [rootPem], jwtAuthorities: { k1: publicJwk } });
    expect(parseSpiffeBundle(serializeSpiffeBundle(fromJwks), 'example.org').sequence).toBe(1);
    expect([fromPem, either, built].map((b) => b.x509Authorities.length)).toEqual([1, 1, 1]);
  });

  it('bundle sources, X509-SVIDs and JWT-SVIDs', async () => {
    const ours = parseSpiffeBundle(jwksText, 'example.org');
    const federation = new BundleSet([ours, TrustBundle.fromPem('partner.test', partnerPem)]);
    expect(federation.getBundle('partner.test').trustDomain.name).toBe('partner.test');
    expect(() => federation.getBundle('unknown.test')).toThrow(expect.objectContaining({ code: 'ERR_BUNDLE_NOT_FOUND' }));
    const live: BundleSource = { getBundle: async (td) => federation.getBundle(td) };

    const { id, chain } = await verifyX509Svid(svidPem, federation, {
      usage: 'clientAuth',
      match: matchMemberOf('example.org'),
      at: new Date(),
    });
    expect(id.toString()).toBe('spiffe://example.org/web');
    expect(chain.length).toBe(3);

    const jwt = await validateJwtSvid(bearerToken, live, {
      audience: 'spiffe://example.org/reports',
      clockTolerance: 0,
    });
    expect(jwt.id.toString()).toBe('spiffe://example.org/web');
    expect(jwt.claims.aud).toEqual(['spiffe://example.org/reports']);
    expect(jwt.header.kid).toBe('k1');
  });
});
