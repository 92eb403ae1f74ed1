/**
 * The Workload API address, as the SPIFFE Workload Endpoint standard (§4) says: a URI, from the
 * option or `SPIFFE_ENDPOINT_SOCKET`. `unix`: no authority (empty or absent), an absolute path,
 * nothing else (`unix:///run/spire/agent.sock`, `unix:/run/spire/agent.sock`). `tcp`: the host an IP address, a port, nothing else
 * (`tcp://127.0.0.1:8081`). Anything else is `ERR_CONFIG_INVALID` saying which rule it breaks.
 */
import { isIP } from 'node:net';
import { TrustError } from '../core.js';

export const SPIFFE_ENDPOINT_SOCKET = 'SPIFFE_ENDPOINT_SOCKET';

export interface WorkloadEndpoint {
  /** The address as given. */
  readonly address: string;
  /** The gRPC target (`unix:///path`, `127.0.0.1:8081`, `[::1]:8081`). */
  readonly target: string;
}

function bad(address: string, why: string): TrustError {
  return new TrustError('ERR_CONFIG_INVALID', `workloadapi: ${JSON.stringify(address.slice(0, 200))} is not a Workload API address: ${why}`);
}

/**
 * Parses a Workload Endpoint address.
 *
 * @example
 * parseWorkloadEndpoint('unix:///run/spire/sockets/agent.sock').target // 'unix:///run/spire/sockets/agent.sock'
 */
export function parseWorkloadEndpoint(address: string): WorkloadEndpoint {
  if (typeof address !== 'string' || address === '') throw bad(String(address), 'empty');
  if (/[\s\u0000-\u001f]/.test(address)) throw bad(address, 'it contains whitespace or control characters');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(address)?.[1];
  if (!scheme) throw bad(address, 'not a URI (no scheme)');
  const rest = address.slice(scheme.length + 1);
  if (rest.includes('?')) throw bad(address, 'it must not include a query');
  if (rest.includes('#')) throw bad(address, 'it must not include a fragment');
  // RFC 3986 §3.1: schemes are case-insensitive (go-spiffe's url.Parse lowercases them too)
  switch (scheme.toLowerCase()) {
    case 'unix': {
      let path: string;
      if (rest.startsWith('//')) {
        const afterSlashes = rest.slice(2);
        const slash = afterSlashes.indexOf('/');
        const authority = slash === -1 ? afterSlashes : afterSlashes.slice(0, slash);
        if (authority !== '') throw bad(address, 'a unix socket URI must not include an authority (use unix:///absolute/path)');
        path = slash === -1 ? '' : afterSlashes.slice(slash);
      } else if (rest.startsWith('/')) {
        // Workload Endpoint §4: "the authority component MUST NOT be set, and the path component
        // MUST be set to the absolute path": `unix:/path` has no authority at all, which conforms
        // (go-spiffe addr_posix.go accepts it: not opaque, a path)
        path = rest;
      } else {
        throw bad(address, 'a unix socket URI must not be opaque');
      }
      if (path === '' || path === '/') throw bad(address, 'a unix socket URI must include the absolute path of the socket');
      let decoded: string;
      try {
        decoded = decodeURIComponent(path);
      } catch {
        throw bad(address, 'the path has an invalid percent-encoding');
      }
      return { address, target: `unix://${decoded}` };
    }
    case 'tcp': {
      if (!rest.startsWith('//')) throw bad(address, 'a tcp socket URI must not be opaque');
      const authority = rest.slice(2);
      if (authority.includes('/')) throw bad(address, 'a tcp socket URI must not include a path');
      if (authority.includes('@')) throw bad(address, 'a tcp socket URI must not include user info');
      const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d{1,5})$/.exec(authority);
      if (!m) throw bad(address, 'a tcp socket URI must be tcp://IP:port');
      const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
      if (isIP(host) === 0) throw bad(address, 'the host of a tcp socket URI must be an IP address, not a name');
      const port = Number(m[2]);
      if (port < 1 || port > 65535) throw bad(address, 'the port must be 1–65535');
      return { address, target: isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}` };
    }
    default:
      throw bad(address, 'the scheme must be unix or tcp');
  }
}

/** The address from `option`, else `SPIFFE_ENDPOINT_SOCKET`; `ERR_CONFIG_INVALID` when neither is set. */
export function workloadEndpointFrom(option: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): WorkloadEndpoint {
  const address = option ?? env[SPIFFE_ENDPOINT_SOCKET];
  if (address === undefined || address === '') throw new TrustError('ERR_CONFIG_INVALID', `workloadapi: no address: give one or set ${SPIFFE_ENDPOINT_SOCKET}`);
  return parseWorkloadEndpoint(address);
}
