export { API_KEY_ENV, apiKeyOptionsFromEnv } from './env';
export type {
  HttpClient,
  HttpClientOptions,
  HttpMethod,
  ProviderFailure,
  ProviderRequest,
  ProviderResponse,
} from './http-client';
export { createHttpClient, describeErrorBody, ProviderRequestError, parseRetryAfter } from './http-client';
export { keyNameFor, MAX_KEY_NAME_LENGTH, rotationTag, secretNameOf } from './key-name';
export type { ApiKeyStrategyOptions } from './options';
export type {
  ApiKeyProvider,
  CreatedKey,
  CreateKeyContext,
  IssuedKey,
  KeySummary,
  ProviderBinding,
  ProviderDefinition,
  ProviderDeps,
  ProviderFactory,
  ProviderId,
} from './provider';
export { PROVIDER_IDS } from './provider';
export { buildProviders, PROVIDERS } from './provider-registry';
export type {
  HttpAuthScheme,
  HttpEndpoint,
  HttpProviderConfig,
  HttpServices,
  TemplateValues,
} from './providers/http/config';
export {
  HTTP_SERVICES_VARIABLE,
  parseHttpServices,
  placeholdersOf,
  renderBody,
  renderHeader,
  renderPath,
} from './providers/http/config';
export type { JsonPath, JsonPathSegment } from './providers/http/json-path';
export { extractJsonPath, parseJsonPath } from './providers/http/json-path';
export type { HttpManagement, HttpSettings } from './providers/http/provider';
export { createHttpProvider } from './providers/http/provider';
export type { SendgridManagement, SendgridSettings } from './providers/sendgrid';
export { createSendgridProvider, SENDGRID_BASE_URL } from './providers/sendgrid';
export type { TwilioManagement, TwilioSettings } from './providers/twilio';
export { createTwilioProvider, TWILIO_BASE_URL } from './providers/twilio';
export type { ApiKeySecret } from './schema';
export { apiKeySecretSchema, parseApiKeySecret, serializeApiKeySecret } from './schema';
export type { ApiKeyUsageReport } from './strategy';
export { createApiKeyStrategy } from './strategy';
