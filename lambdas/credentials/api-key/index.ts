export { type ApiKeySettings, apiKeyContract, baseUrlVariable } from './contract';
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
export { apiKeyOptionsFromEnv } from './options';
export type {
  AnyProviderDefinition,
  ApiKeyProvider,
  CreatedKey,
  CreateKeyContext,
  IssuedKey,
  KeySummary,
  OperatorAssistedBinding,
  OperatorAssistedDefinition,
  OperatorAssistedProvider,
  ProviderBinding,
  ProviderDefinition,
  ProviderDeps,
  ProviderFactory,
  ProviderKind,
  ProviderPlugin,
} from './provider';
export { isOperatorAssisted } from './provider';
export {
  BASE_URL_PROVIDERS,
  type BaseUrlProviderId,
  buildProviders,
  PROVIDER_IDS,
  PROVIDERS,
  type ProviderId,
  type ProviderRegistryDeps,
} from './provider-registry';
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
export { createHttpProvider, http } from './providers/http/provider';
export type { SendgridManagement, SendgridSettings } from './providers/sendgrid';
export { createSendgridProvider, SENDGRID_BASE_URL, sendgrid } from './providers/sendgrid';
export {
  createStripeProvider,
  STRIPE_BASE_URL,
  type StripeSettings,
  stripe,
  stripeKeyId,
} from './providers/stripe';
export type { TwilioManagement, TwilioSettings } from './providers/twilio';
export { createTwilioProvider, TWILIO_BASE_URL, twilio } from './providers/twilio';
export type { ApiKeySecret } from './schema';
export { apiKeySecretSchema, parseApiKeySecret, serializeApiKeySecret } from './schema';
export type { ApiKeyUsageReport } from './strategy';
export { createApiKeyStrategy } from './strategy';
