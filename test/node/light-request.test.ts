// The bridge's lazily built Request: the fast parts answer at once, everything else comes from a
// real Request built on first use from the same parts, and it behaves as a Request throughout.
import { describe, expect, it } from 'vitest';
import { lightRequest } from '../../node-adapter/http/light-request.js';

const enc = new TextEncoder();

function make(body?: 'bytes' | 'stream') {
  const text = '{"a":[1,2,"é"]}';
  const bytes = enc.encode(text) as Uint8Array<ArrayBuffer>;
  const headers = new Headers({ 'content-type': 'application/json', 'x-a': '1' });
  const signal = new AbortController().signal;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(bytes), c.close()) });
  return { text, req: lightRequest({ method: 'POST', url: 'http://h.test/p?q=1', headers, signal, ...(body === 'bytes' ? { bytes } : body === 'stream' ? { stream } : {}) }), headers, signal };
}

describe('lightRequest', () => {
  it('is a Request with the given method, url, headers and signal', () => {
    const { req, headers, signal } = make('bytes');
    expect(req).toBeInstanceOf(Request);
    expect([req.method, req.url, req.headers, req.signal]).toEqual(['POST', 'http://h.test/p?q=1', headers, signal]);
    expect(req.headers.get('x-a')).toBe('1');
    expect(req.bodyUsed).toBe(false);
  });

  it.each(['bytes', 'stream'] as const)('reads a %s body once, like a Request, then says it is used', async (kind) => {
    const { req, text } = make(kind);
    expect(await req.text()).toBe(text);
    expect(req.bodyUsed).toBe(true);
    await expect(req.text()).rejects.toThrow(TypeError);
  });

  it.each<[string, (r: Request) => Promise<unknown>]>([
    ['json()', (r) => r.json()],
    ['arrayBuffer()', async (r) => new TextDecoder().decode(await r.arrayBuffer())],
    ['the body stream', async (r) => new Response(r.body).json()],
    ['a clone', (r) => r.clone().json()],
  ])('delegates %s to the real Request', async (_name, read) => {
    const { req } = make('bytes');
    const v = await read(req);
    expect(typeof v === 'string' ? JSON.parse(v) : v).toEqual({ a: [1, 2, 'é'] });
  });

  it('makes a signal given as a function once, on first read, and the real Request follows it', async () => {
    let made = 0;
    const ac = new AbortController();
    const req = lightRequest({ method: 'GET', url: 'http://h.test/', headers: new Headers(), signal: () => (made++, ac.signal) });
    expect(made).toBe(0);
    expect(req.signal).toBe(ac.signal);
    expect(req.signal).toBe(ac.signal);
    expect(made).toBe(1);
    const clone = req.clone(); // builds the real Request
    ac.abort(new Error('gone'));
    expect(clone.signal.aborted).toBe(true);
    expect(made).toBe(1);
  });

  it('has no body when given none, and other Request properties work', async () => {
    const { req } = make();
    expect(req.body).toBeNull();
    expect(req.cache).toBe('default');
    expect(new Request(req.url, { method: 'GET', headers: req.headers }).headers.get('x-a')).toBe('1');
  });
});
