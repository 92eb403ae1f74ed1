/**
 * The Cloudflare Worker entry: `export default { fetch }`. The environment is parsed once per
 * isolate (cached by its values, so a changed binding takes effect) into one app; an invalid
 * configuration answers every request with 500 `ERR_CONFIG_INVALID` naming the variable.
 */
import { LruCache } from '../shared/lib/cache.js';
import { createApp, type App } from './app.js';
import { CONFIG_VARIABLES, parseWorkerConfig, type WorkerEnv } from './config.js';
import { answerFor, errorResponse } from './http/respond.js';

/** The part of the Workers runtime's `ExecutionContext` the entry may use (declared here: see tsconfig). */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}

const byEnvObject = new WeakMap<object, Promise<App>>();
const byEnvValues = new LruCache<string, Promise<App>>(8);

/** The app for this environment, built once per isolate and configuration. */
export function appFor(env: WorkerEnv): Promise<App> {
  let app = byEnvObject.get(env);
  if (app) return app;
  const key = JSON.stringify(CONFIG_VARIABLES.map((name) => env[name] ?? null));
  app = byEnvValues.get(key);
  if (!app) {
    // a rejected promise is kept too: a bad configuration stays bad until the values change
    app = Promise.resolve().then(() => createApp({ config: parseWorkerConfig(env) }));
    byEnvValues.set(key, app);
  }
  byEnvObject.set(env, app);
  return app;
}

export default {
  async fetch(request: Request, env: WorkerEnv, _ctx: ExecutionContext): Promise<Response> {
    let app: App;
    try {
      app = await appFor(env);
    } catch (err) {
      return answerFor(request, errorResponse(err));
    }
    return app.fetch(request);
  },
};

export { createApp, type App, type AppDeps, type RequestEvent } from './app.js';
export { parseWorkerConfig, CONFIG_VARIABLES, type WorkerConfig, type WorkerEnv } from './config.js';
