// Client helpers for sandbox sessions: the control plane, `/init`, and the daemon's API. Re-exports only.
export { initializeSandbox, type InitializeSandboxOptions, type InitializeSandboxResult } from './initialize-sandbox.js';
export { SandboxClient, type SandboxClientOptions, type ExecuteResult, type FileInfo, type FileEntry } from './sandbox-client.js';
export { ControlPlaneClient, type CreatedSession } from './control-plane-client.js';
export { SessionHttpError } from './lib/http.js';
export { bootstrapKeyThumbprint } from './lib/thumbprint.js';
export { goDurationMs } from './lib/go-duration.js';
