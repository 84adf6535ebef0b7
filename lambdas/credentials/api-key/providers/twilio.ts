import * as z from 'zod/mini';
import { SecretFormatError } from '../../../shared/errors';
import type { HttpClient } from '../http-client';
import type { ApiKeyProvider, KeySummary, ProviderDefinition, ProviderPlugin } from '../provider';
import {
  basicAuth,
  joinUrl,
  keyLabel,
  managementLabel,
  parseManagementSecret,
  readResponse,
  unexpectedResponse,
} from '../provider-support';
import { validateFields } from '../schema';

/** Twilio's REST API. */
export const TWILIO_BASE_URL = 'https://api.twilio.com';
const DISPLAY_NAME = 'Twilio';
/** Twilio's largest page. */
const PAGE_SIZE = 1000;
/** Pages followed at most when listing keys (20 000 keys). */
const MAX_PAGES = 20;

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const KEY_SID = /^SK[0-9a-fA-F]{32}$/;

/** Twilio settings in the rotated secret. */
export const twilioSettingsSchema = z.object({
  accountSid: z
    .string({ error: 'expected a string' })
    .check(z.regex(ACCOUNT_SID, { error: 'expected a Twilio Account SID: AC followed by 32 hex digits' })),
});
export type TwilioSettings = z.output<typeof twilioSettingsSchema>;

/**
 * The management secret: a Main API key (Standard keys cannot manage keys), or the account's
 * Auth Token.
 */
export const twilioManagementSchema = z.union(
  [
    z.object({
      apiKeySid: z.string().check(z.regex(KEY_SID, { error: 'expected SK followed by 32 hex digits' })),
      apiKeySecret: z.string().check(z.minLength(1)),
    }),
    z.object({
      accountSid: z.optional(z.string().check(z.regex(ACCOUNT_SID))),
      authToken: z.string().check(z.minLength(1)),
    }),
  ],
  { error: 'expected {"apiKeySid", "apiKeySecret"} (a Main API key) or {"authToken"}' },
);
export type TwilioManagement = z.output<typeof twilioManagementSchema>;

const createdSchema = z.object({
  sid: z.string().check(z.regex(KEY_SID)),
  secret: z.string().check(z.minLength(1)),
});
const pageSchema = z.object({
  keys: z.array(z.object({ sid: z.string(), friendly_name: z.optional(z.nullable(z.string())) })),
  next_page_uri: z.optional(z.nullable(z.string())),
});

/**
 * Twilio (REST API Key resource v2010, `https://api.twilio.com/2010-04-01`):
 * - create: `POST /Accounts/{AccountSid}/Keys.json` form `FriendlyName` -> `{sid, secret, friendly_name}`
 *   (a Standard key; FriendlyName up to 64 characters)
 * - verify: `GET /Accounts/{AccountSid}/Usage/Records.json?PageSize=1` with Basic `sid:secret` of
 *   the key. Not `GET /Accounts/{AccountSid}.json`: Twilio documents that Standard keys (the only
 *   kind this API creates) cannot read the Account resource, so that check would reject every
 *   good key.
 * - revoke: `DELETE /Accounts/{AccountSid}/Keys/{sid}.json` (404: already deleted)
 * - findByName: `GET /Accounts/{AccountSid}/Keys.json?PageSize=1000`, following `next_page_uri`
 * - lastUsed: not offered (a key reports `date_created` / `date_updated` only)
 *
 * Management calls authenticate with Basic auth of a Main key (`apiKeySid:apiKeySecret`) or of the
 * account (`AccountSid:authToken`). A key secret is shown once, at creation, so an orphan can only
 * be deleted, never reused.
 */
export function createTwilioProvider(deps: {
  readonly http: HttpClient;
  readonly baseUrl: string;
}): ProviderDefinition<TwilioSettings> {
  const { http, baseUrl } = deps;
  return {
    id: 'twilio',
    displayName: DISPLAY_NAME,
    parseSettings: (raw) => validateFields(twilioSettingsSchema, { ...raw }),
    bind({ settings, managementSecretArn }): ApiKeyProvider<TwilioManagement> {
      const credential = managementLabel(managementSecretArn);
      const account = `/2010-04-01/Accounts/${settings.accountSid}`;
      const authorization = (management: TwilioManagement) =>
        'apiKeySid' in management
          ? basicAuth(management.apiKeySid, management.apiKeySecret)
          : basicAuth(settings.accountSid, management.authToken);
      const secretOf = (management: TwilioManagement) =>
        'apiKeySid' in management ? management.apiKeySecret : management.authToken;

      return {
        id: 'twilio',
        displayName: DISPLAY_NAME,
        parseManagement(value) {
          const management = parseManagementSecret(
            value,
            managementSecretArn,
            twilioManagementSchema,
            '{"apiKeySid": "SK...", "apiKeySecret": "..."} or {"authToken": "..."}',
          );
          if (
            'accountSid' in management &&
            management.accountSid !== undefined &&
            management.accountSid !== settings.accountSid
          ) {
            throw new SecretFormatError(
              'accountSid',
              `management secret ${managementSecretArn}: field "accountSid" (${management.accountSid}) is not the rotated secret's account (${settings.accountSid})`,
            );
          }
          return management;
        },
        secretsOfManagement: (management) => [secretOf(management)],

        async create(management, ctx) {
          const response = await http({
            provider: DISPLAY_NAME,
            operation: 'create key',
            credential,
            method: 'POST',
            url: joinUrl(baseUrl, `${account}/Keys.json`),
            headers: {
              authorization: authorization(management),
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: new URLSearchParams({ FriendlyName: ctx.name }).toString(),
            idempotent: false,
            secrets: [secretOf(management)],
          });
          const created = readResponse(createdSchema, response.json, DISPLAY_NAME, 'create key', true);
          return { keyId: created.sid, secret: created.secret };
        },

        async verify(key) {
          await http({
            provider: DISPLAY_NAME,
            operation: `verify ${key.role} key`,
            credential: keyLabel(key),
            method: 'GET',
            url: joinUrl(baseUrl, `${account}/Usage/Records.json?PageSize=1`),
            headers: { authorization: basicAuth(key.keyId, key.secret) },
            idempotent: true,
            secrets: [key.secret],
          });
        },

        async revoke(management, keyId) {
          await http({
            provider: DISPLAY_NAME,
            operation: `delete key ${keyId}`,
            credential,
            method: 'DELETE',
            url: joinUrl(baseUrl, `${account}/Keys/${encodeURIComponent(keyId)}.json`),
            headers: { authorization: authorization(management) },
            idempotent: true,
            allowStatuses: [404],
            secrets: [secretOf(management)],
          });
        },

        async findByName(management, name) {
          const found: KeySummary[] = [];
          let path: string | undefined = `${account}/Keys.json?PageSize=${PAGE_SIZE}`;
          for (let page = 0; path !== undefined; page++) {
            if (page === MAX_PAGES) {
              throw unexpectedResponse(
                DISPLAY_NAME,
                'list keys',
                `more than ${MAX_PAGES} pages of keys`,
                false,
              );
            }
            const response = await http({
              provider: DISPLAY_NAME,
              operation: 'list keys',
              credential,
              method: 'GET',
              url: joinUrl(baseUrl, path),
              headers: { authorization: authorization(management) },
              idempotent: true,
              secrets: [secretOf(management)],
            });
            const body = readResponse(pageSchema, response.json, DISPLAY_NAME, 'list keys');
            for (const key of body.keys) {
              if (key.friendly_name === name) found.push({ keyId: key.sid, name });
            }
            // Only follow pages of the same list: a next page elsewhere would get the credential.
            const next = body.next_page_uri;
            path = typeof next === 'string' && next.startsWith(`${account}/Keys.json?`) ? next : undefined;
          }
          return found;
        },
      };
    },
  };
}

/** Twilio, as the provider registry lists it. */
export const twilio = {
  baseUrl: TWILIO_BASE_URL,
  create: ({ http, baseUrl }) => createTwilioProvider({ http, baseUrl }) as ProviderDefinition,
} satisfies ProviderPlugin;
