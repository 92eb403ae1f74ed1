/**
 * Pure helpers of the inspector page (no DOM): relative times, shell quoting, the commands that
 * reproduce a check, JSON Pointers. Kept apart so Node tests can call them directly.
 */

const UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'always' });

/** `in 3 days`, `3 days ago`: the largest unit with at least one whole step (rounded down). */
export function relativeTime(target: number, now: number): string {
  const delta = target - now;
  const abs = Math.abs(delta);
  for (const [unit, ms] of UNITS) {
    if (abs >= ms || unit === 'second') return rtf.format(Math.sign(delta) * Math.floor(abs / ms), unit);
  }
  return rtf.format(0, 'second');
}

/** The calendar date and time of an ISO 8601 instant, in UTC: `2026-12-03 14:31 UTC`. */
export function utcDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export type Validity = { state: 'valid' | 'expired' | 'not-yet-valid'; text: string };

/** A certificate's validity in words, as of `now`: `valid, expires in 364 days`, `expired 3 days ago`. */
export function validity(notBefore: string, notAfter: string, now: number): Validity {
  const from = Date.parse(notBefore);
  const until = Date.parse(notAfter);
  if (now > until) return { state: 'expired', text: `expired ${relativeTime(until, now)} (${utcDate(notAfter)})` };
  if (now < from) return { state: 'not-yet-valid', text: `not valid yet: starts ${relativeTime(from, now)} (${utcDate(notBefore)})` };
  return { state: 'valid', text: `valid, expires ${relativeTime(until, now)} (${utcDate(notAfter)})` };
}

/** One shell word in POSIX single quotes (`'` becomes `'\''`); plain words stay as they are. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The policy of a request as sent: only the fields the person set. */
export interface PolicyInput {
  readonly trustDomain?: string;
  readonly expectedId?: string;
  readonly mode?: 'strict' | 'audit';
}

export function hasPolicy(p: PolicyInput): boolean {
  return p.trustDomain !== undefined || p.expectedId !== undefined || p.mode !== undefined;
}

/** What was checked, for the commands that reproduce it. */
export type Checked =
  | { readonly kind: 'card'; readonly policy: PolicyInput }
  | { readonly kind: 'url'; readonly url: string; readonly policy: PolicyInput; readonly cardUrl?: string };

/** A `curl` command against this service that makes the same request. */
export function curlCommand(service: string, checked: Checked): string {
  const base = service.replace(/\/$/, '');
  if (checked.kind === 'url') {
    const body = JSON.stringify({ url: checked.url, ...(hasPolicy(checked.policy) ? { policy: checked.policy } : {}) });
    return `curl -sS -X POST ${shellQuote(`${base}/v1/agent-cards/fetch`)} -H 'content-type: application/json' --data ${shellQuote(body)}`;
  }
  const post = `curl -sS -X POST ${shellQuote(`${base}/v1/agent-cards/verify`)} -H 'content-type: application/json'`;
  if (!hasPolicy(checked.policy)) return `${post} --data-binary @agent-card.json`;
  // the card and the policy in one body, built by jq from the saved card
  return `jq -c --argjson policy ${shellQuote(JSON.stringify(checked.policy))} '{card: ., policy: $policy}' agent-card.json | ${post} --data-binary @-`;
}

/**
 * A `cardtrust card verify` command that checks the card locally with this service's bundle for
 * `trustDomain` (fetched from its `/v1/bundles/{td}`), or with a key set for key-set signatures.
 */
export function cliCommand(service: string, checked: Checked, trustDomain: string | undefined): string {
  const base = service.replace(/\/$/, '');
  const lines: string[] = [];
  if (checked.kind === 'url') lines.push(`curl -sS ${shellQuote(checked.cardUrl ?? `${checked.url.replace(/\/$/, '')}/.well-known/agent-card.json`)} -o agent-card.json`);
  const args = ['npx', 'cardtrust', 'card', 'verify', 'agent-card.json'];
  if (trustDomain !== undefined) {
    const file = `bundle.${trustDomain}.json`;
    lines.push(`curl -sS ${shellQuote(`${base}/v1/bundles/${trustDomain}`)} -o ${shellQuote(file)}`);
    args.push('--bundle', file);
  } else {
    args.push('--keys', 'trusted-keys.jwks.json');
  }
  const td = checked.policy.trustDomain ?? trustDomain;
  if (td !== undefined) args.push('--trust-domain', td);
  if (checked.policy.expectedId !== undefined) args.push('--expect-id', checked.policy.expectedId);
  if (checked.policy.mode === 'audit') args.push('--audit');
  lines.push(args.map(shellQuote).join(' '));
  return lines.join('\n');
}

/** RFC 6901: one reference token of a JSON Pointer. */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
