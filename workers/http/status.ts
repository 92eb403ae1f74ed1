// The code → status map lives in the core (shared/http/status.ts) so the Node sandbox daemon uses
// the same one; this path stays for the worker and its tests. Re-exports only.
export { STATUS_BY_CODE, statusFor } from '../../shared/http/status.js';
