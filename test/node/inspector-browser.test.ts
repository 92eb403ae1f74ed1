// The AgentCard inspector page in headless Chromium, served by the real worker in workerd
// (Miniflare): the cases of test/support/inspector-cases.ts. The allowlisted agent origin is
// answered in Node by Miniflare's outbound service; screenshots go to test-artifacts/inspector/.
import { startWorker } from '../support/worker-miniflare.js';
import { describeInspector, INSPECTOR_AGENT_ORIGIN } from '../support/inspector-cases.js';

describeInspector('the inspector page served by the worker (workerd)', async (fx) => {
  const card = JSON.stringify(fx.valid);
  const worker = await startWorker(
    { TRUST_BUNDLES: fx.trustBundles, DEFAULT_TRUST_DOMAIN: 'example.org', FETCH_ALLOWED_ORIGINS: INSPECTOR_AGENT_ORIGIN },
    {
      outbound: (request) => {
        const url = new URL(request.url);
        if (url.origin === INSPECTOR_AGENT_ORIGIN && url.pathname === '/.well-known/agent-card.json') {
          return new Response(card, { headers: { 'content-type': 'application/json' } });
        }
        return new Response('not found', { status: 404 });
      },
    },
  );
  return { baseUrl: worker.url, close: () => worker.close() };
});
