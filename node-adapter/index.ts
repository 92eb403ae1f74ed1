// `cardtrust/node`: the Node adapter's public API. Re-exports only.
export * from './http/index.js';
export * from './mtls/index.js';
export * from './spiffe/index.js';
export * from './spiffe/workload/index.js';
export * from './stores/index.js';
export * from './daemon/index.js';
export * from './session/index.js';
export * from './serve/index.js';
