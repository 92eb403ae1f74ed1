/**
 * The A2A v1.0 AgentCard message tree (specification/a2a.proto, package lf.a2a.v1), as much of it
 * as the canonical profiles need: JSON field names, their snake_case aliases, kinds, and presence
 * (`req` = field_behavior REQUIRED, `opt` = proto3 `optional`, `imp` = implicit presence, where the
 * default value means "absent").
 */

export type Presence = 'req' | 'opt' | 'imp';

export type Kind =
  | { readonly t: 'str' }
  | { readonly t: 'bool' }
  | { readonly t: 'strs' }
  | { readonly t: 'smap' }
  | { readonly t: 'struct' }
  | { readonly t: 'msg'; readonly m: Message }
  | { readonly t: 'msgs'; readonly m: Message }
  | { readonly t: 'map'; readonly m: Message };

export interface Field {
  readonly json: string;
  readonly alias?: string;
  readonly kind: Kind;
  readonly presence: Presence;
}

export interface Message {
  readonly name: string;
  readonly fields: readonly Field[];
  /** A message made of one `oneof`: exactly one field (the first set, in order) is kept. */
  readonly oneof?: boolean;
  /** JSON name or alias → field. */
  readonly byName: ReadonlyMap<string, Field>;
}

const STR = { t: 'str' } as const;
const BOOL = { t: 'bool' } as const;
const STRS = { t: 'strs' } as const;
const SMAP = { t: 'smap' } as const;
const STRUCT = { t: 'struct' } as const;

function snake(json: string): string | undefined {
  const s = json.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
  return s === json ? undefined : s;
}

function f(json: string, kind: Kind, presence: Presence = 'imp', alias: string | undefined = snake(json)): Field {
  return alias === undefined ? { json, kind, presence } : { json, kind, presence, alias };
}

function message(name: string, fields: Field[], oneof = false): Message {
  const byName = new Map<string, Field>();
  for (const field of fields) {
    byName.set(field.json, field);
    if (field.alias) byName.set(field.alias, field);
  }
  return oneof ? { name, fields, oneof, byName } : { name, fields, byName };
}

const StringList = message('StringList', [f('list', STRS)]);
const SecurityRequirement = message('SecurityRequirement', [f('schemes', { t: 'map', m: StringList })]);

const flow = (name: string, fields: Field[]) => message(name, fields);
const OAuthFlows = message(
  'OAuthFlows',
  [
    f('authorizationCode', {
      t: 'msg',
      m: flow('AuthorizationCodeOAuthFlow', [
        f('authorizationUrl', STR, 'req'),
        f('tokenUrl', STR, 'req'),
        f('refreshUrl', STR),
        f('scopes', SMAP, 'req'),
        f('pkceRequired', BOOL),
      ]),
    }),
    f('clientCredentials', {
      t: 'msg',
      m: flow('ClientCredentialsOAuthFlow', [f('tokenUrl', STR, 'req'), f('refreshUrl', STR), f('scopes', SMAP, 'req')]),
    }),
    f('implicit', { t: 'msg', m: flow('ImplicitOAuthFlow', [f('authorizationUrl', STR), f('refreshUrl', STR), f('scopes', SMAP)]) }),
    f('password', { t: 'msg', m: flow('PasswordOAuthFlow', [f('tokenUrl', STR), f('refreshUrl', STR), f('scopes', SMAP)]) }),
    f('deviceCode', {
      t: 'msg',
      m: flow('DeviceCodeOAuthFlow', [
        f('deviceAuthorizationUrl', STR, 'req'),
        f('tokenUrl', STR, 'req'),
        f('refreshUrl', STR),
        f('scopes', SMAP, 'req'),
      ]),
    }),
  ],
  true,
);

const SecurityScheme = message(
  'SecurityScheme',
  [
    f('apiKeySecurityScheme', {
      t: 'msg',
      m: message('APIKeySecurityScheme', [f('description', STR), f('location', STR, 'req'), f('name', STR, 'req')]),
    }),
    f('httpAuthSecurityScheme', {
      t: 'msg',
      m: message('HTTPAuthSecurityScheme', [f('description', STR), f('scheme', STR, 'req'), f('bearerFormat', STR)]),
    }),
    f('oauth2SecurityScheme', {
      t: 'msg',
      m: message('OAuth2SecurityScheme', [
        f('description', STR),
        f('flows', { t: 'msg', m: OAuthFlows }, 'req'),
        f('oauth2MetadataUrl', STR, 'imp', 'oauth2_metadata_url'),
      ]),
    }),
    f('openIdConnectSecurityScheme', {
      t: 'msg',
      m: message('OpenIdConnectSecurityScheme', [f('description', STR), f('openIdConnectUrl', STR, 'req')]),
    }),
    f('mtlsSecurityScheme', { t: 'msg', m: message('MutualTlsSecurityScheme', [f('description', STR)]) }),
  ],
  true,
);

const AgentInterface = message('AgentInterface', [
  f('url', STR, 'req'),
  f('protocolBinding', STR, 'req'),
  f('tenant', STR),
  f('protocolVersion', STR, 'req'),
]);

const AgentExtension = message('AgentExtension', [f('uri', STR), f('description', STR), f('required', BOOL), f('params', STRUCT)]);

const AgentSkill = message('AgentSkill', [
  f('id', STR, 'req'),
  f('name', STR, 'req'),
  f('description', STR, 'req'),
  f('tags', STRS, 'req'),
  f('examples', STRS),
  f('inputModes', STRS),
  f('outputModes', STRS),
  f('securityRequirements', { t: 'msgs', m: SecurityRequirement }),
]);

/** `signatures` is not listed: every profile removes it before anything else. */
export const AgentCardSchema: Message = message('AgentCard', [
  f('name', STR, 'req'),
  f('description', STR, 'req'),
  f('supportedInterfaces', { t: 'msgs', m: AgentInterface }, 'req'),
  f('provider', { t: 'msg', m: message('AgentProvider', [f('url', STR, 'req'), f('organization', STR, 'req')]) }),
  f('version', STR, 'req'),
  f('documentationUrl', STR, 'opt'),
  f(
    'capabilities',
    {
      t: 'msg',
      m: message('AgentCapabilities', [
        f('streaming', BOOL, 'opt'),
        f('pushNotifications', BOOL, 'opt'),
        f('extensions', { t: 'msgs', m: AgentExtension }),
        f('extendedAgentCard', BOOL, 'opt'),
      ]),
    },
    'req',
  ),
  f('securitySchemes', { t: 'map', m: SecurityScheme }),
  f('securityRequirements', { t: 'msgs', m: SecurityRequirement }),
  f('defaultInputModes', STRS, 'req'),
  f('defaultOutputModes', STRS, 'req'),
  f('skills', { t: 'msgs', m: AgentSkill }, 'req'),
  f('iconUrl', STR, 'opt'),
]);
