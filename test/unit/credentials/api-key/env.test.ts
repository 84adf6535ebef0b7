import { describe, expect, it } from 'vitest';
import { apiKeyOptionsFromEnv } from '../../../../lambdas/credentials/api-key/options';
import { createApiKeyStrategy } from '../../../../lambdas/credentials/api-key/strategy';
import { ConfigurationError, HandoverError } from '../../../../lambdas/shared/errors';

describe('apiKeyOptionsFromEnv', () => {
  it('defaults everything when no variable is set', () => {
    expect(apiKeyOptionsFromEnv({})).toEqual({
      baseUrls: {},
      requestTimeoutMs: 10_000,
      maxAttempts: 4,
      retryBudgetMs: 20_000,
      keyPropagationMs: 5000,
    });
  });

  it('reads every variable', () => {
    const options = apiKeyOptionsFromEnv({
      HANDOVER_API_KEY_SENDGRID_BASE_URL: 'https://api.eu.sendgrid.com',
      HANDOVER_API_KEY_TWILIO_BASE_URL: 'http://127.0.0.1:9999',
      HANDOVER_API_KEY_HTTP_SERVICES: '{"acme": {}}',
      HANDOVER_API_KEY_REQUEST_TIMEOUT_MS: '2500',
      HANDOVER_API_KEY_MAX_ATTEMPTS: '2',
      HANDOVER_API_KEY_RETRY_BUDGET_MS: '0',
      HANDOVER_API_KEY_PROPAGATION_MS: '0',
    });

    expect(options).toEqual({
      baseUrls: { sendgrid: 'https://api.eu.sendgrid.com', twilio: 'http://127.0.0.1:9999' },
      httpServices: { acme: {} },
      requestTimeoutMs: 2500,
      maxAttempts: 2,
      retryBudgetMs: 0,
      keyPropagationMs: 0,
    });
  });

  it.each([
    ['HANDOVER_API_KEY_REQUEST_TIMEOUT_MS', '0'],
    ['HANDOVER_API_KEY_MAX_ATTEMPTS', '11'],
    ['HANDOVER_API_KEY_RETRY_BUDGET_MS', 'soon'],
    ['HANDOVER_API_KEY_PROPAGATION_MS', '-1'],
    ['HANDOVER_API_KEY_HTTP_SERVICES', '{"acme": '],
    ['HANDOVER_API_KEY_HTTP_SERVICES', '["acme"]'],
  ])('fails fast naming %s when it is %j', (variable, value) => {
    expect(() => apiKeyOptionsFromEnv({ [variable]: value })).toThrow(
      expect.objectContaining({
        constructor: ConfigurationError,
        variable,
        message: expect.stringContaining(variable),
      }),
    );
  });

  it('lets the strategy list every problem of a bad generic HTTP configuration from the variable', () => {
    const options = apiKeyOptionsFromEnv({
      HANDOVER_API_KEY_HTTP_SERVICES: '{"acme": {"baseUrl": "ftp://x"}}',
    });

    expect(() => createApiKeyStrategy(options)).toThrow(
      expect.objectContaining({
        constructor: HandoverError,
        message: expect.stringMatching(
          /HANDOVER_API_KEY_HTTP_SERVICES.*acme.baseUrl must use https.*acme.managementAuth is required/,
        ),
      }),
    );
  });
});
