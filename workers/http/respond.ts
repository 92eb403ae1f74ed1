// JSON responses and the error body live in the core (shared/http/respond.ts) so the Node sandbox
// daemon answers with the same shapes; this path stays for the worker. Re-exports only.
export { json, errorResponse, errorBody, errorCodeOf, answerFor } from '../../shared/http/respond.js';
