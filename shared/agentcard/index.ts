export { canonicalizeAgentCard } from './canonicalize.js';
export { ALL_PROFILES as AGENT_CARD_PROFILES, PROFILES as DEFAULT_AGENT_CARD_PROFILES } from './lib/profiles.js';
export { signAgentCard } from './sign.js';
export { parseAgentCardKeySets, duplicateKid } from './key-sets.js';
export { verifyAgentCard, DEFAULT_MAX_CARD_BYTES, DEFAULT_MAX_SIGNATURES, DEFAULT_MAX_X5C, DEFAULT_MAX_HEADER_BYTES } from './verify.js';
export type {
  AgentCardAlgorithm,
  AgentCardHmacAlgorithm,
  AgentCardBinding,
  AgentCardCertificate,
  AgentCardJkuOptions,
  AgentCardJwk,
  AgentCardKeySet,
  AgentCardLimits,
  AgentCardMode,
  AgentCardProfile,
  AgentCardReport,
  AgentCardSignatureReport,
  AgentCardKeySigner,
  AgentCardSigner,
  JwksCache,
  SignAgentCardOptions,
  VerifyAgentCardOptions,
} from './types.js';
