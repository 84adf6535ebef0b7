import { TargetError } from '../../shared/errors';
import { REDACTED, redact } from '../../shared/redaction';

/** HTTP methods the providers use. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One request to a provider, with what is needed to retry it safely and to explain a failure. */
export interface ProviderRequest {
  /** Human name of the provider, e.g. `SendGrid`. */
  readonly provider: string;
  /** What the request does, e.g. `create key`, `verify new key`. */
  readonly operation: string;
  /**
   * Which credential authenticates the request, as a 401 / 403 message names it, e.g.
   * `management credential (secret arn:...)` or `new key SK123...`. Never the credential itself.
   */
  readonly credential: string;
  readonly method: HttpMethod;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * Whether sending the request again after a 5xx, a timeout or a network error is safe (reads,
   * deletes). A 429 is retried either way: the provider refused the request without acting on it.
   */
  readonly idempotent: boolean;
  /** Statuses other than 2xx that the caller handles itself, e.g. `[404]` for a delete. */
  readonly allowStatuses?: readonly number[];
  /** Secret strings (keys, management credentials) to keep out of anything thrown. */
  readonly secrets: readonly string[];
}

/** A provider's answer. */
export interface ProviderResponse {
  readonly status: number;
  /** The parsed JSON body; `undefined` when the body is empty or not JSON. */
  readonly json: unknown;
  /** Attempts it took, 1 when the first one succeeded. */
  readonly attempts: number;
}

/** Sends one provider request with timeouts, bounded retries and safe errors. */
export type HttpClient = (request: ProviderRequest) => Promise<ProviderResponse>;

/** Why a provider request failed. */
export type ProviderFailure =
  | 'rejected'
  | 'rate-limited'
  | 'server-error'
  | 'timeout'
  | 'network'
  | 'client-error'
  | 'bad-response';

/**
 * A provider request failed. The message names the provider, the operation and, on 401 / 403,
 * which credential was rejected; it never contains a key, and a response body is quoted only
 * after known secrets and anything that looks like a key were removed.
 */
export class ProviderRequestError extends TargetError {
  readonly provider: string;
  readonly operation: string;
  readonly failure: ProviderFailure;
  /** The HTTP status of the last attempt, when there was a response. */
  readonly status?: number;
  readonly attempts: number;
  /**
   * The provider may have acted on the request although it failed (a 5xx, a timeout or a network
   * error after sending): a create may have created a key.
   */
  readonly mayHaveTakenEffect: boolean;
  constructor(
    fields: {
      provider: string;
      operation: string;
      failure: ProviderFailure;
      status?: number;
      attempts: number;
      mayHaveTakenEffect: boolean;
    },
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ProviderRequestError';
    this.provider = fields.provider;
    this.operation = fields.operation;
    this.failure = fields.failure;
    if (fields.status !== undefined) this.status = fields.status;
    this.attempts = fields.attempts;
    this.mayHaveTakenEffect = fields.mayHaveTakenEffect;
  }
}

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /**
   * The `fetch` to send requests with. Tests pass one bound to a local fake provider.
   * @default - the global `fetch` of Node 20
   */
  readonly fetch?: typeof fetch;
  /**
   * Time allowed for one attempt (connect, response and body), in milliseconds.
   * @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * Attempts per request, the first included.
   * @default 4
   */
  readonly maxAttempts?: number;
  /**
   * Total time a request may spend waiting between attempts (backoff and `Retry-After`), in
   * milliseconds. A `Retry-After` longer than what is left fails the request at once instead of
   * waiting past it.
   * @default 20000
   */
  readonly retryBudgetMs?: number;
  /**
   * First backoff delay after a 5xx, a timeout or a network error; it doubles per attempt, with
   * jitter, up to 5 s.
   * @default 250
   */
  readonly baseDelayMs?: number;
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
  /**
   * Wall clock in epoch milliseconds, to read an HTTP-date `Retry-After`.
   * @default - `Date.now`
   */
  readonly now?: () => number;
}

const MAX_BACKOFF_MS = 5000;
const RETRYABLE_SERVER_STATUSES = new Set([500, 502, 503, 504]);
const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const sleepWithTimer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Parses `Retry-After`: delay-seconds or an HTTP-date. Returns milliseconds to wait, or
 * `undefined` when absent or malformed.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/[A-Za-z]/.test(text)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Anything that looks like a key or token: a long run of key characters. */
const TOKEN_LIKE = /[A-Za-z0-9_+/=-]{20,}/g;
const MESSAGE_FIELDS = new Set(['message', 'error', 'error_description', 'detail', 'title', 'code', 'field']);

/** Error text fields of a JSON error body (`{"errors":[{"message":...}]}` and the like). */
function messagesOf(node: unknown, depth: number, out: string[]): void {
  if (depth > 4 || out.length >= 6 || typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (const item of node) messagesOf(item, depth + 1, out);
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (MESSAGE_FIELDS.has(key) && (typeof value === 'string' || typeof value === 'number')) {
      out.push(`${key}: ${value}`);
    } else {
      messagesOf(value, depth + 1, out);
    }
  }
}

/**
 * A short, safe excerpt of an error response body: the error fields of a JSON body (or the start
 * of a text body), with known secrets and anything token-like removed, at most 200 characters.
 */
export function describeErrorBody(text: string, secrets: readonly string[]): string {
  let excerpt = text;
  try {
    const fields: string[] = [];
    messagesOf(JSON.parse(text), 0, fields);
    if (fields.length > 0) excerpt = fields.join('; ');
  } catch {
    // Not JSON: quote the text itself.
  }
  const safe = redact(excerpt, secrets).replace(TOKEN_LIKE, REDACTED).replace(/\s+/g, ' ').trim();
  return safe.length > 200 ? `${safe.slice(0, 200)}...` : safe;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** What one attempt produced. */
type Attempt =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter: string | null; text: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'network'; readonly detail: string; readonly redirect: boolean };

function networkDetail(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  const message =
    cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${code}: ${message}`;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/**
 * Creates the HTTP client every provider uses: the global `fetch` (or an injected one), a timeout
 * per attempt, no redirects (a redirect could carry a credential to another host), JSON parsing,
 * and bounded retries:
 *
 * - 429: retried for any request, after `Retry-After` (seconds or HTTP-date) or a backoff, as long
 *   as the retry budget allows; a longer `Retry-After` fails at once, saying so.
 * - 500 / 502 / 503 / 504, timeouts and network errors: retried with exponential backoff and
 *   jitter, for idempotent requests only. A create is not idempotent: retrying it blindly could
 *   make two keys (the strategy cleans up and retries instead, where the provider can list keys).
 * - 401 / 403: never retried; the error names the provider, the operation and the credential.
 * - other statuses: a `ProviderRequestError` with a redacted excerpt of the body.
 *
 * @example
 * ```ts
 * const http = createHttpClient({ timeoutMs: 5000 });
 * const { json } = await http({
 *   provider: 'SendGrid', operation: 'list keys', credential: 'management credential',
 *   method: 'GET', url: 'https://api.sendgrid.com/v3/api_keys?limit=100',
 *   headers: { authorization: `Bearer ${managementKey}` }, idempotent: true, secrets: [managementKey],
 * });
 * ```
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 4;
  const budgetMs = options.retryBudgetMs ?? 20_000;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const sleep = options.sleep ?? sleepWithTimer;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;

  const attemptOnce = async (request: ProviderRequest): Promise<Attempt> => {
    try {
      const response = await fetchImpl(request.url, {
        method: request.method,
        headers: { accept: 'application/json', 'user-agent': 'handover-rotation', ...request.headers },
        ...(request.body === undefined ? {} : { body: request.body }),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      return {
        kind: 'response',
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        text,
      };
    } catch (error) {
      if (isTimeout(error)) return { kind: 'timeout' };
      const detail = networkDetail(error);
      return { kind: 'network', detail, redirect: /redirect/i.test(detail) };
    }
  };

  const backoff = (attempt: number) => {
    const ceiling = Math.min(MAX_BACKOFF_MS, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };

  return async (request) => {
    const label = `${request.provider} ${request.operation}`;
    const fail = (
      fields: { failure: ProviderFailure; status?: number; mayHaveTakenEffect: boolean },
      attempts: number,
      message: string,
    ) => {
      const safe = redact(message, request.secrets);
      return new ProviderRequestError(
        { provider: request.provider, operation: request.operation, attempts, ...fields },
        safe,
      );
    };
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const result = await attemptOnce(request);
      const tries = `${attempt} attempt${attempt === 1 ? '' : 's'}`;
      let delay: number | undefined;
      let failure: ProviderRequestError;

      if (result.kind === 'response') {
        const { status } = result;
        if ((status >= 200 && status < 300) || request.allowStatuses?.includes(status)) {
          return { status, json: parseJson(result.text), attempts: attempt };
        }
        const statusText = `HTTP ${status}${STATUS_TEXT[status] === undefined ? '' : ` ${STATUS_TEXT[status]}`}`;
        const detail = describeErrorBody(result.text, request.secrets);
        const said = detail === '' ? '' : ` (${request.provider} said: ${detail})`;
        if (status === 401 || status === 403) {
          const meaning =
            status === 401
              ? 'it is invalid, revoked or deleted'
              : 'it is valid but not allowed to do this: check its scopes or permissions';
          throw fail(
            { failure: 'rejected', status, mayHaveTakenEffect: false },
            attempt,
            `${label}: ${statusText}: ${request.provider} rejected the ${request.credential} (${meaning})${said}`,
          );
        }
        if (status === 429) {
          const retryAfter = parseRetryAfter(result.retryAfter, now());
          delay = retryAfter ?? backoff(attempt);
          failure = fail(
            { failure: 'rate-limited', status, mayHaveTakenEffect: false },
            attempt,
            retryAfter !== undefined && waited + retryAfter > budgetMs
              ? `${label}: rate limited (${statusText}) after ${tries}: Retry-After ${Math.ceil(retryAfter / 1000)} s exceeds the remaining retry budget of ${Math.floor((budgetMs - waited) / 1000)} s`
              : `${label}: still rate limited (${statusText}) after ${tries}${said}`,
          );
        } else if (RETRYABLE_SERVER_STATUSES.has(status)) {
          const retryAfter = parseRetryAfter(result.retryAfter, now());
          delay = request.idempotent ? (retryAfter ?? backoff(attempt)) : undefined;
          failure = fail(
            { failure: 'server-error', status, mayHaveTakenEffect: true },
            attempt,
            request.idempotent
              ? `${label}: ${statusText} after ${tries}${said}`
              : `${label}: ${statusText}${said}; not retried here: the request is not idempotent and ${request.provider} may have acted on it`,
          );
        } else {
          throw fail(
            { failure: 'client-error', status, mayHaveTakenEffect: false },
            attempt,
            `${label}: ${statusText}${said}`,
          );
        }
      } else if (result.kind === 'timeout') {
        delay = request.idempotent ? backoff(attempt) : undefined;
        failure = fail(
          { failure: 'timeout', mayHaveTakenEffect: true },
          attempt,
          `${label}: no complete response within ${timeoutMs} ms (${tries})${request.idempotent ? '' : `; not retried here: the request is not idempotent and ${request.provider} may have acted on it`}`,
        );
      } else {
        delay = request.idempotent && !result.redirect ? backoff(attempt) : undefined;
        failure = fail(
          { failure: 'network', mayHaveTakenEffect: !result.redirect },
          attempt,
          result.redirect
            ? `${label}: the provider answered with a redirect, which is never followed (credentials must not travel to another address)`
            : `${label}: request failed (${result.detail}) after ${tries}`,
        );
      }

      if (delay === undefined || attempt >= maxAttempts || waited + delay > budgetMs) throw failure;
      waited += delay;
      await sleep(delay);
    }
  };
}
