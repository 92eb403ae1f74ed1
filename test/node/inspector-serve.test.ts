// The AgentCard inspector page in headless Chromium, served by `cardtrust serve`'s server over real
// HTTP on 127.0.0.1 (in-process): the same cases the worker runs (test/support/inspector-cases.ts).
// The allowlisted agent origin is answered by the outbound fetch serve is given.
import { startServe } from '../../node-adapter/serve/serve.js';
import { describeInspector, INSPECTOR_AGENT_ORIGIN } from '../support/inspector-cases.js';

describeInspector('the inspector page served by cardtrust serve', async (fx) => {
  const card = JSON.stringify(fx.valid);
  const agentOrigin: typeof fetch = async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin === INSPECTOR_AGENT_ORIGIN && url.pathname === '/.well-known/agent-card.json') {
      return new Response(card, { headers: { 'content-type': 'application/json' } });
    }
    return new Response('not found', { status: 404 });
  };
  const serving = await startServe({
    env: { TRUST_BUNDLES: fx.trustBundles, DEFAULT_TRUST_DOMAIN: 'example.org', FETCH_ALLOWED_ORIGINS: INSPECTOR_AGENT_ORIGIN },
    fetch: agentOrigin,
  });
  return { baseUrl: serving.url, close: () => serving.close(0) };
});
