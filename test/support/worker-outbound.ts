/**
 * Miniflare's outbound fetch handler for the `worker` test project: every `fetch` the worker
 * (or a test) makes from inside workerd lands here, in Node.
 * - `http://127.0.0.1:*` is proxied to the real local servers (the Upstash bridge, the control server).
 * - `http://origins.test/register` (POST) scripts a fake agent origin: `{ origin, routes: { [path]: Scripted } }`.
 * - any other URL is answered from those scripts; an unscripted origin fails like a DNS error.
 * So `/v1/agent-cards/fetch` is tested through Miniflare's real outbound path, no mocks in the worker.
 */

/** How a scripted origin answers one path. */
export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Body text (or JSON when not a string). */
  body?: unknown;
  /** Streamed body of `repeat.count` chunks of `repeat.chunk`, without Content-Length. */
  repeat?: { chunk: string; count: number };
  /** Wait this long before answering. */
  delayMs?: number;
}

const origins = new Map<string, Record<string, ScriptedResponse>>();
const hits = new Map<string, number>();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function proxy(request: Request): Promise<Response> {
  const method = request.method;
  const body = method === 'GET' || method === 'HEAD' ? undefined : await request.arrayBuffer();
  const headers = new Headers();
  request.headers.forEach((v, k) => headers.set(k, v));
  const res = await fetch(request.url, { method, headers, body, redirect: 'manual' });
  const nullBody = res.status === 204 || res.status === 304 || method === 'HEAD';
  return new Response(nullBody ? null : await res.arrayBuffer(), { status: res.status, headers: res.headers });
}

function scripted(s: ScriptedResponse): Response {
  const headers = new Headers(s.headers ?? {});
  if (s.repeat) {
    const { chunk, count } = s.repeat;
    const bytes = new TextEncoder().encode(chunk);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= count) return controller.close();
        sent++;
        controller.enqueue(bytes);
      },
    });
    return new Response(stream, { status: s.status ?? 200, headers });
  }
  const text = s.body === undefined ? '' : typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
  if (!headers.has('content-type') && typeof s.body !== 'string') headers.set('content-type', 'application/json');
  return new Response(s.status === 204 || s.status === 304 ? null : text, { status: s.status ?? 200, headers });
}

/** The handler given to `miniflare.outboundService`. */
export async function workerOutbound(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') return proxy(request);
  if (url.origin === 'http://origins.test') {
    if (url.pathname === '/register' && request.method === 'POST') {
      const { origin, routes } = (await request.json()) as { origin: string; routes: Record<string, ScriptedResponse> };
      origins.set(origin, routes);
      return new Response(null, { status: 204 });
    }
    if (url.pathname === '/hits') {
      return Response.json(hits.get(url.searchParams.get('url') ?? '') ?? 0);
    }
    return new Response('unknown control path', { status: 404 });
  }
  const routes = origins.get(url.origin);
  if (!routes) throw new Error(`getaddrinfo ENOTFOUND ${url.hostname}`);
  hits.set(url.href, (hits.get(url.href) ?? 0) + 1);
  const s = routes[url.pathname + url.search] ?? routes[url.pathname];
  if (!s) return new Response('not found', { status: 404 });
  if (s.delayMs) await sleep(s.delayMs);
  return scripted(s);
}
