/**
 * The SVID endpoints' behaviour, written once against "post this JSON, get status and body", run
 * inside workerd (test/worker/svids.test.ts) and over real HTTP against `cardtrust serve`
 * (test/node/serve-svids.test.ts). The rejection tables are the core's own (svid-cases.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TrustBundle, serializeSpiffeBundle } from '../../shared/bundle/index.js';
import { b64Encode } from '../../shared/lib/encoding.js';
import { encodePem } from '../../shared/x509/index.js';
import { ALGS, JwtFixture, createX509Fixture, jwtRejectCases, x509RejectCases, type ChainInput, type X509Fixture } from './svid-cases.js';

export interface Answer {
  status: number;
  body: Record<string, any>;
}

/** Sends `body` (an object is sent as JSON; a string as is) to `path` with `contentType`. */
export type Post = (path: string, body: unknown, contentType?: string) => Promise<Answer>;

export interface SvidHttpTarget {
  /** Starts the service with these variables and its clock fixed at `now`; returns how to talk to it. */
  start(env: Record<string, string>, now: Date): Promise<Post>;
}

const X509 = '/v1/svids/x509/verify';
const JWT = '/v1/svids/jwt/validate';

/** A chain as sent over HTTP: PEM text as is, DER certificates as standard base64 (as in `x5c`). */
function wire(chain: ChainInput): string | string[] {
  return typeof chain === 'string' ? chain : chain.map((d) => b64Encode(d));
}

async function sha256Hex(der: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function svidHttpSuite(target: SvidHttpTarget): void {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  let x: X509Fixture;
  let j: JwtFixture;
  let post: Post;

  beforeAll(async () => {
    x = await createX509Fixture('example.org');
    j = await JwtFixture.create(now.getTime() / 1000);
    // one bundle for example.org with both the X.509 root and the JWT keys
    const bundle = new TrustBundle('example.org', { x509Authorities: [x.root.der], jwtAuthorities: j.bundle.jwtAuthorities as ReadonlyMap<string, JsonWebKey> });
    post = await target.start({ TRUST_BUNDLES: JSON.stringify({ 'example.org': JSON.parse(serializeSpiffeBundle(bundle)) }) }, now);
  }, 60_000);

  describe('POST /v1/svids/x509/verify accepts', () => {
    it.each<[string, (der: readonly Uint8Array[], pem: string) => unknown]>([
      ['base64 DER certificates', (der) => der.map((d) => b64Encode(d))],
      ['PEM certificates', (der) => der.map((d) => encodePem('CERTIFICATE', d))],
      ['one PEM bundle text', (_der, pem) => pem],
    ])('a chain as %s, answering the verified path leaf to root', async (_name, shape) => {
      const s = await x.svid();
      const { status, body } = await post(X509, { chain: shape(s.der, s.pem) });
      expect(status).toBe(200);
      expect(body).toMatchObject({ verified: true, id: x.id, trustDomain: 'example.org', expiresAt: s.certificates[0]!.notAfter.toISOString() });
      expect(body.error).toBeUndefined();
      const path = [s.der[0]!, x.inter.der, x.root.der];
      expect(body.chain.map((c: { sha256: string }) => c.sha256)).toEqual(await Promise.all(path.map(sha256Hex)));
      expect(body.chain[0]).toMatchObject({ spiffeId: x.id, notAfter: s.certificates[0]!.notAfter.toISOString() });
      expect(typeof body.chain[0].subject).toBe('string');
    });

    it('a policy the SVID meets (trust domain and expected ID)', async () => {
      const s = await x.svid();
      const { body } = await post(X509, { chain: wire(s.der), policy: { trustDomain: 'example.org', expectedId: x.id } });
      expect(body.verified).toBe(true);
    });
  });

  describe('POST /v1/svids/x509/verify answers verified: false with the core code for', () => {
    it.each(x509RejectCases(() => x))('%s', async (_name, make, code) => {
      const { status, body } = await post(X509, { chain: wire(await make()) });
      expect(status).toBe(200);
      expect(body.verified).toBe(false);
      expect(body.error.code).toBe(code);
      expect(body.id).toBeUndefined();
    });

    it.each<[string, Record<string, string>]>([
      ['another trust domain', { trustDomain: 'other.test' }],
      ['another expected ID', { expectedId: 'spiffe://example.org/other' }],
    ])('a policy naming %s (ERR_SPIFFE_ID_NOT_AUTHORIZED), with the presented chain described', async (_name, policy) => {
      const s = await x.svid();
      const { status, body } = await post(X509, { chain: wire(s.der), policy });
      expect(status).toBe(200);
      expect(body.verified).toBe(false);
      expect(body.error.code).toBe('ERR_SPIFFE_ID_NOT_AUTHORIZED');
      expect(body.chain.map((c: { sha256: string }) => c.sha256)).toEqual(await Promise.all(s.der.map(sha256Hex)));
    });
  });

  describe('SVID endpoints refuse requests they cannot read', () => {
    it.each<[string, string, unknown, string | undefined, number, string]>([
      ['x509: not JSON', X509, '{"chain": [', 'application/json', 400, 'ERR_JSON_MALFORMED'],
      ['x509: a member twice', X509, '{"chain": [], "chain": []}', 'application/json', 400, 'ERR_JSON_MALFORMED'],
      ['x509: not application/json', X509, '{"chain": []}', 'text/plain', 415, 'ERR_CONTENT_TYPE_UNSUPPORTED'],
      ['x509: an array body', X509, [], undefined, 400, 'ERR_REQUEST_INVALID'],
      ['x509: no chain', X509, {}, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['x509: an unknown field', X509, { chain: [], extra: 1 }, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['x509: chain a number', X509, { chain: 7 }, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['x509: a chain entry that is not a string', X509, { chain: [7] }, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['x509: an unknown policy field', X509, { chain: [], policy: { mode: 'audit' } }, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['x509: a policy trust domain that is not one', X509, { chain: [], policy: { trustDomain: 'Not A Domain' } }, undefined, 400, 'ERR_TRUST_DOMAIN_INVALID'],
      ['x509: a policy ID that is not one', X509, { chain: [], policy: { expectedId: 'https://x' } }, undefined, 400, 'ERR_SPIFFE_ID_INVALID'],
      ['x509: a body over 1 MiB', X509, { chain: ['A'.repeat(1024 * 1024)] }, undefined, 413, 'ERR_BODY_TOO_LARGE'],
      ['jwt: no token', JWT, { audience: 'a' }, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['jwt: no audience', JWT, { token: 'a.b.c' }, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['jwt: an empty audience', JWT, { token: 'a.b.c', audience: '' }, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['jwt: an empty audience list', JWT, { token: 'a.b.c', audience: [] }, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['jwt: an audience list with a number', JWT, { token: 'a.b.c', audience: ['a', 1] }, undefined, 400, 'ERR_REQUEST_INVALID'],
      ['jwt: an unknown field', JWT, { token: 'a.b.c', audience: 'a', alg: 'none' }, undefined, 400, 'ERR_REQUEST_INVALID'],
    ])('%s', async (_name, path, body, type, status, code) => {
      const answer = await post(path, body, type);
      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(answer.body.verified).toBeUndefined();
    });
  });

  describe('POST /v1/svids/jwt/validate accepts', () => {
    it.each(ALGS)('%s', async (alg) => {
      const { status, body } = await post(JWT, { token: await j.token(alg), audience: j.aud });
      expect(status).toBe(200);
      expect(body).toMatchObject({ verified: true, id: j.sub, trustDomain: 'example.org', expiresAt: new Date((j.T + 300) * 1000).toISOString() });
      expect(body.claims).toEqual({ sub: j.sub, aud: [j.aud], exp: j.T + 300, iat: j.T - 10 });
    });

    it('one of several audiences, and a policy the subject meets', async () => {
      const { body } = await post(JWT, { token: await j.token(), audience: ['other', j.aud], policy: { expectedId: j.sub } });
      expect(body.verified).toBe(true);
    });
  });

  describe('POST /v1/svids/jwt/validate answers verified: false with the core code for', () => {
    it.each(jwtRejectCases(() => j))('%s', async (_name, make, code) => {
      const { status, body } = await post(JWT, { token: await make(), audience: j.aud });
      expect(status).toBe(200);
      expect(body.verified).toBe(false);
      expect(body.error.code).toBe(code);
      expect(body.claims).toBeUndefined();
    });

    it('a subject outside the policy (ERR_SPIFFE_ID_NOT_AUTHORIZED)', async () => {
      const { body } = await post(JWT, { token: await j.token(), audience: j.aud, policy: { expectedId: 'spiffe://example.org/other' } });
      expect(body.error.code).toBe('ERR_SPIFFE_ID_NOT_AUTHORIZED');
    });
  });
}

/** A {@link Post} over a Fetch handler (in-process) or over HTTP (`fetch` to a base URL). */
export function poster(fetchFn: (request: Request) => Promise<Response>, base = 'https://cardtrust.test'): Post {
  return async (path, body, contentType = 'application/json') => {
    const res = await fetchFn(
      new Request(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    );
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
}
