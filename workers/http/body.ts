// Safe JSON body reading lives in the core (shared/http/body.ts) so the Node sandbox daemon reads
// bodies the same way; this path stays for the worker. Re-exports only.
export { MAX_BODY_BYTES, isJsonContentType, readCapped, parseJsonBytes, readJsonBody } from '../../shared/http/body.js';
