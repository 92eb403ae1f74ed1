// workers/inspector/assets.gen.ts is generated from workers/inspector/page/: it must be what
// `npm run build:inspector` makes of the sources now, or the served page is not the reviewed one.
// Also the page's pure helpers (relative times, shell quoting, the reproduce commands).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { INSPECTOR_MODULE, inspectorModule } from '../../scripts/build-inspector.js';
import { cliCommand, curlCommand, relativeTime, shellQuote, validity } from '../../workers/inspector/page/format.js';

describe('workers/inspector/assets.gen.ts', () => {
  it('is up to date with workers/inspector/page/ (run `npm run build:inspector`)', async () => {
    const fresh = await inspectorModule();
    const checkedIn = await readFile(INSPECTOR_MODULE, 'utf8');
    expect(checkedIn === fresh, 'workers/inspector/assets.gen.ts is stale: run `npm run build:inspector` and commit it').toBe(true);
  });
});

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('inspector page helpers', () => {
  it.each([
    [NOW - 3 * DAY, '3 days ago'],
    [NOW - 3 * DAY - 5 * 3_600_000, '3 days ago'],
    [NOW + 364 * DAY, 'in 12 months'],
    [NOW + 400 * DAY, 'in 1 year'],
    [NOW + 90 * 60_000, 'in 1 hour'],
    [NOW - 30_000, '30 seconds ago'],
    [NOW, 'in 0 seconds'],
  ])('relativeTime(%i) = %s', (t, text) => {
    expect(relativeTime(t, NOW)).toBe(text);
  });

  it.each([
    [NOW - 10 * DAY, NOW - 3 * DAY, { state: 'expired', text: 'expired 3 days ago (2026-11-30 12:00 UTC)' }],
    [NOW + 2 * DAY, NOW + 9 * DAY, { state: 'not-yet-valid', text: 'not valid yet: starts in 2 days (2026-12-05 12:00 UTC)' }],
    [NOW - DAY, NOW + 5 * DAY, { state: 'valid', text: 'valid, expires in 5 days (2026-12-08 12:00 UTC)' }],
  ])('validity(%i, %i)', (from, until, expected) => {
    expect(validity(new Date(from).toISOString(), new Date(until).toISOString(), NOW)).toEqual(expected);
  });

  it.each([
    ['agent-card.json', 'agent-card.json'],
    ['https://a.test/v1/x', 'https://a.test/v1/x'],
    ['{"url":"x"}', `'{"url":"x"}'`],
    ["it's", `'it'\\''s'`],
    ['a b', `'a b'`],
  ])('shellQuote(%s) = %s', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });

  it('builds the curl and cardtrust commands that reproduce a check', () => {
    const svc = 'http://127.0.0.1:8787/';
    expect(curlCommand(svc, { kind: 'card', policy: {} })).toBe(
      "curl -sS -X POST http://127.0.0.1:8787/v1/agent-cards/verify -H 'content-type: application/json' --data-binary @agent-card.json",
    );
    expect(curlCommand(svc, { kind: 'card', policy: { trustDomain: 'example.org', mode: 'audit' } })).toBe(
      `jq -c --argjson policy '{"trustDomain":"example.org","mode":"audit"}' '{card: ., policy: $policy}' agent-card.json | curl -sS -X POST http://127.0.0.1:8787/v1/agent-cards/verify -H 'content-type: application/json' --data-binary @-`,
    );
    expect(curlCommand(svc, { kind: 'url', url: 'https://agent.test', policy: {} })).toBe(
      `curl -sS -X POST http://127.0.0.1:8787/v1/agent-cards/fetch -H 'content-type: application/json' --data '{"url":"https://agent.test"}'`,
    );
    expect(cliCommand(svc, { kind: 'card', policy: { expectedId: 'spiffe://example.org/a', mode: 'audit' } }, 'example.org')).toBe(
      [
        'curl -sS http://127.0.0.1:8787/v1/bundles/example.org -o bundle.example.org.json',
        'npx cardtrust card verify agent-card.json --bundle bundle.example.org.json --trust-domain example.org --expect-id spiffe://example.org/a --audit',
      ].join('\n'),
    );
    expect(cliCommand(svc, { kind: 'url', url: 'https://agent.test', policy: {}, cardUrl: 'https://agent.test/.well-known/agent.json' }, undefined)).toBe(
      ['curl -sS https://agent.test/.well-known/agent.json -o agent-card.json', 'npx cardtrust card verify agent-card.json --keys trusted-keys.jwks.json'].join('\n'),
    );
  });
});
