// The part of workerd's `cloudflare:workers` module the worker tests use: the main worker's exports.
declare module 'cloudflare:workers' {
  export const exports: unknown;
}
