/** `POST /v1/agent-cards/verify` and `POST /v1/agent-cards/fetch`. */
import { TrustError } from '../../shared/errors.js';
import { readJsonBody } from '../http/body.js';
import { json } from '../http/respond.js';
import { tagOutcome } from '../http/outcome.js';
import type { AgentCardReport } from '../../shared/agentcard/index.js';
import { fetchAgentCard } from '../fetch/fetch-agent-card.js';
import type { AppContext } from '../context.js';
import { isPlainObject, parsePolicy } from './policy.js';

/**
 * Verifies the AgentCard in the body: either the card itself, or `{ "card": …, "policy": … }`.
 * Answers 200 with the report whether or not the card verified; 4xx only when it cannot be evaluated.
 */
export async function verifyRoute(request: Request, app: AppContext): Promise<Response> {
  const body = await readJsonBody(request);
  if (!isPlainObject(body)) throw new TrustError('ERR_REQUEST_INVALID', 'the body must be an AgentCard object or {"card": …, "policy": …}');
  let card: unknown = body;
  let policyValue: unknown;
  if (Object.hasOwn(body, 'card')) {
    for (const key of Object.keys(body)) {
      if (key !== 'card' && key !== 'policy') throw new TrustError('ERR_REQUEST_INVALID', `unknown field ${JSON.stringify(key)} next to "card"`);
    }
    card = body.card;
    policyValue = body.policy;
  }
  if (!isPlainObject(card)) throw new TrustError('ERR_REQUEST_INVALID', '"card" must be an AgentCard object');
  const policy = parsePolicy(policyValue, app.config);
  return cardAnswer(await app.verify(card, policy));
}

/**
 * Fetches the card from an allowlisted https origin (`{ "url": …, "policy": … }`), then verifies it.
 * The report gains `source: { url, path }`: where the card was read.
 */
export async function fetchRoute(request: Request, app: AppContext): Promise<Response> {
  const body = await readJsonBody(request);
  if (!isPlainObject(body)) throw new TrustError('ERR_REQUEST_INVALID', 'the body must be {"url": …, "policy": …}');
  for (const key of Object.keys(body)) {
    if (key !== 'url' && key !== 'policy') throw new TrustError('ERR_REQUEST_INVALID', `unknown field ${JSON.stringify(key)}`);
  }
  if (typeof body.url !== 'string') throw new TrustError('ERR_REQUEST_INVALID', '"url" must be a string');
  const policy = parsePolicy(body.policy, app.config);
  const fetched = await fetchAgentCard(body.url, {
    allowedOrigins: app.config.fetchAllowedOrigins,
    fetch: app.fetch,
    timeoutMs: app.config.fetchTimeoutMs,
  });
  if (!isPlainObject(fetched.card)) throw new TrustError('ERR_CARD_MALFORMED', `the document at ${fetched.url} is not a JSON object`);
  const report = await app.verify(fetched.card, policy);
  return cardAnswer(report, { source: { url: fetched.url, path: fetched.path } });
}

function cardAnswer(report: AgentCardReport, extra: Record<string, unknown> = {}): Response {
  const code = report.verified ? undefined : (report.error?.code ?? report.signatures.find((s) => s.code)?.code ?? report.binding.code);
  return tagOutcome(json({ ...report, ...extra }), { kind: 'agent-card', verified: report.verified, code });
}
