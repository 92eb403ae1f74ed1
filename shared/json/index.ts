// Strict JSON (I-JSON, RFC 7493) helpers of the runtime-neutral core. Re-exports only.
export { findDuplicateMember } from './find-duplicate-member.js';
