import { HandoverError } from '../../shared/errors';
import { createHttpClient, type HttpClient } from './http-client';
import type { ProviderDefinition, ProviderId } from './provider';
import { buildProviders } from './provider-registry';
import { checkBaseUrl, type HttpServices, parseHttpServices } from './providers/http/config';
import { SENDGRID_BASE_URL } from './providers/sendgrid';
import { TWILIO_BASE_URL } from './providers/twilio';

/** Options of {@link createApiKeyStrategy}. Production reads them from the environment. */
export interface ApiKeyStrategyOptions {
  /**
   * Base URLs of the built-in providers, e.g. a local fake in tests or SendGrid's EU endpoint
   * (`https://api.eu.sendgrid.com`). `https` only, except for a loopback host.
   * @default - `https://api.sendgrid.com` and `https://api.twilio.com`
   */
  readonly baseUrls?: { readonly sendgrid?: string; readonly twilio?: string };
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
  readonly providers: Readonly<Record<ProviderId, ProviderDefinition>>;
  readonly http: HttpClient;
  readonly maxAttempts: number;
  readonly keyPropagationMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

function checkInteger(name: string, value: number, min: number, max: number, problems: string[]): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

const sleepWithTimer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Validates every option and reports all problems at once. */
export function resolveApiKeyOptions(options: ApiKeyStrategyOptions): ResolvedApiKeyOptions {
  const problems: string[] = [];
  const sendgrid = checkBaseUrl(
    'baseUrls.sendgrid',
    options.baseUrls?.sendgrid ?? SENDGRID_BASE_URL,
    problems,
  );
  const twilio = checkBaseUrl('baseUrls.twilio', options.baseUrls?.twilio ?? TWILIO_BASE_URL, problems);
  const timeoutMs = checkInteger(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? 10_000,
    1,
    120_000,
    problems,
  );
  const maxAttempts = checkInteger('maxAttempts', options.maxAttempts ?? 4, 1, 10, problems);
  const retryBudgetMs = checkInteger('retryBudgetMs', options.retryBudgetMs ?? 20_000, 0, 600_000, problems);
  const keyPropagationMs = checkInteger(
    'keyPropagationMs',
    options.keyPropagationMs ?? 5000,
    0,
    120_000,
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
    providers: buildProviders({
      http,
      baseUrls: { sendgrid: sendgrid ?? SENDGRID_BASE_URL, twilio: twilio ?? TWILIO_BASE_URL },
      httpServices,
    }),
    http,
    maxAttempts,
    keyPropagationMs,
    sleep,
  };
}
