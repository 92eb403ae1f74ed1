// The sandbox daemon (PicoD compatible) as a Fetch app. Re-exports only.
export { createDaemonApp, DAEMON_DEFAULTS, type DaemonApp, type DaemonOptions, type DaemonAuthMode } from './app.js';
export { parseGoDuration } from './duration.js';
export { TokenBucketLimiter } from './token-bucket.js';
export { Workspace, pathParts } from './workspace.js';
export { goFileMode, parseFileMode } from './file-mode.js';
