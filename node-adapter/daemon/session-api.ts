// The daemon's one import point for the session core (shared/session). Re-exports only.
export { verifyBootstrapToken, verifySessionToken, jwkThumbprint, importBootstrapPublicKey } from '../../shared/session/index.js';
