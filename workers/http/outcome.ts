/**
 * What a verification route decided, attached to its response for an observer (the Node service's
 * metrics count verifications by outcome and code) without reading or changing the body.
 */
import type { ErrorCode } from '../../shared/errors.js';

export interface VerificationOutcome {
  readonly kind: 'agent-card' | 'x509-svid' | 'jwt-svid';
  readonly verified: boolean;
  /** Why not, when not verified. */
  readonly code?: ErrorCode | undefined;
}

const outcomes = new WeakMap<Response, VerificationOutcome>();

/** Tags `response` with `outcome` and returns it. */
export function tagOutcome(response: Response, outcome: VerificationOutcome): Response {
  outcomes.set(response, outcome);
  return response;
}

/** The outcome a verification route tagged its response with, if any. */
export function outcomeOf(response: Response): VerificationOutcome | undefined {
  return outcomes.get(response);
}
