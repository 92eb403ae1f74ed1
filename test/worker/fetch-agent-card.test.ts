// fetchAgentCard through Miniflare's outbound fetch: every scripted origin is answered in Node by
// test/support/worker-outbound.ts, so redirects, streaming and timeouts are real.
import { describe, expect, it } from 'vitest';
import { fetchAgentCard, agentOrigin } from '../../workers/fetch/fetch-agent-card.js';
import { hits, scriptOrigin, unique } from './helpers.js';

const card = { name: 'Weather agent', url: 'https://agent.example/a2a', version: '1.0.0' };

async function origin(routes: Parameters<typeof scriptOrigin>[1]): Promise<string> {
  const o = `https://${unique('agent')}.test`;
  await scriptOrigin(o, routes);
  return o;
}

const fetchFn: typeof fetch = (input, init) => fetch(input, init);
const opts = (o: string, extra: Partial<Parameters<typeof fetchAgentCard>[1]> = {}) => ({
  allowedOrigins: new Set([o]),
  fetch: fetchFn,
  timeoutMs: 2000,
  ...extra,
});

describe('agentOrigin', () => {
  const allowed = new Set(['https://agent.example', 'https://port.example:8443']);
  it.each([
    ['https://agent.example', 'https://agent.example'],
    ['https://agent.example/', 'https://agent.example'],
    ['https://AGENT.example', 'https://agent.example'],
    ['https://port.example:8443', 'https://port.example:8443'],
  ])('accepts %s', (url, expected) => {
    expect(agentOrigin(url, allowed)).toBe(expected);
  });

  it.each([
    ['http://agent.example', 'ERR_FETCH_ORIGIN_NOT_ALLOWED'],
    ['https://other.example', 'ERR_FETCH_ORIGIN_NOT_ALLOWED'],
    ['https://agent.example:444', 'ERR_FETCH_ORIGIN_NOT_ALLOWED'],
    ['https://sub.agent.example', 'ERR_FETCH_ORIGIN_NOT_ALLOWED'],
    ['file:///etc/passwd', 'ERR_FETCH_ORIGIN_NOT_ALLOWED'],
    ['https://agent.example/.well-known/agent-card.json', 'ERR_REQUEST_INVALID'],
    ['https://agent.example?x=1', 'ERR_REQUEST_INVALID'],
    ['https://agent.example#f', 'ERR_REQUEST_INVALID'],
    ['https://user:pw@agent.example', 'ERR_REQUEST_INVALID'],
    ['not a url', 'ERR_REQUEST_INVALID'],
  ])('refuses %s with %s', (url, code) => {
    expect(() => agentOrigin(url, allowed)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses everything with an empty allowlist', () => {
    expect(() => agentOrigin('https://agent.example', new Set())).toThrow(expect.objectContaining({ code: 'ERR_FETCH_ORIGIN_NOT_ALLOWED' }));
  });
});

describe('fetchAgentCard', () => {
  it('reads /.well-known/agent-card.json', async () => {
    const o = await origin({ '/.well-known/agent-card.json': { body: card } });
    expect(await fetchAgentCard(o, opts(o))).toEqual({ card, url: `${o}/.well-known/agent-card.json`, path: '/.well-known/agent-card.json' });
  });

  it('falls back to /.well-known/agent.json on 404', async () => {
    const o = await origin({ '/.well-known/agent.json': { body: card } });
    const got = await fetchAgentCard(o, opts(o));
    expect(got.path).toBe('/.well-known/agent.json');
    expect(got.card).toEqual(card);
    expect(await hits(`${o}/.well-known/agent-card.json`)).toBe(1);
  });

  it('does not fall back on other errors', async () => {
    const o = await origin({ '/.well-known/agent-card.json': { status: 500, body: 'oops' }, '/.well-known/agent.json': { body: card } });
    await expect(fetchAgentCard(o, opts(o))).rejects.toMatchObject({ code: 'ERR_FETCH_FAILED' });
  });

  it('follows a same-origin redirect', async () => {
    const o = await origin({
      '/.well-known/agent-card.json': { status: 302, headers: { location: '/cards/v2.json' } },
      '/cards/v2.json': { body: card },
    });
    const got = await fetchAgentCard(o, opts(o));
    expect(got).toMatchObject({ card, url: `${o}/cards/v2.json`, path: '/.well-known/agent-card.json' });
  });

  it('refuses a redirect to another origin, even an allowlisted one', async () => {
    const other = await origin({ '/card.json': { body: card } });
    const o = await origin({ '/.well-known/agent-card.json': { status: 301, headers: { location: `${other}/card.json` } } });
    await expect(fetchAgentCard(o, opts(o, { allowedOrigins: new Set([o, other]) }))).rejects.toMatchObject({
      code: 'ERR_FETCH_REDIRECT_NOT_ALLOWED',
    });
    expect(await hits(`${other}/card.json`)).toBe(0);
  });

  it('refuses a downgrade redirect to http: on the same host', async () => {
    const host = `${unique('downgrade')}.test`;
    await scriptOrigin(`https://${host}`, { '/.well-known/agent-card.json': { status: 307, headers: { location: `http://${host}/x` } } });
    await expect(fetchAgentCard(`https://${host}`, opts(`https://${host}`))).rejects.toMatchObject({ code: 'ERR_FETCH_REDIRECT_NOT_ALLOWED' });
  });

  it('limits redirect hops', async () => {
    const o = await origin({
      '/.well-known/agent-card.json': { status: 302, headers: { location: '/a' } },
      '/a': { status: 302, headers: { location: '/b' } },
      '/b': { status: 302, headers: { location: '/c' } },
      '/c': { status: 302, headers: { location: '/d' } },
      '/d': { body: card },
    });
    await expect(fetchAgentCard(o, opts(o))).rejects.toMatchObject({ code: 'ERR_FETCH_REDIRECT_NOT_ALLOWED' });
    expect(await hits(`${o}/d`)).toBe(0);
  });

  it('404 on both paths', async () => {
    const o = await origin({});
    await expect(fetchAgentCard(o, opts(o))).rejects.toMatchObject({ code: 'ERR_FETCH_NOT_FOUND' });
  });

  it('refuses an oversized body announced by Content-Length', async () => {
    const o = await origin({ '/.well-known/agent-card.json': { body: 'x'.repeat(2048) } });
    await expect(fetchAgentCard(o, opts(o, { maxBytes: 1024 }))).rejects.toMatchObject({ code: 'ERR_FETCH_TOO_LARGE' });
  });

  it('stops reading an oversized streamed body at 1 MiB', async () => {
    const o = await origin({ '/.well-known/agent-card.json': { repeat: { chunk: ' '.repeat(64 * 1024), count: 17 } } });
    await expect(fetchAgentCard(o, opts(o))).rejects.toMatchObject({ code: 'ERR_FETCH_TOO_LARGE' });
  });

  it('times out on a slow origin', async () => {
    const o = await origin({ '/.well-known/agent-card.json': { body: card, delayMs: 1500 } });
    await expect(fetchAgentCard(o, opts(o, { timeoutMs: 100 }))).rejects.toMatchObject({ code: 'ERR_FETCH_TIMEOUT' });
  });

  it('fails on an unreachable origin', async () => {
    const o = `https://${unique('nowhere')}.test`;
    await expect(fetchAgentCard(o, opts(o))).rejects.toMatchObject({ code: 'ERR_FETCH_FAILED' });
  });

  it.each([
    ['not JSON', 'hello'],
    ['truncated JSON', '{"name": '],
    ['JSON with a member name twice (I-JSON)', '{"name": "Evil Agent", "name": "Weather agent"}'],
  ])('a body that is %s is a malformed card', async (_n, body) => {
    const o = await origin({ '/.well-known/agent-card.json': { body, headers: { 'content-type': 'application/json' } } });
    await expect(fetchAgentCard(o, opts(o))).rejects.toMatchObject({ code: 'ERR_CARD_MALFORMED' });
  });
});
