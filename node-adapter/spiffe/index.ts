// X.509 sources for the Node adapter: "my current SVID and the bundles I trust". Re-exports only.
export type { X509Svid, X509Material, X509Source } from './types.js';
export { validateX509Material, MAX_SVID_CERTIFICATES, type X509MaterialInput } from './material.js';
export { StaticX509Source } from './static-source.js';
export {
  FileX509Source,
  DEFAULT_SVID_FILE,
  DEFAULT_SVID_KEY_FILE,
  DEFAULT_SVID_BUNDLE_FILE,
  DEFAULT_SVID_WAIT_MS,
  DEFAULT_DEBOUNCE_MS,
  DEFAULT_RESYNC_MS,
  type FileX509SourceOptions,
} from './file-source.js';
export { fetchSpiffeBundleSpiffe, httpsSpiffeEndpoint, type FetchSpiffeBundleSpiffeOptions, type HttpsSpiffeEndpointOptions } from './federation.js';
