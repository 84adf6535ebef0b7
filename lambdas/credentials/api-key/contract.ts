/**
 * The contract of the `api-key` credential type: its strategy, its settings (the policy entry and
 * `Rotation.apiKey()` take exactly these) and their variables in the Lambda environment. The
 * providers a deployment may point elsewhere come from the provider registry, so a new provider
 * with a base URL gets its setting and its variable without a line here. No SDK, no I/O: the CDK
 * constructs and the Lambda both import it.
 */
import * as z from 'zod/mini';
import { either, integer, withDefault } from '../../shared/settings';
import { defineCredentialContract, type SettingsOf, strategyField } from '../contract';
import { BASE_URL_PROVIDERS, type BaseUrlProviderId } from './provider-registry';
import { HTTP_SERVICES_VARIABLE } from './providers/http/config';

/** The most JSON `httpServices` may take: Lambda environment variables total 4 KB. */
export const MAX_HTTP_SERVICES_JSON = 3000;

/** `HANDOVER_API_KEY_SENDGRID_BASE_URL`: the variable of a provider's base URL. */
export function baseUrlVariable(provider: string): string {
  return `HANDOVER_API_KEY_${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BASE_URL`;
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const BASE_URL = /^https:\/\/[^\s/]+/;

/** Base URLs by provider: only providers that have one, each an https URL. */
const baseUrls = z
  .custom<Readonly<Partial<Record<BaseUrlProviderId, string>>>>(isObject, {
    error: 'an object of base URLs by provider',
  })
  .check(
    z.superRefine((urls, context) => {
      for (const [provider, url] of Object.entries(urls)) {
        const known = (BASE_URL_PROVIDERS as readonly string[]).includes(provider);
        if (!known || typeof url !== 'string' || !BASE_URL.test(url)) {
          context.addIssue({
            code: 'custom',
            message: known ? 'an https:// URL' : either(BASE_URL_PROVIDERS),
            path: [provider],
            input: url,
          });
        }
      }
    }),
  );

/** The generic HTTP services: an object, small enough for the Lambda environment. */
const httpServices = z
  .custom<Readonly<Record<string, unknown>>>(isObject, { error: 'an object of services by name' })
  .check(
    z.superRefine((services, context) => {
      const length = JSON.stringify(services).length;
      if (length > MAX_HTTP_SERVICES_JSON) {
        context.addIssue({
          code: 'custom',
          message: `at most ${MAX_HTTP_SERVICES_JSON} characters (Lambda environment variables total 4 KB)`,
          params: { received: `${length} characters of JSON` },
          input: services,
        });
      }
    }),
  );

export const apiKeyContract = defineCredentialContract({
  id: 'api-key',
  strategies: ['provider-key'],
  settings: {
    /**
     * The only strategy: a new key created through the provider's management API beside the old
     * one, which is deleted when the rollout revokes it.
     * @default 'provider-key'
     */
    strategy: strategyField('api-key', ['provider-key']),
    /**
     * Other base URLs of the providers that have one, by provider, e.g. SendGrid's EU endpoint
     * `{ sendgrid: 'https://api.eu.sendgrid.com' }` (https).
     * @default - every provider at its public API
     */
    providerBaseUrls: z.optional(baseUrls),
    /**
     * The generic HTTP services by name (`docs/credentials/api-key.md` gives the shape), at most
     * 3000 characters of JSON.
     * @default - none: secrets with `"provider": "http"` are refused
     */
    httpServices: z.optional(httpServices),
    /**
     * Time allowed for one provider request, in milliseconds, 1 to 120000.
     * @default 10000
     */
    requestTimeoutMs: withDefault(integer(1, 120_000), 10_000),
  },
  tuning: {
    /**
     * Attempts per HTTP request (429 / 5xx / timeouts), and attempts of a create whose outcome is
     * unknown (where the provider can list keys), 1 to 10.
     * @default 4
     */
    maxAttempts: withDefault(integer(1, 10), 4),
    /**
     * Total wait between attempts of one request (backoff and `Retry-After`), in milliseconds.
     * @default 20000
     */
    retryBudgetMs: withDefault(integer(0, 600_000), 20_000),
    /**
     * How long `test` keeps retrying a new key the provider rejects with 401 / 403, in
     * milliseconds; 0 disables it.
     * @default 5000
     */
    keyPropagationMs: withDefault(integer(0, 120_000), 5000),
  },
  env: {
    // Read as text and checked by the strategy, which also allows http to a loopback host (local
    // fakes) and lists every problem of the options at once.
    providerBaseUrls: { keys: BASE_URL_PROVIDERS, name: baseUrlVariable },
    httpServices: { name: HTTP_SERVICES_VARIABLE, as: 'json' },
    requestTimeoutMs: { name: 'HANDOVER_API_KEY_REQUEST_TIMEOUT_MS', as: 'integer' },
    maxAttempts: { name: 'HANDOVER_API_KEY_MAX_ATTEMPTS', as: 'integer' },
    retryBudgetMs: { name: 'HANDOVER_API_KEY_RETRY_BUDGET_MS', as: 'integer' },
    keyPropagationMs: { name: 'HANDOVER_API_KEY_PROPAGATION_MS', as: 'integer' },
  },
});

/** The settings of an API key rotation, as a policy entry or `Rotation.apiKey()` gives them. */
export type ApiKeySettings = SettingsOf<typeof apiKeyContract>;
