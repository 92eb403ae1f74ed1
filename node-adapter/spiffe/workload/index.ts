// The SPIFFE Workload API client for Node. Re-exports only.
export { parseWorkloadEndpoint, workloadEndpointFrom, SPIFFE_ENDPOINT_SOCKET, type WorkloadEndpoint } from './address.js';
export { createWorkloadApiClient, workloadApiDefinition, workloadMetadata, mapGrpcError } from './client.js';
export { splitDerCertificates } from './der.js';
export { WorkloadX509Source, DEFAULT_READY_TIMEOUT_MS, type WorkloadX509SourceOptions, type SvidPicker } from './x509-source.js';
export { WorkloadJwtSource, JWT_REFRESH_BEFORE_MS, type JwtSvid, type WorkloadJwtSourceOptions } from './jwt-source.js';
export { WorkloadX509BundleSource, type WorkloadBundleSourceOptions } from './bundle-source.js';
