// The SVID endpoints through `cardtrust serve`'s server over real HTTP on 127.0.0.1 (in-process,
// so the clock can be fixed for exact JWT-SVID times): the same suite the worker runs in workerd.
import { afterAll } from 'vitest';
import { startServe, type Serving } from '../../node-adapter/serve/serve.js';
import { poster, svidHttpSuite } from '../support/svid-http-suite.js';

let serving: Serving | undefined;

svidHttpSuite({
  async start(env, now) {
    serving = await startServe({ env, now: () => now });
    const base = serving.url;
    return poster((request) => fetch(request), base);
  },
});

afterAll(async () => {
  await serving?.close(0);
});
