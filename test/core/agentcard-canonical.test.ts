import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalizeAgentCard } from '../../shared/agentcard/index.js';
import { cleanCanonical, cleanCard, profilePayload, serialize, unsignedFields } from '../../shared/agentcard/lib/profiles.js';
import { jwkThumbprint } from '../../shared/agentcard/lib/jwk.js';
import { TrustError } from '../../shared/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof TrustError ? err.code : `not a TrustError: ${String(err)}`;
  }
  return undefined;
}

const unsigned = (card: Record<string, unknown>, profile: 'a2a-sdk' | 'spec') => unsignedFields(cleanCard(card), profilePayload(card, profile)!);

describe('canonicalizeAgentCard (jcs-clean)', () => {
  it.each([
    ['drops signatures', { name: 'A', signatures: [{ protected: 'x', signature: 'y' }] }, '{"name":"A"}'],
    ['drops "", null, [] and {}', { name: 'A', description: '', iconUrl: null, skills: [], provider: {} }, '{"name":"A"}'],
    ['drops containers that become empty', { name: 'A', capabilities: { extensions: [{ params: { a: '' } }] } }, '{"name":"A"}'],
    ['drops empty array elements', { name: 'A', defaultInputModes: ['', 'text/plain', null, {}] }, '{"defaultInputModes":["text/plain"],"name":"A"}'],
    ['keeps false and 0', { name: 'A', capabilities: { streaming: false }, x: 0 }, '{"capabilities":{"streaming":false},"name":"A","x":0}'],
    ['keeps fields outside the schema', { name: 'A', url: 'https://a.example', 'x-extra': { deep: [1, 'two'] } }, '{"name":"A","url":"https://a.example","x-extra":{"deep":[1,"two"]}}'],
    ['sorts keys by UTF-16 code units at every depth', { b: { d: 1, c: 2 }, a: '\u20ac', A: 1 }, '{"A":1,"a":"€","b":{"c":2,"d":1}}'],
    ['a card that is all empties', { description: '', signatures: [] }, '{}'],
  ])('%s', (_name, card, expected) => {
    expect(canonicalizeAgentCard(card)).toBe(expected);
  });

  it.each([
    ['an array', []],
    ['a string', 'card'],
    ['null', null],
    ['a class instance', new Date(0)],
    ['a non-finite number', { name: 'A', n: Infinity }],
    ['a lone surrogate', { name: '\ud800' }],
    ['a bigint', { n: 1n }],
    ['a function', { f: () => 1 }],
  ])('rejects %s with ERR_CARD_MALFORMED', (_name, card) => {
    expect(codeOf(() => canonicalizeAgentCard(card))).toBe('ERR_CARD_MALFORMED');
  });

  it('rejects nesting deeper than 100 levels', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 150; i++) deep = { d: deep };
    expect(codeOf(() => canonicalizeAgentCard({ deep }))).toBe('ERR_CARD_MALFORMED');
  });
});

describe('profile spec (A2A §8.4.1 read literally)', () => {
  it('reproduces the specification example', () => {
    const card = {
      name: 'Example Agent',
      description: '',
      capabilities: { streaming: false, pushNotifications: false, extensions: [] },
      skills: [],
    };
    expect(canonicalizeAgentCard(card, 'spec')).toBe(
      '{"capabilities":{"pushNotifications":false,"streaming":false},"description":"","name":"Example Agent","skills":[]}',
    );
  });

  it('drops implicit-presence defaults, keeps REQUIRED empties at every depth', () => {
    const card = {
      name: 'A',
      provider: {},
      iconUrl: '',
      skills: [{ id: 'x', name: '', description: '', tags: [], examples: [] }],
      capabilities: { extensions: [{ uri: 'u', required: false, description: '' }] },
      'x-extra': { a: '', b: 1 },
    };
    expect(canonicalizeAgentCard(card, 'spec')).toBe(
      '{"capabilities":{"extensions":[{"uri":"u"}]},"iconUrl":"","name":"A","skills":[{"description":"","id":"x","name":"","tags":[]}],"x-extra":{"b":1}}',
    );
    expect(unsigned(card, 'spec')).toEqual([]);
  });
});

describe('profile a2a-sdk (@a2a-js/sdk 1.x canonicalizeAgentCard)', () => {
  it.each([
    ['drops fields outside the v1.0 schema', { name: 'A', url: 'https://a.example' }, '{"name":"A"}', ['/url']],
    ['renames snake_case aliases', { name: 'A', default_input_modes: ['text/plain'] }, '{"defaultInputModes":["text/plain"],"name":"A"}', ['/default_input_modes']],
    ['coerces scalars with String()', { name: 'A', version: 1 }, '{"name":"A","version":"1"}', ['/version']],
    ['coerces booleans with Boolean()', { name: 'A', capabilities: { streaming: 'yes' } }, '{"capabilities":{"streaming":true},"name":"A"}', ['/capabilities/streaming']],
    ['drops an implicit false (not counted as unsigned)', { name: 'A', capabilities: { extensions: [{ uri: 'u', required: false }] } }, '{"capabilities":{"extensions":[{"uri":"u"}]},"name":"A"}', []],
    ['keeps an optional false', { name: 'A', capabilities: { streaming: false } }, '{"capabilities":{"streaming":false},"name":"A"}', []],
    ['keeps Struct params verbatim, then cleans them', { name: 'A', capabilities: { extensions: [{ params: { a: null, b: [1, ''], c: { d: '' } } }] } }, '{"capabilities":{"extensions":[{"params":{"b":[1]}}]},"name":"A"}', []],
    ['drops unknown members of a nested message', { name: 'A', skills: [{ id: 's', tags: ['t'], secret: 'x' }] }, '{"name":"A","skills":[{"id":"s","tags":["t"]}]}', ['/skills/0/secret']],
    ['keeps only the first oneof case', { securitySchemes: { k: { mtlsSecurityScheme: { description: 'm' }, apiKeySecurityScheme: { name: 'n' } } } }, '{"securitySchemes":{"k":{"apiKeySecurityScheme":{"name":"n"}}}}', ['/securitySchemes/k/mtlsSecurityScheme']],
    ['coerces map<string,string> values', { securitySchemes: { o: { oauth2SecurityScheme: { flows: { clientCredentials: { tokenUrl: 't', scopes: { read: 1 } } } } } } }, '{"securitySchemes":{"o":{"oauth2SecurityScheme":{"flows":{"clientCredentials":{"scopes":{"read":"1"},"tokenUrl":"t"}}}}}}', ['/securitySchemes/o/oauth2SecurityScheme/flows/clientCredentials/scopes/read']],
  ])('%s', (_name, card, expected, unsignedList) => {
    expect(canonicalizeAgentCard(card, 'a2a-sdk')).toBe(expected);
    expect(unsigned(card as Record<string, unknown>, 'a2a-sdk')).toEqual(unsignedList);
  });

  it('cannot represent a null skill (the SDK codec throws there too)', () => {
    expect(profilePayload({ name: 'A', skills: [null] }, 'a2a-sdk')).toBeUndefined();
    expect(codeOf(() => canonicalizeAgentCard({ name: 'A', skills: [null] }, 'a2a-sdk'))).toBe('ERR_CARD_MALFORMED');
  });

  it('loses "__proto__" members as the SDK does, and reports them unsigned', () => {
    const card = JSON.parse('{"name":"A","__proto__":{"x":1}}') as Record<string, unknown>;
    expect(canonicalizeAgentCard(card, 'a2a-sdk')).toBe('{"name":"A"}');
    expect(canonicalizeAgentCard(card)).toBe('{"__proto__":{"x":1},"name":"A"}');
    expect(unsigned(card, 'a2a-sdk')).toEqual(['/__proto__']);
  });

  it('escapes "~" and "/" in reported JSON Pointers', () => {
    expect(unsigned({ name: 'A', 'a/b~c': 1 }, 'a2a-sdk')).toEqual(['/a~1b~0c']);
  });
});

describe('RFC 7638 JWK thumbprint (default kid)', () => {
  it('matches the RFC 7638 §3.1 example', async () => {
    const jwk = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(await jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
});

describe('canonical profiles: properties', () => {
  it('canonicalizeAgentCard succeeds or throws TrustError for any value; all profiles agree on validity of JSON objects', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (v) => {
        for (const profile of ['jcs-clean', 'a2a-sdk', 'spec'] as const) {
          try {
            canonicalizeAgentCard(v, profile);
          } catch (err) {
            expect(err).toBeInstanceOf(TrustError);
          }
        }
      }),
    );
  });

  it('the one-pass jcs-clean writer equals JCS of the cleaned card', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (card) => {
        expect(cleanCanonical(card)).toBe(serialize(cleanCard(card)));
      }),
    );
  });

  it('jcs-clean is idempotent and never contains an empty value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (card) => {
        const out = canonicalizeAgentCard(card);
        expect(canonicalizeAgentCard(JSON.parse(out))).toBe(out);
        expect(emptyValuePaths(JSON.parse(out))).toEqual([]);
      }),
    );
  });

  // The check walks the parsed output, not its text: a member name may itself
  // contain `:{}` or `,""` (a counterexample fast-check found in CI).
  it.each([
    [{ ':{}': [0], ',""': 'x' }, []],
    [{ a: { b: '' } }, ['a.b']],
    [{ a: [null, 1] }, ['a.0']],
    [{ a: {} }, ['a']],
    [{ a: [[]] }, ['a.0']],
  ])('emptyValuePaths(%j) finds %j', (value, paths) => {
    expect(emptyValuePaths(value)).toEqual(paths);
  });
});

/** Paths (dot-joined) of every empty string, null, [] or {} nested in `value`. */
function emptyValuePaths(value: unknown, path: string[] = []): string[] {
  const empty =
    value === '' ||
    value === null ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
  if (empty) return path.length > 0 ? [path.join('.')] : [];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => emptyValuePaths(v, [...path, k]));
}
