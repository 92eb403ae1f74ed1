export { canonicalizeJson, type JcsOptions } from './canonicalize.js';
