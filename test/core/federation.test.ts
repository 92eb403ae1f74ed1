/**
 * SPIFFE federation, runtime-neutral (runs in Node, with @peculiar/webcrypto, and in workerd):
 * fetchSpiffeBundle's https_web exchange rules with exact codes, and FederatedBundleSource's
 * lazy refresh on the hint, last-good-kept, staleness and single flight. The endpoint is a fetch
 * function answering real Response objects (the Worker-to-worker federation test lives in the
 * worker suite's roadmap; see docs/spiffe.md).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FederatedBundleSource, TrustBundle, fetchSpiffeBundle, refreshIntervalMs, serializeSpiffeBundle } from '../../shared/bundle/index.js';
import type { ErrorCode } from '../../shared/errors.js';
import { TestCA } from '../support/ca.js';

let partner: TestCA;
let partner2: TestCA;
const URL_ = 'https://partner.test/bundle';

const doc = (cas: TestCA[], extra: { sequence?: number; refreshHint?: number } = {}) =>
  serializeSpiffeBundle(new TrustBundle('partner.test', { x509Authorities: cas.map((c) => c.der), ...extra }));

type Endpoint = (url: string, init?: RequestInit) => Promise<Response>;
const answer = (body: BodyInit | null, init: ResponseInit = {}): Endpoint => async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' }, ...init });

/** An endpoint that redirects each URL in `map` to its target and serves the bundle elsewhere. */
const hops =
  (map: Record<string, string>, status = 302): Endpoint =>
  async (url) =>
    url in map ? new Response(null, { status, headers: { location: map[url]! } }) : new Response(doc([partner]), { status: 200 });
/** `n` redirects: /0 → /1 → … → /n, which serves the bundle. */
const chain = (n: number): Endpoint => {
  const map: Record<string, string> = { [URL_]: 'https://partner.test/hop/1' };
  for (let i = 1; i < n; i++) map[`https://partner.test/hop/${i}`] = `https://partner.test/hop/${i + 1}`;
  return hops(map);
};
/** What a browser's fetch answers in `redirect: 'manual'` mode. */
const opaqueRedirect = (): Response => {
  const r = new Response(null, { status: 200 });
  Object.defineProperty(r, 'type', { value: 'opaqueredirect' });
  return r;
};

beforeAll(async () => {
  partner = await TestCA.create({ trustDomain: 'partner.test' });
  partner2 = await TestCA.create({ trustDomain: 'partner.test' });
});

async function code(url: string, fetchFn: Endpoint, extra: Partial<Parameters<typeof fetchSpiffeBundle>[1]> = {}): Promise<ErrorCode | 'ok'> {
  try {
    await fetchSpiffeBundle(url, { trustDomain: 'partner.test', fetch: fetchFn as typeof fetch, ...extra });
    return 'ok';
  } catch (err) {
    return (err as { code: ErrorCode }).code;
  }
}

describe('fetchSpiffeBundle (https_web)', () => {
  it('fetches and parses the bundle; the refresh hint is honoured within bounds', async () => {
    const r = await fetchSpiffeBundle(URL_, { trustDomain: 'partner.test', fetch: answer(doc([partner], { refreshHint: 120, sequence: 3 })) as typeof fetch });
    expect(r.bundle.x509Authorities).toHaveLength(1);
    expect(r.bundle.sequence).toBe(3);
    expect(r.refreshMs).toBe(120_000);
    expect(refreshIntervalMs(new TrustBundle('partner.test', { refreshHint: 1 }))).toBe(30_000);
    expect(refreshIntervalMs(new TrustBundle('partner.test', { refreshHint: 10 ** 7 }))).toBe(86_400_000);
    expect(refreshIntervalMs(new TrustBundle('partner.test', {}))).toBe(300_000);
  });

  it('sends no credentials and asks for no redirects to be followed', async () => {
    let seen: RequestInit | undefined;
    await fetchSpiffeBundle(URL_, { trustDomain: 'partner.test', fetch: (async (_u: string, init?: RequestInit) => ((seen = init), new Response(doc([partner])))) as typeof fetch });
    expect(seen?.redirect).toBe('manual');
    expect(seen?.method).toBe('GET');
  });

  const cases: Array<[string, string, Endpoint, ErrorCode, Partial<Parameters<typeof fetchSpiffeBundle>[1]>?]> = [
    ['an http: URL', 'http://partner.test/bundle', answer('{}'), 'ERR_FETCH_ORIGIN_NOT_ALLOWED'],
    ['not a URL', 'partner.test/bundle', answer('{}'), 'ERR_INPUT_INVALID'],
    ['credentials in the URL', 'https://u:p@partner.test/bundle', answer('{}'), 'ERR_INPUT_INVALID'],
    ['404', URL_, answer('no', { status: 404 }), 'ERR_FETCH_NOT_FOUND'],
    ['500', URL_, answer('no', { status: 500 }), 'ERR_FETCH_FAILED'],
    // SPIFFE Federation §5.2.1.4: redirects are followed only to valid bundle endpoint URLs
    ['a redirect to an http: URL', URL_, hops({ [URL_]: 'http://cdn.test/bundle' }), 'ERR_FETCH_REDIRECT_NOT_ALLOWED'],
    ['a redirect to a URL with userinfo', URL_, hops({ [URL_]: 'https://u:p@cdn.test/bundle' }), 'ERR_FETCH_REDIRECT_NOT_ALLOWED'],
    ['a redirect to something that is not a URL', URL_, hops({ [URL_]: 'https://[::1' }), 'ERR_FETCH_REDIRECT_NOT_ALLOWED'],
    ['a redirect loop', URL_, hops({ [URL_]: URL_ }), 'ERR_FETCH_REDIRECT_NOT_ALLOWED'],
    ['11 redirects', URL_, chain(11), 'ERR_FETCH_REDIRECT_NOT_ALLOWED'],
    ['a redirect when maxRedirects is 0', URL_, hops({ [URL_]: 'https://cdn.test/bundle' }), 'ERR_FETCH_REDIRECT_NOT_ALLOWED', { maxRedirects: 0 }],
    ['a redirect without Location', URL_, answer(null, { status: 302 }), 'ERR_FETCH_FAILED'],
    ['a 304', URL_, answer(null, { status: 304 }), 'ERR_FETCH_FAILED'],
    ['a browser opaque redirect', URL_, async () => opaqueRedirect(), 'ERR_FETCH_REDIRECT_NOT_ALLOWED'],
    ['maxRedirects not an integer', URL_, answer('{}'), 'ERR_INPUT_INVALID', { maxRedirects: -1 }],
    ['a Content-Length over the cap', URL_, answer('x'.repeat(5000)), 'ERR_FETCH_TOO_LARGE', { maxBytes: 1000 }],
    ['a streamed body over the cap', URL_, answer(new ReadableStream({ start(c) { c.enqueue(new Uint8Array(800)); c.enqueue(new Uint8Array(800)); c.close(); } })), 'ERR_FETCH_TOO_LARGE', { maxBytes: 1000 }],
    ['a slow endpoint', URL_, () => new Promise<Response>(() => {}), 'ERR_FETCH_TIMEOUT', { timeoutMs: 50 }],
    ['the network failing', URL_, async () => Promise.reject(new TypeError('fetch failed')), 'ERR_FETCH_FAILED'],
    ['not JSON', URL_, answer('{"keys": ['), 'ERR_JSON_MALFORMED'],
    ['not a bundle', URL_, answer('{"nokeys": true}'), 'ERR_BUNDLE_INVALID'],
    ['not UTF-8', URL_, answer(new Uint8Array([0x7b, 0xff, 0x7d])), 'ERR_JSON_MALFORMED'],
  ];
  it.each(cases)('%s → %s', async (_name, url, endpoint, expected, extra) => {
    expect(await code(url, endpoint, extra ?? {})).toBe(expected);
  });

  it.each<[string, Endpoint]>([
    ['a 302 to another https origin', hops({ [URL_]: 'https://cdn.test/partner/bundle.json' })],
    ['a 301', hops({ [URL_]: 'https://cdn.test/b' }, 301)],
    ['a 303', hops({ [URL_]: 'https://cdn.test/b' }, 303)],
    ['a 307', hops({ [URL_]: 'https://cdn.test/b' }, 307)],
    ['a 308', hops({ [URL_]: 'https://cdn.test/b' }, 308)],
    ['a relative Location', hops({ [URL_]: '/moved/bundle' })],
    ['10 redirects', chain(10)],
  ])('follows %s to a valid bundle endpoint URL (Federation §5.2.1.4)', async (_name, endpoint) => {
    const seen: string[] = [];
    const r = await fetchSpiffeBundle(URL_, { trustDomain: 'partner.test', fetch: (async (u: string, init?: RequestInit) => (seen.push(u), endpoint(u, init))) as typeof fetch });
    expect(r.bundle.x509Authorities).toHaveLength(1);
    expect(seen[0]).toBe(URL_);
    expect(seen.length).toBeGreaterThan(1);
    if (_name === 'a relative Location') expect(seen[1]).toBe('https://partner.test/moved/bundle');
  });

  it('spiffe_sequence never goes backwards', async () => {
    const previous = new TrustBundle('partner.test', { x509Authorities: [partner.der], sequence: 5 });
    expect(await code(URL_, answer(doc([partner], { sequence: 4 })), { previous })).toBe('ERR_BUNDLE_INVALID');
    expect(await code(URL_, answer(doc([partner], { sequence: 5 })), { previous })).toBe('ok');
    expect(await code(URL_, answer(doc([partner], { sequence: 6 })), { previous })).toBe('ok');
  });
});

describe('FederatedBundleSource', () => {
  it('refreshes when due, keeps the last good bundle when the endpoint fails, and reports staleness', async () => {
    let now = 1_000_000;
    let calls = 0;
    let mode: 'ok' | 'down' | 'rotated' = 'ok';
    const endpoint = (async () => {
      calls++;
      if (mode === 'down') throw new TypeError('connection refused');
      return new Response(mode === 'ok' ? doc([partner], { refreshHint: 60, sequence: 1 }) : doc([partner2], { refreshHint: 60, sequence: 2 }));
    }) as typeof fetch;
    const source = new FederatedBundleSource([{ trustDomain: 'partner.test', url: URL_ }], { fetch: endpoint, now: () => now });
    expect((await source.getBundle('partner.test')).x509Authorities[0]!.subject.text).toBe(partner.certificate.subject.text);
    await source.getBundle('partner.test');
    expect(calls).toBe(1); // not due yet
    expect(source.status()[0]).toMatchObject({ trustDomain: 'partner.test', stale: false, sequence: 1 });

    now += 61_000;
    mode = 'down';
    const kept = await source.getBundle('partner.test');
    expect(calls).toBe(2);
    expect(kept.x509Authorities[0]!.subject.text).toBe(partner.certificate.subject.text);
    expect(source.status()[0]).toMatchObject({ stale: true, lastError: { code: 'ERR_FETCH_FAILED' } });

    // Federation §6.2: a failed poll is retried at the next polling interval, not sooner
    now += 31_000;
    await source.getBundle('partner.test');
    expect(calls).toBe(2);
    now += 30_000;
    mode = 'rotated';
    expect((await source.getBundle('partner.test')).x509Authorities[0]!.subject.text).toBe(partner2.certificate.subject.text);
    expect(source.status()[0]).toMatchObject({ stale: false, sequence: 2 });
    expect(source.status()[0]!.lastError).toBeUndefined();
  });

  it('a trust domain never fetched is ERR_BUNDLE_NOT_FOUND with the reason; an unknown one too', async () => {
    const source = new FederatedBundleSource([{ trustDomain: 'partner.test', url: URL_ }], { fetch: answer('no', { status: 503 }) as typeof fetch });
    await expect(source.getBundle('partner.test')).rejects.toMatchObject({ code: 'ERR_BUNDLE_NOT_FOUND', message: expect.stringContaining('ERR_FETCH_FAILED') });
    await expect(source.getBundle('other.test')).rejects.toMatchObject({ code: 'ERR_BUNDLE_NOT_FOUND' });
    expect(() => new FederatedBundleSource([{ trustDomain: 'a.test', url: URL_ }, { trustDomain: 'a.test', url: URL_ }])).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('a trust domain never fetched is retried after 30 s; every refresh starts at the configured URL (Federation §5.2.1.4)', async () => {
    let now = 1_000_000;
    const seen: string[] = [];
    let up = false;
    const redirecting = hops({ [URL_]: 'https://cdn.test/bundle' });
    const endpoint = (async (u: string, init?: RequestInit) => {
      seen.push(u);
      if (!up) throw new TypeError('connection refused');
      return redirecting(u, init);
    }) as typeof fetch;
    const source = new FederatedBundleSource([{ trustDomain: 'partner.test', url: URL_ }], { fetch: endpoint, now: () => now });
    await expect(source.getBundle('partner.test')).rejects.toMatchObject({ code: 'ERR_BUNDLE_NOT_FOUND' });
    now += 29_000;
    await expect(source.getBundle('partner.test')).rejects.toMatchObject({ code: 'ERR_BUNDLE_NOT_FOUND' });
    expect(seen).toEqual([URL_]);
    now += 1_000;
    up = true;
    await source.getBundle('partner.test');
    expect(seen).toEqual([URL_, URL_, 'https://cdn.test/bundle']);
    now += 300_000;
    await source.getBundle('partner.test');
    expect(seen).toEqual([URL_, URL_, 'https://cdn.test/bundle', URL_, 'https://cdn.test/bundle']);
  });

  it('concurrent requests share one refresh', async () => {
    let calls = 0;
    const endpoint = (async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return new Response(doc([partner]));
    }) as typeof fetch;
    const source = new FederatedBundleSource([{ trustDomain: 'partner.test', url: URL_ }], { fetch: endpoint });
    await Promise.all(Array.from({ length: 10 }, () => source.getBundle('partner.test')));
    expect(calls).toBe(1);
  });
});
