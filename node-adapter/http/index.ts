// The Node ↔ Fetch bridge. Re-exports only.
export type { ConnInfo } from './conn-info.js';
export { connInfoOf, peerCertificateChain } from './conn-info.js';
export { toRequestListener, DEFAULT_MAX_BODY_BYTES, type FetchHandler, type ListenerOptions } from './request-listener.js';
export { serveFetch, type ServeOptions, type ServedFetch } from './serve-fetch.js';
