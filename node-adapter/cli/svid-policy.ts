/** The policy options of `svid verify` and `jwt-svid validate`: `--trust-domain`, `--expect-id`. */
import { matchId, matchMemberOf, parseSpiffeId, parseTrustDomain, type Matcher, type TrustDomain } from './core.js';
import { optionalString, type ParsedArgs } from './args.js';
import { asInput } from './errors.js';

export interface SvidPolicy {
  readonly trustDomain: TrustDomain | undefined;
  readonly match: Matcher | undefined;
}

export async function svidPolicy(values: ParsedArgs['values']): Promise<SvidPolicy> {
  const tdText = optionalString(values, 'trust-domain');
  const idText = optionalString(values, 'expect-id');
  const trustDomain = tdText === undefined ? undefined : await asInput('--trust-domain', () => parseTrustDomain(tdText));
  const id = idText === undefined ? undefined : await asInput('--expect-id', () => parseSpiffeId(idText));
  const matchers: Matcher[] = [];
  if (trustDomain) matchers.push(matchMemberOf(trustDomain));
  if (id) matchers.push(matchId(id));
  return { trustDomain, match: matchers.length === 0 ? undefined : (candidate) => matchers.forEach((m) => m(candidate)) };
}
