import * as z from 'zod/mini';
import { SecretFormatError } from '../../../../shared/errors';
import type { HttpClient, ProviderRequest } from '../../http-client';
import type { ApiKeyProvider, KeySummary, ProviderDefinition, ProviderPlugin } from '../../provider';
import {
  basicAuth,
  joinUrl,
  keyLabel,
  managementLabel,
  parseManagementSecret,
  unexpectedResponse,
} from '../../provider-support';
import { validateFields } from '../../schema';
import {
  type HttpAuthScheme,
  type HttpEndpoint,
  type HttpProviderConfig,
  type HttpServices,
  renderBody,
  renderHeader,
  renderPath,
  type TemplateValues,
} from './config';
import { extractJsonPath } from './json-path';

const paramValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())], {
  error: 'expected a string, number, boolean or array of strings',
});

/** Generic HTTP settings in the rotated secret. */
const settingsSchema = z.object({
  /** The configured service (a key of `HANDOVER_API_KEY_HTTP_SERVICES`). */
  service: z.string({ error: 'expected the name of a configured generic HTTP service' }),
  /** Non-secret values the service's templates use (`{params.<field>}`), e.g. scopes, a project id. */
  params: z._default(z.record(z.string(), paramValue), {}),
});
export type HttpSettings = z.output<typeof settingsSchema>;

const tokenSchema = z.object({
  token: z
    .string({ error: 'expected a string' })
    .check(z.minLength(1, { error: 'expected a non-empty string' })),
});
const userPasswordSchema = z.object({
  username: z
    .string({ error: 'expected a string' })
    .check(z.minLength(1, { error: 'expected a non-empty string' })),
  password: z
    .string({ error: 'expected a string' })
    .check(z.minLength(1, { error: 'expected a non-empty string' })),
});

/** The management credential: `{token}` for bearer / header auth, `{username, password}` for basic. */
export type HttpManagement =
  | { readonly token: string }
  | { readonly username: string; readonly password: string };

function authHeaders(scheme: HttpAuthScheme, user: string, token: string): Record<string, string> {
  switch (scheme.type) {
    case 'bearer':
      return { authorization: `Bearer ${token}` };
    case 'basic':
      return { authorization: basicAuth(user, token) };
    case 'header':
      return { [scheme.name.toLowerCase()]: `${scheme.prefix ?? ''}${token}` };
  }
}

function managementHeaders(scheme: HttpAuthScheme, management: HttpManagement): Record<string, string> {
  return 'token' in management
    ? authHeaders(scheme, '', management.token)
    : authHeaders(scheme, management.username, management.password);
}

const managementSecretOf = (management: HttpManagement) =>
  'token' in management ? management.token : management.password;

/** A key id from a response: a non-empty string, or a number. */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A last-use time from a response: ISO-8601 text or epoch seconds (or milliseconds). */
function timeOf(value: unknown): Date | null | undefined {
  if (value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value))
    return new Date(value < 1e12 ? value * 1000 : value);
  if (typeof value === 'string') {
    const time = Date.parse(value);
    return Number.isNaN(time) ? undefined : new Date(time);
  }
  return undefined;
}

/**
 * The declarative generic HTTP provider: any service with create and delete key endpoints,
 * described in `HANDOVER_API_KEY_HTTP_SERVICES` (see {@link HttpProviderConfig}). The rotated
 * secret names its `service` and may carry `params` for the templates. Endpoints, auth and URLs
 * come only from the Lambda's configuration, never from the secret: whoever can write the secret
 * cannot send the management credential anywhere else.
 *
 * - findByName: only when the service configures `list` (all keys in one response)
 * - lastUsed: only when the service configures `lastUsed`
 */
export function createHttpProvider(deps: {
  readonly http: HttpClient;
  readonly services: HttpServices;
}): ProviderDefinition<HttpSettings> {
  const { http, services } = deps;
  const configOf = (service: string): HttpProviderConfig => {
    const config = services.get(service);
    if (config === undefined) {
      const known = [...services.keys()];
      throw new SecretFormatError(
        'service',
        `secret field "service" names an unknown generic HTTP service "${service}" (configured: ${known.length === 0 ? 'none' : known.join(', ')})`,
      );
    }
    return config;
  };

  return {
    id: 'http',
    displayName: 'generic HTTP',
    parseSettings(raw) {
      const settings = validateFields(settingsSchema, { ...raw });
      const config = configOf(settings.service);
      for (const param of config.requiredParams) {
        if (settings.params[param] === undefined) {
          throw new SecretFormatError(
            `params.${param}`,
            `secret field "params.${param}" is required: service "${config.service}" uses {params.${param}}`,
          );
        }
      }
      return settings;
    },

    bind({ settings, managementSecretArn }): ApiKeyProvider<HttpManagement> {
      const config = configOf(settings.service);
      const displayName = `${config.displayName} (generic HTTP)`;
      const credential = managementLabel(managementSecretArn);
      const values = (extra: Omit<TemplateValues, 'params'>): TemplateValues => ({
        ...extra,
        params: settings.params,
      });
      const headersFor = (v: TemplateValues) =>
        Object.fromEntries(
          Object.entries(config.headers).map(([name, template]) => [name, renderHeader(template, v)]),
        );

      const request = (
        endpoint: HttpEndpoint,
        v: TemplateValues,
        auth: Record<string, string>,
        rest: Pick<ProviderRequest, 'operation' | 'credential' | 'idempotent' | 'secrets'> &
          Partial<Pick<ProviderRequest, 'body' | 'allowStatuses'>>,
      ) =>
        http({
          provider: displayName,
          method: endpoint.method,
          url: joinUrl(config.baseUrl, renderPath(endpoint.path, v)),
          headers: {
            ...headersFor(v),
            ...(rest.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...auth,
          },
          ...rest,
        });

      return {
        id: 'http',
        displayName,
        parseManagement(value) {
          const basic = config.managementAuth.type === 'basic';
          return basic
            ? parseManagementSecret(
                value,
                managementSecretArn,
                userPasswordSchema,
                '{"username": "...", "password": "..."}',
              )
            : parseManagementSecret(value, managementSecretArn, tokenSchema, '{"token": "..."}');
        },
        secretsOfManagement: (management) => [managementSecretOf(management)],

        async create(management, ctx) {
          const v = values({ name: ctx.name });
          const response = await request(
            config.create,
            v,
            managementHeaders(config.managementAuth, management),
            {
              operation: 'create key',
              credential,
              idempotent: false,
              body: JSON.stringify(renderBody(config.create.body, v)),
              secrets: [managementSecretOf(management)],
            },
          );
          const keyId = idOf(extractJsonPath(response.json, config.create.keyIdPath));
          const secret = extractJsonPath(response.json, config.create.secretPath);
          if (keyId === undefined || typeof secret !== 'string' || secret === '') {
            const missing = [
              ...(keyId === undefined ? [`no key id at ${config.create.keyIdPath.text}`] : []),
              ...(typeof secret !== 'string' || secret === ''
                ? [`no key secret at ${config.create.secretPath.text}`]
                : []),
            ];
            throw unexpectedResponse(displayName, 'create key', missing.join(', '), true);
          }
          return { keyId, secret };
        },

        async verify(key) {
          await request(
            config.verify,
            values({ keyId: key.keyId }),
            authHeaders(config.keyAuth, key.keyId, key.secret),
            {
              operation: `verify ${key.role} key`,
              credential: keyLabel(key),
              idempotent: true,
              secrets: [key.secret],
            },
          );
        },

        async revoke(management, keyId) {
          await request(
            config.delete,
            values({ keyId }),
            managementHeaders(config.managementAuth, management),
            {
              operation: `delete key ${keyId}`,
              credential,
              idempotent: true,
              allowStatuses: [404, 410],
              secrets: [managementSecretOf(management)],
            },
          );
        },

        ...(config.list === undefined
          ? {}
          : {
              async findByName(management: HttpManagement, name: string): Promise<readonly KeySummary[]> {
                const list = config.list;
                if (list === undefined) return [];
                const response = await request(
                  list,
                  values({ name }),
                  managementHeaders(config.managementAuth, management),
                  {
                    operation: 'list keys',
                    credential,
                    idempotent: true,
                    secrets: [managementSecretOf(management)],
                  },
                );
                const items = extractJsonPath(response.json, list.itemsPath);
                if (!Array.isArray(items)) {
                  throw unexpectedResponse(
                    displayName,
                    'list keys',
                    `no array at ${list.itemsPath.text}`,
                    false,
                  );
                }
                const found: KeySummary[] = [];
                for (const item of items) {
                  const keyId = idOf(extractJsonPath(item, list.idPath));
                  if (keyId !== undefined && extractJsonPath(item, list.namePath) === name)
                    found.push({ keyId, name });
                }
                return found;
              },
            }),

        ...(config.lastUsed === undefined
          ? {}
          : {
              async lastUsed(management: HttpManagement, keyId: string): Promise<Date | undefined> {
                const endpoint = config.lastUsed;
                if (endpoint === undefined) return undefined;
                const response = await request(
                  endpoint,
                  values({ keyId }),
                  managementHeaders(config.managementAuth, management),
                  {
                    operation: `read last use of key ${keyId}`,
                    credential,
                    idempotent: true,
                    secrets: [managementSecretOf(management)],
                  },
                );
                const time = timeOf(extractJsonPath(response.json, endpoint.lastUsedPath));
                if (time === undefined) {
                  throw unexpectedResponse(
                    displayName,
                    `read last use of key ${keyId}`,
                    `no time (ISO-8601, epoch seconds or null) at ${endpoint.lastUsedPath.text}`,
                    false,
                  );
                }
                return time ?? undefined;
              },
            }),
      };
    },
  };
}

/** The generic HTTP provider, as the provider registry lists it: no base URL of its own (each service has one). */
export const http = {
  create: ({ http, httpServices }) =>
    createHttpProvider({ http, services: httpServices }) as ProviderDefinition,
} satisfies ProviderPlugin;
