// The lazy text Response behind json(): it answers as a Response everywhere (Node, Node with
// @peculiar/webcrypto, workerd), builds the platform Response only on first need, and an app hands
// a platform Response to every caller whose transport did not say it writes text answers itself.
import { describe, expect, it } from 'vitest';
import { answerFor, errorBody, errorCodeOf, json, textAnswerOf, writesTextBodies } from '../../shared/http/respond.js';
import { platformResponse } from '../../shared/http/text-response.js';

const textBodyOf = (r: Response): string | undefined => textAnswerOf(r)?.text;

const BODY = { a: [1, 2, 'é'], b: null };
const TEXT = JSON.stringify(BODY);
const isPlatform = (r: Response): boolean => Object.getPrototypeOf(r) === Response.prototype;

describe('json(): a lazy Response', () => {
  it('is a Response whose status, headers and other plain members answer without a body', () => {
    const r = json(BODY, 201, { etag: '"x"' });
    expect(r).toBeInstanceOf(Response);
    expect(isPlatform(r)).toBe(false);
    expect([r.status, r.statusText, r.ok, r.type, r.url, r.redirected, r.bodyUsed]).toEqual([201, '', true, 'default', '', false, false]);
    const headers: Record<string, string> = {};
    r.headers.forEach((value, name) => (headers[name] = value));
    expect(headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      etag: '"x"',
    });
    expect(json({}, 404).ok).toBe(false);
  });

  it.each<[string, (r: Response) => Promise<unknown>]>([
    ['text()', async (r) => JSON.parse(await r.text())],
    ['json()', (r) => r.json()],
    ['arrayBuffer()', async (r) => JSON.parse(new TextDecoder().decode(await r.arrayBuffer()))],
    ['the body stream', (r) => new Response(r.body).json()],
    ['a clone', (r) => r.clone().json()],
    ['a copy made with new Response(body, response)', (r) => new Response(r.body, r).json()],
  ])('reads its body through %s, once, like a Response', async (_how, read) => {
    const r = json(BODY);
    expect(textBodyOf(r)).toBe(TEXT);
    expect(await read(r)).toEqual(BODY);
    if (r.bodyUsed) {
      await expect(r.text()).rejects.toThrow(TypeError);
      expect(textBodyOf(r)).toBeUndefined();
    }
  });

  it('keeps headers set before the platform Response is built, and uses its headers after', async () => {
    const r = json(BODY);
    r.headers.set('x-before', '1');
    const copy = new Response(null, r);
    expect([copy.status, copy.headers.get('x-before')]).toEqual([200, '1']);
    expect(await r.clone().json()).toEqual(BODY);
    r.headers.set('x-after', '2');
    expect(r.clone().headers.get('x-after')).toBe('2');
  });

  it('gives a transport its headers as given (names lowercased) until something reads them, then the Headers', () => {
    const r = json(BODY, 429, { 'Retry-After': '3' });
    expect(textAnswerOf(r)?.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'retry-after': '3',
    });
    r.headers.set('vary', 'Origin');
    const after = textAnswerOf(r)!.headers;
    expect(after).toBeInstanceOf(Headers);
    expect([(after as Headers).get('vary'), (after as Headers).get('retry-after')]).toEqual(['Origin', '3']);
  });

  it('has no text for a platform Response', () => {
    expect(textBodyOf(new Response(TEXT))).toBeUndefined();
  });
});

describe('platformResponse and answerFor', () => {
  it('platformResponse builds the platform Response once, with the same status, headers and body', async () => {
    const r = json(BODY, 202, { etag: '"y"' });
    const real = platformResponse(r);
    expect(isPlatform(real)).toBe(true);
    expect(platformResponse(r)).toBe(real);
    expect([real.status, real.headers.get('etag'), real.headers.get('content-type')]).toEqual([202, '"y"', 'application/json; charset=utf-8']);
    expect(await real.json()).toEqual(BODY);
    const native = new Response('x');
    expect(platformResponse(native)).toBe(native);
  });

  it('answerFor gives a platform Response, error code kept, unless the transport writes text answers itself', async () => {
    const plain = new Request('https://h.test/');
    const err = errorBody('ERR_RATE_LIMITED', 'slow down', { 'retry-after': '3' });
    const answer = answerFor(plain, err);
    expect(isPlatform(answer)).toBe(true);
    expect([answer.status, answer.headers.get('retry-after'), errorCodeOf(answer)]).toEqual([429, '3', 'ERR_RATE_LIMITED']);
    expect(await answer.json()).toEqual({ error: { code: 'ERR_RATE_LIMITED', message: 'slow down' } });

    const marked = writesTextBodies(new Request('https://h.test/'));
    const lazy = json(BODY);
    expect(answerFor(marked, lazy)).toBe(lazy);
    expect(textBodyOf(answerFor(marked, lazy))).toBe(TEXT);
  });
});
