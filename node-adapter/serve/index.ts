// `cardtrust serve` as a library: the worker's app in Node. Re-exports only.
export { startServe, REDIS_URL_VARIABLE, DEFAULT_GRACE_MS, type StartServeOptions, type Serving, type AccessLogEntry } from './serve.js';
export { ServeMetrics, countFailures } from './metrics.js';
