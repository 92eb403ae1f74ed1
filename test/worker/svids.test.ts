// The SVID endpoints inside workerd, through the worker's own app (the clock fixed, so JWT-SVID
// times are exact): the core's rejection tables, answered over the Fetch API.
import { createApp, parseWorkerConfig } from '../../workers/index.js';
import { poster, svidHttpSuite } from '../support/svid-http-suite.js';

svidHttpSuite({
  async start(env, now) {
    const app = createApp({ config: parseWorkerConfig(env), now: () => now });
    return poster((request) => app.fetch(request));
  },
});
