import * as z from 'zod/mini';
import { TargetError } from '../../../shared/errors';
import type { HttpClient } from '../http-client';
import type { ApiKeyProvider, ProviderDefinition, ProviderPlugin } from '../provider';
import { joinUrl, keyLabel, managementLabel, parseManagementSecret, readResponse } from '../provider-support';
import { validateFields } from '../schema';

/** SendGrid's public API. EU regional subusers use `https://api.eu.sendgrid.com`. */
export const SENDGRID_BASE_URL = 'https://api.sendgrid.com';
/** SendGrid allows 100 API keys per account: one page of 100 lists them all. */
const LIST_LIMIT = 100;
const DISPLAY_NAME = 'SendGrid';

const scopeSchema = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'expected SendGrid scope names' }));

/** SendGrid settings in the rotated secret. */
export const sendgridSettingsSchema = z.object({
  /**
   * The scopes of every new key. Required: omitting scopes at SendGrid makes a full-access key, and
   * a rotation must never widen access silently.
   */
  scopes: z
    .array(scopeSchema, { error: 'expected an array of SendGrid scope names, e.g. ["mail.send"]' })
    .check(
      z.minLength(1, {
        error: 'expected at least one scope (SendGrid makes a full-access key without scopes)',
      }),
    ),
  /** Subuser to manage keys of (`on-behalf-of` header). */
  onBehalfOf: z.optional(
    z.string().check(z.regex(/^[A-Za-z0-9._@+-]{1,64}$/, { error: 'expected a subuser name' })),
  ),
});
export type SendgridSettings = z.output<typeof sendgridSettingsSchema>;

/** The management secret: a SendGrid key with the `api_keys.*` scopes. */
export const sendgridManagementSchema = z.object({
  apiKey: z
    .string({ error: 'expected a string' })
    .check(z.minLength(1, { error: 'expected a non-empty string' })),
});
export type SendgridManagement = z.output<typeof sendgridManagementSchema>;

const createdSchema = z.object({
  api_key_id: z.string().check(z.minLength(1)),
  api_key: z.string().check(z.minLength(1)),
});
const listSchema = z.object({
  result: z.array(z.object({ api_key_id: z.string(), name: z.optional(z.nullable(z.string())) })),
});
const scopesSchema = z.object({ scopes: z.array(z.string()) });

/**
 * SendGrid (Twilio SendGrid API Keys API):
 * - create: `POST /v3/api_keys {name, scopes}` -> `{api_key_id, api_key, name, scopes}`
 * - verify: `GET /v3/scopes` with the key itself; every requested scope must be granted
 * - revoke: `DELETE /v3/api_keys/{api_key_id}` (404: already deleted)
 * - findByName: `GET /v3/api_keys?limit=100` -> `{result: [{api_key_id, name}]}` (100 keys per
 *   account at most, so one page is all of them)
 * - lastUsed: not offered (SendGrid does not report when a key was last used)
 *
 * All with `Authorization: Bearer <key>`; a SendGrid key cannot be read back after creation, so
 * an orphan can only be deleted, never reused.
 */
export function createSendgridProvider(deps: {
  readonly http: HttpClient;
  readonly baseUrl: string;
}): ProviderDefinition<SendgridSettings> {
  const { http, baseUrl } = deps;
  return {
    id: 'sendgrid',
    displayName: DISPLAY_NAME,
    parseSettings: (raw) => validateFields(sendgridSettingsSchema, { ...raw }),
    bind({ settings, managementSecretArn }): ApiKeyProvider<SendgridManagement> {
      const credential = managementLabel(managementSecretArn);
      const managementHeaders = (management: SendgridManagement): Record<string, string> => ({
        authorization: `Bearer ${management.apiKey}`,
        ...(settings.onBehalfOf === undefined ? {} : { 'on-behalf-of': settings.onBehalfOf }),
      });
      return {
        id: 'sendgrid',
        displayName: DISPLAY_NAME,
        parseManagement: (value) =>
          parseManagementSecret(value, managementSecretArn, sendgridManagementSchema, '{"apiKey": "SG...."}'),
        secretsOfManagement: (management) => [management.apiKey],

        async create(management, ctx) {
          const response = await http({
            provider: DISPLAY_NAME,
            operation: 'create key',
            credential,
            method: 'POST',
            url: joinUrl(baseUrl, '/v3/api_keys'),
            headers: { ...managementHeaders(management), 'content-type': 'application/json' },
            body: JSON.stringify({ name: ctx.name, scopes: settings.scopes }),
            idempotent: false,
            secrets: [management.apiKey],
          });
          const created = readResponse(createdSchema, response.json, DISPLAY_NAME, 'create key', true);
          return { keyId: created.api_key_id, secret: created.api_key };
        },

        async verify(key) {
          const response = await http({
            provider: DISPLAY_NAME,
            operation: `verify ${key.role} key`,
            credential: keyLabel(key),
            method: 'GET',
            url: joinUrl(baseUrl, '/v3/scopes'),
            headers: { authorization: `Bearer ${key.secret}` },
            idempotent: true,
            secrets: [key.secret],
          });
          const granted = new Set(
            readResponse(scopesSchema, response.json, DISPLAY_NAME, `verify ${key.role} key`).scopes,
          );
          const missing = settings.scopes.filter((scope) => !granted.has(scope));
          if (missing.length > 0) {
            throw new TargetError(
              `${DISPLAY_NAME} verify ${key.role} key: key ${key.keyId} works but lacks the scopes ${missing.join(', ')}`,
            );
          }
        },

        async revoke(management, keyId) {
          await http({
            provider: DISPLAY_NAME,
            operation: `delete key ${keyId}`,
            credential,
            method: 'DELETE',
            url: joinUrl(baseUrl, `/v3/api_keys/${encodeURIComponent(keyId)}`),
            headers: managementHeaders(management),
            idempotent: true,
            allowStatuses: [404],
            secrets: [management.apiKey],
          });
        },

        async findByName(management, name) {
          const response = await http({
            provider: DISPLAY_NAME,
            operation: 'list keys',
            credential,
            method: 'GET',
            url: joinUrl(baseUrl, `/v3/api_keys?limit=${LIST_LIMIT}`),
            headers: managementHeaders(management),
            idempotent: true,
            secrets: [management.apiKey],
          });
          return readResponse(listSchema, response.json, DISPLAY_NAME, 'list keys')
            .result.filter((key) => key.name === name)
            .map((key) => ({ keyId: key.api_key_id, name }));
        },
      };
    },
  };
}

/** SendGrid, as the provider registry lists it. */
export const sendgrid = {
  baseUrl: SENDGRID_BASE_URL,
  create: ({ http, baseUrl }) => createSendgridProvider({ http, baseUrl }) as ProviderDefinition,
} satisfies ProviderPlugin;
