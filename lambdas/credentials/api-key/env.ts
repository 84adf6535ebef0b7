import { intEnv } from '../../shared/env';
import type { ApiKeyStrategyOptions } from './options';
import { HTTP_SERVICES_VARIABLE } from './providers/http/config';

/** Environment variables of the API key rotation Lambda (set only by the CDK constructs). */
export const API_KEY_ENV = {
  sendgridBaseUrl: 'HANDOVER_API_KEY_SENDGRID_BASE_URL',
  twilioBaseUrl: 'HANDOVER_API_KEY_TWILIO_BASE_URL',
  httpServices: HTTP_SERVICES_VARIABLE,
  requestTimeoutMs: 'HANDOVER_API_KEY_REQUEST_TIMEOUT_MS',
  maxAttempts: 'HANDOVER_API_KEY_MAX_ATTEMPTS',
  retryBudgetMs: 'HANDOVER_API_KEY_RETRY_BUDGET_MS',
  keyPropagationMs: 'HANDOVER_API_KEY_PROPAGATION_MS',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const optional = (env: Env, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

/**
 * Reads {@link ApiKeyStrategyOptions} from the environment. Every variable is optional: with none
 * set, SendGrid and Twilio are reached at their public endpoints and no generic HTTP service is
 * configured. A malformed number fails fast with a `ConfigurationError` naming the variable; base
 * URLs and `HANDOVER_API_KEY_HTTP_SERVICES` are validated by the strategy, which lists every
 * problem at once.
 *
 * @example
 * ```ts
 * export const handler = createRotationLambda(createApiKeyStrategy(apiKeyOptionsFromEnv()));
 * ```
 */
export function apiKeyOptionsFromEnv(env: Env = process.env): ApiKeyStrategyOptions {
  const sendgrid = optional(env, API_KEY_ENV.sendgridBaseUrl);
  const twilio = optional(env, API_KEY_ENV.twilioBaseUrl);
  const httpServices = optional(env, API_KEY_ENV.httpServices);
  return {
    baseUrls: {
      ...(sendgrid === undefined ? {} : { sendgrid }),
      ...(twilio === undefined ? {} : { twilio }),
    },
    ...(httpServices === undefined ? {} : { httpServices }),
    requestTimeoutMs: intEnv(API_KEY_ENV.requestTimeoutMs, 10_000, { min: 1, max: 120_000 }, env),
    maxAttempts: intEnv(API_KEY_ENV.maxAttempts, 4, { min: 1, max: 10 }, env),
    retryBudgetMs: intEnv(API_KEY_ENV.retryBudgetMs, 20_000, { min: 0, max: 600_000 }, env),
    keyPropagationMs: intEnv(API_KEY_ENV.keyPropagationMs, 5000, { min: 0, max: 120_000 }, env),
  };
}
