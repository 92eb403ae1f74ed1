/**
 * The gRPC client of the SPIFFE Workload API (`@grpc/grpc-js`, the `.proto` of the standard
 * beside this file). Every call carries the `workload.spiffe.io: true` metadata the standard
 * requires; gRPC errors become TrustErrors whose messages are ours (the status name only).
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { TrustError } from '../core.js';
import type { WorkloadEndpoint } from './address.js';

/** The proto's messages as the loader hands them over (`keepCase`, bytes as Buffers). */
export interface X509SvidMessage {
  spiffe_id: string;
  x509_svid: Buffer;
  x509_svid_key: Buffer;
  bundle: Buffer;
  hint: string;
}
export interface X509SvidResponseMessage {
  svids: X509SvidMessage[];
  crl: Buffer[];
  federated_bundles: Record<string, Buffer>;
}

let definition: grpc.GrpcObject | undefined;

/** The loaded service definition (loaded once). */
export function workloadApiDefinition(): grpc.GrpcObject {
  definition ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(fileURLToPath(new URL('./workload.proto', import.meta.url)), { keepCase: true, longs: String, enums: String, defaults: true, arrays: true, objects: true, oneofs: true }),
  );
  return definition;
}

/** The metadata every Workload API call carries. */
export function workloadMetadata(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('workload.spiffe.io', 'true');
  return md;
}

export interface JwtSvidMessage {
  spiffe_id: string;
  svid: string;
  hint: string;
}
export interface JwtBundlesResponseMessage {
  bundles: Record<string, Buffer>;
}

export interface X509BundlesResponseMessage {
  crl: Buffer[];
  bundles: Record<string, Buffer>;
}

export type WorkloadApiClient = grpc.Client & {
  FetchX509Bundles(request: object, metadata: grpc.Metadata): grpc.ClientReadableStream<X509BundlesResponseMessage>;
  ValidateJWTSVID(
    request: { audience: string; svid: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: { spiffe_id: string; claims: unknown }) => void,
  ): grpc.ClientUnaryCall;
  FetchX509SVID(request: object, metadata: grpc.Metadata): grpc.ClientReadableStream<X509SvidResponseMessage>;
  FetchJWTBundles(request: object, metadata: grpc.Metadata): grpc.ClientReadableStream<JwtBundlesResponseMessage>;
  FetchJWTSVID(
    request: { audience: string[]; spiffe_id: string },
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: { svids: JwtSvidMessage[] }) => void,
  ): grpc.ClientUnaryCall;
};

/** A client for `endpoint` (insecure channel: the Workload API is a local socket, as the standard says). */
export function createWorkloadApiClient(endpoint: WorkloadEndpoint): WorkloadApiClient {
  const Service = workloadApiDefinition()['SpiffeWorkloadAPI'] as grpc.ServiceClientConstructor;
  return new Service(endpoint.target, grpc.credentials.createInsecure(), {
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 2000,
  }) as unknown as WorkloadApiClient;
}

/**
 * A gRPC error from the agent as a TrustError: `ERR_WORKLOAD_API_DENIED` (PermissionDenied,
 * Unauthenticated: the agent has no identity for this workload, or refused it),
 * `ERR_WORKLOAD_API_UNAVAILABLE` (Unavailable, DeadlineExceeded, Cancelled: the agent is not there),
 * `ERR_WORKLOAD_API_FAILED` (anything else, InvalidArgument included). Only the status name is
 * kept in the message; the agent's text stays in `cause`.
 */
export function mapGrpcError(err: unknown, call: string): TrustError {
  const code = (err as { code?: number }).code;
  const name = typeof code === 'number' ? (grpc.status[code] ?? String(code)) : 'UNKNOWN';
  const message = `workloadapi: ${call} failed: ${name}`;
  switch (code) {
    case grpc.status.PERMISSION_DENIED:
    case grpc.status.UNAUTHENTICATED:
      return new TrustError('ERR_WORKLOAD_API_DENIED', message, { cause: err });
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
    case grpc.status.CANCELLED:
      return new TrustError('ERR_WORKLOAD_API_UNAVAILABLE', message, { cause: err });
    default:
      return new TrustError('ERR_WORKLOAD_API_FAILED', message, { cause: err });
  }
}

/** True for errors the standard says not to retry (InvalidArgument: the request itself is wrong). */
export function isPermanent(err: unknown): boolean {
  return (err as { code?: number }).code === grpc.status.INVALID_ARGUMENT;
}
