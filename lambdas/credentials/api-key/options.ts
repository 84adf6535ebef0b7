import type { Env } from '../../shared/env';
import { HandoverError } from '../../shared/errors';
import { checkSetting, fromEnv } from '../contract';
import { apiKeyContract } from './contract';
import { createHttpClient, type HttpClient } from './http-client';
import type { AnyProviderDefinition, ProviderPlugin } from './provider';
import { BASE_URL_PROVIDERS, buildProviders, PROVIDERS, type ProviderId } from './provider-registry';
import { checkBaseUrl, type HttpServices, parseHttpServices } from './providers/http/config';

/** Options of {@link createApiKeyStrategy}. Production reads them from the environment. */
export interface ApiKeyStrategyOptions {
  /**
   * Base URLs by provider, e.g. a local fake in tests or SendGrid's EU endpoint
   * (`{ sendgrid: 'https://api.eu.sendgrid.com' }`). `https` only, except for a loopback host.
   * @default - every provider at its public API (its plugin's `baseUrl`)
   */
  readonly baseUrls?: Readonly<Partial<Record<ProviderId, string>>>;
  /**
   * Generic HTTP services by name: the parsed JSON object or its text (see `parseHttpServices`).
   * @default - none: secrets with `"provider": "http"` are refused
   */
  readonly httpServices?: unknown;
  /**
   * The `fetch` every provider request goes through.
   * @default - the global `fetch` of Node 20
   */
  readonly fetch?: typeof fetch;
  /**
   * Time allowed for one HTTP attempt, in milliseconds.
   * @default 10000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Attempts per HTTP request (429 / 5xx / timeouts), and attempts of a create whose outcome is
   * unknown (where the provider can list keys).
   * @default 4
   */
  readonly maxAttempts?: number;
  /**
   * Total wait between attempts of one request (backoff and `Retry-After`), in milliseconds.
   * @default 20000
   */
  readonly retryBudgetMs?: number;
  /**
   * How long `test` keeps retrying a new key the provider rejects with 401 / 403, in case the key
   * takes a moment to become valid everywhere; 0 disables it.
   * @default 5000
   */
  readonly keyPropagationMs?: number;
  /**
   * Waits between attempts. Tests pass one that records and returns at once.
   * @default - `setTimeout`
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Source of jitter in [0, 1).
   * @default - `Math.random`
   */
  readonly random?: () => number;
}

/** The validated settings a strategy runs with. */
export interface ResolvedApiKeyOptions {
  readonly providers: Readonly<Record<ProviderId, AnyProviderDefinition>>;
  readonly http: HttpClient;
  readonly maxAttempts: number;
  readonly keyPropagationMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

const sleepWithTimer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Validates every option and reports all problems at once. */
export function resolveApiKeyOptions(options: ApiKeyStrategyOptions): ResolvedApiKeyOptions {
  const problems: string[] = [];
  const baseUrls: Partial<Record<ProviderId, string>> = {};
  for (const id of BASE_URL_PROVIDERS) {
    const plugin: ProviderPlugin = PROVIDERS[id];
    const url = checkBaseUrl(`baseUrls.${id}`, options.baseUrls?.[id] ?? plugin.baseUrl, problems);
    if (url !== undefined) baseUrls[id] = url;
  }
  const { settings, tuning } = apiKeyContract;
  const timeoutMs = checkSetting(
    settings.requestTimeoutMs,
    'requestTimeoutMs',
    options.requestTimeoutMs ?? 10_000,
    problems,
  );
  const maxAttempts = checkSetting(tuning.maxAttempts, 'maxAttempts', options.maxAttempts ?? 4, problems);
  const retryBudgetMs = checkSetting(
    tuning.retryBudgetMs,
    'retryBudgetMs',
    options.retryBudgetMs ?? 20_000,
    problems,
  );
  const keyPropagationMs = checkSetting(
    tuning.keyPropagationMs,
    'keyPropagationMs',
    options.keyPropagationMs ?? 5000,
    problems,
  );
  let httpServices: HttpServices = new Map();
  if (options.httpServices !== undefined) {
    try {
      httpServices = parseHttpServices(options.httpServices);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length > 0) {
    throw new HandoverError(`invalid API key strategy options: ${problems.join('; ')}`);
  }
  const sleep = options.sleep ?? sleepWithTimer;
  const http = createHttpClient({
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.random === undefined ? {} : { random: options.random }),
    timeoutMs,
    maxAttempts,
    retryBudgetMs,
    sleep,
  });
  return {
    providers: buildProviders({ http, baseUrls, httpServices }),
    http,
    maxAttempts,
    keyPropagationMs,
    sleep,
  };
}

/**
 * Reads the settings of {@link ApiKeyStrategyOptions} from the environment the constructs set
 * (`apiKeyContract`). Every variable is optional: with none set, every provider is reached at its
 * public API and no generic HTTP service is configured. A malformed number fails fast with a
 * `ConfigurationError` naming the variable; base URLs and the generic HTTP services are validated
 * by the strategy, which lists every problem at once.
 *
 * @example
 * ```ts
 * export const handler = createRotationLambda(createApiKeyStrategy(apiKeyOptionsFromEnv()));
 * ```
 */
export function apiKeyOptionsFromEnv(env: Env = process.env): ApiKeyStrategyOptions {
  const settings = fromEnv(apiKeyContract, env);
  return {
    baseUrls: settings.providerBaseUrls ?? {},
    ...(settings.httpServices === undefined ? {} : { httpServices: settings.httpServices }),
    requestTimeoutMs: settings.requestTimeoutMs,
    maxAttempts: settings.maxAttempts,
    retryBudgetMs: settings.retryBudgetMs,
    keyPropagationMs: settings.keyPropagationMs,
  };
}
