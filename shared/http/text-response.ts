/**
 * A `Response` with a text body whose platform `Response` is built only when something needs it.
 * In Node, constructing undici's `Response` around a string builds a web `ReadableStream` for the
 * body, which costs more CPU than the rest of answering a warm verification's JSON; a transport
 * that writes the text itself (the Node bridge, through {@link textAnswerOf}) never needs it.
 *
 * It is `instanceof Response` (its prototype chain ends at `Response.prototype`, every accessor and
 * method of which it overrides): `status`, `statusText`, `ok`, `headers`, `type`, `url` and
 * `redirected` answer at once; the first use of anything else (`body`, `text()`, `json()`,
 * `clone()`, …) builds the real `Response` from the same parts and delegates to it from then on,
 * and `headers` is the real response's from then on. The approach of the bridge's lazy `Request`.
 *
 * A runtime that takes the answer natively (workerd returning it from a fetch handler) needs the
 * real one: {@link platformResponse} gives it, and an app gives every caller that did not say
 * otherwise ({@link writesTextBodies}) a real `Response` (`answerFor` in respond.ts).
 */

import { delegateMembers } from '../lib/delegate.js';

class TextResponse {
  readonly status: number;
  readonly statusText = '';
  readonly ok: boolean;
  readonly type = 'default';
  readonly url = '';
  readonly redirected = false;
  readonly #text: string;
  /** The headers as given, until something reads `headers` (a transport can write them as they are). */
  readonly #init: Readonly<Record<string, string>>;
  #headers: Headers | undefined;
  #real: Response | undefined;

  constructor(text: string, status: number, headers: Readonly<Record<string, string>>) {
    this.status = status;
    this.ok = status >= 200 && status <= 299;
    this.#text = text;
    this.#init = headers;
  }

  get headers(): Headers {
    if (this.#real) return this.#real.headers;
    return (this.#headers ??= new Headers(this.#init));
  }

  get bodyUsed(): boolean {
    return this.#real ? this.#real.bodyUsed : false;
  }

  /** The real response, built from the same parts on first need. */
  real(): Response {
    if (!this.#real) this.#real = new Response(this.#text, { status: this.status, headers: this.#headers ?? this.#init });
    return this.#real;
  }

  /**
   * The text of `response` and its headers if it is one of these and its body was not read:
   * the headers as given when nothing has read `headers` yet, else the `Headers` object.
   */
  static answerOf(response: Response): { readonly text: string; readonly headers: Headers | Readonly<Record<string, string>> } | undefined {
    if (!(#text in response)) return undefined;
    const r = response as unknown as TextResponse;
    if (r.#real?.bodyUsed) return undefined;
    return { text: r.#text, headers: r.#real ? r.#real.headers : (r.#headers ?? r.#init) };
  }

  /** The real response of `response` if it is one of these, else `response` itself. */
  static platform(response: Response): Response {
    return #text in response ? (response as unknown as TextResponse).real() : response;
  }
}

// the rest of Response's members (body, text(), json(), arrayBuffer(), blob(), formData(), clone(), …)
delegateMembers(TextResponse.prototype, Response.prototype, (self) => (self as TextResponse).real());

/**
 * A response with this text body, status and headers; the platform `Response` is built on first need.
 *
 * @example
 * const res = textResponse('{"ok":true}', 200, { 'content-type': 'application/json' });
 */
export function textResponse(text: string, status: number, headers: Readonly<Record<string, string>>): Response {
  return new TextResponse(text, status, headers) as unknown as Response;
}

/**
 * The body text and headers of a response made by {@link textResponse} whose body has not been
 * read (the headers as given, lowercase names, when nothing read `headers`; else the `Headers`
 * object), `undefined` for any other response. What the Node bridge writes.
 *
 * @example
 * const answer = textAnswerOf(response); // { text: '{"status":"ok"}', headers: { 'content-type': … } }
 */
export function textAnswerOf(response: Response): { readonly text: string; readonly headers: Headers | Readonly<Record<string, string>> } | undefined {
  return TextResponse.answerOf(response);
}

/**
 * `response` as the platform's own `Response` (what a runtime needs when it takes the answer
 * natively, as workerd does from a fetch handler). Any other response is returned as it is.
 *
 * @example
 * return platformResponse(json({ ok: true }));
 */
export function platformResponse(response: Response): Response {
  return TextResponse.platform(response);
}

const textTransports = new WeakSet<Request>();

/**
 * Declares that the transport answering `request` writes a text answer itself (with
 * {@link textAnswerOf}), so an app may hand back the lazy response instead of the platform's.
 * Returns `request`.
 *
 * @example
 * const answer = await app.fetch(writesTextBodies(request));
 */
export function writesTextBodies(request: Request): Request {
  textTransports.add(request);
  return request;
}

/** True when the transport of `request` said it writes text answers itself ({@link writesTextBodies}). */
export function writesTextBodiesFor(request: Request): boolean {
  return textTransports.has(request);
}
