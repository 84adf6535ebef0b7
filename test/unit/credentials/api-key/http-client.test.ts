import { describe, expect, it } from 'vitest';
import {
  createHttpClient,
  describeErrorBody,
  type HttpClientOptions,
  type ProviderRequest,
  ProviderRequestError,
  parseRetryAfter,
} from '../../../../lambdas/credentials/api-key/http-client';
import { TargetError } from '../../../../lambdas/shared/errors';
import { recordingSleep } from './fakes';

const KEY = 'SG.managementmanagement.secretsecretsecretsecretsecretsecretsecretsec';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'timeout' | 'refused';

/** A scripted `fetch`: answers in order (the last one repeats) and records every call. */
function scriptedFetch(...answers: Answer[]) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    calls.push({ url: String(input), init });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)];
    if (answer === 'timeout') {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
      });
    }
    if (answer === 'refused' || answer === undefined) {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      });
    }
    const text =
      answer.body === undefined
        ? null
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    return new Response(text, { status: answer.status, headers: answer.headers ?? {} });
  };
  return { fetch, calls };
}

const request = (overrides: Partial<ProviderRequest> = {}): ProviderRequest => ({
  provider: 'SendGrid',
  operation: 'list keys',
  credential:
    'management credential (secret arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf)',
  method: 'GET',
  url: 'https://sendgrid.fake/v3/api_keys',
  headers: { authorization: `Bearer ${KEY}` },
  idempotent: true,
  secrets: [KEY],
  ...overrides,
});

function client(fetch: typeof globalThis.fetch, options: HttpClientOptions = {}) {
  const { waits, sleep } = recordingSleep();
  const http = createHttpClient({
    fetch,
    sleep,
    random: () => 0.5,
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    ...options,
  });
  return { http, waits };
}

async function failure(promise: Promise<unknown>): Promise<ProviderRequestError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as Error).message).not.toContain(KEY);
    return error as ProviderRequestError;
  }
  throw new Error('expected the request to fail');
}

describe('createHttpClient', () => {
  it('returns the parsed JSON of a 2xx answer, sending no redirects, JSON accept and a timeout signal', async () => {
    const { fetch, calls } = scriptedFetch({ status: 200, body: { result: [] } });
    const { http } = client(fetch);

    const response = await http(request());

    expect(response).toEqual({ status: 200, json: { result: [] }, attempts: 1 });
    expect(calls[0]?.init).toMatchObject({ method: 'GET', redirect: 'error' });
    expect(calls[0]?.init?.signal).toBeInstanceOf(AbortSignal);
    expect(calls[0]?.init?.headers).toMatchObject({
      accept: 'application/json',
      authorization: `Bearer ${KEY}`,
    });
  });

  it('returns an allowed non-2xx status to the caller instead of failing', async () => {
    const { http } = client(scriptedFetch({ status: 404, body: { errors: [] } }).fetch);
    expect((await http(request({ allowStatuses: [404] }))).status).toBe(404);
  });

  describe('429', () => {
    it('waits Retry-After seconds, then succeeds', async () => {
      const { fetch, calls } = scriptedFetch(
        { status: 429, headers: { 'retry-after': '2' } },
        { status: 200, body: {} },
      );
      const { http, waits } = client(fetch);

      const response = await http(request());

      expect(response.attempts).toBe(2);
      expect(waits).toEqual([2000]);
      expect(calls).toHaveLength(2);
    });

    it('waits until an HTTP-date Retry-After', async () => {
      const { fetch } = scriptedFetch(
        { status: 429, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' } },
        { status: 200, body: {} },
      );
      const { http, waits } = client(fetch);

      await http(request());

      expect(waits).toEqual([3000]);
    });

    it('backs off without Retry-After, and retries a non-idempotent request too (the provider did not act on it)', async () => {
      const { fetch, calls } = scriptedFetch(
        { status: 429 },
        { status: 429 },
        { status: 201, body: { id: 1 } },
      );
      const { http, waits } = client(fetch, { baseDelayMs: 100 });

      const response = await http(request({ method: 'POST', idempotent: false }));

      expect(response.status).toBe(201);
      expect(calls).toHaveLength(3);
      expect(waits).toEqual([75, 150]);
    });

    it('fails at once when Retry-After exceeds the remaining budget, saying so', async () => {
      const { fetch, calls } = scriptedFetch({ status: 429, headers: { 'retry-after': '120' } });
      const { http, waits } = client(fetch, { retryBudgetMs: 20_000 });

      const error = await failure(http(request()));

      expect(calls).toHaveLength(1);
      expect(waits).toEqual([]);
      expect(error.failure).toBe('rate-limited');
      expect(error.mayHaveTakenEffect).toBe(false);
      expect(error.message).toBe(
        'SendGrid list keys: rate limited (HTTP 429 Too Many Requests) after 1 attempt: Retry-After 120 s exceeds the remaining retry budget of 20 s',
      );
    });

    it('gives up after maxAttempts and never waits longer than the budget in total', async () => {
      const { fetch, calls } = scriptedFetch({ status: 429, headers: { 'retry-after': '3' } });
      const { http, waits } = client(fetch, { maxAttempts: 10, retryBudgetMs: 10_000 });

      const error = await failure(http(request()));

      expect(waits).toEqual([3000, 3000, 3000]);
      expect(calls).toHaveLength(4);
      expect(error.message).toContain('Retry-After 3 s exceeds the remaining retry budget of 1 s');
    });
  });

  describe('5xx', () => {
    it('retries an idempotent request with exponential backoff, then reports the last status', async () => {
      const { fetch, calls } = scriptedFetch({ status: 503, body: { errors: [{ message: 'try later' }] } });
      const { http, waits } = client(fetch, { baseDelayMs: 100, maxAttempts: 4 });

      const error = await failure(http(request()));

      expect(calls).toHaveLength(4);
      expect(waits).toEqual([75, 150, 300]);
      expect(error).toMatchObject({
        failure: 'server-error',
        status: 503,
        attempts: 4,
        mayHaveTakenEffect: true,
      });
      expect(error.message).toBe(
        'SendGrid list keys: HTTP 503 Service Unavailable after 4 attempts (SendGrid said: message: try later)',
      );
    });

    it('succeeds when the provider recovers', async () => {
      const { http } = client(
        scriptedFetch({ status: 500 }, { status: 502 }, { status: 200, body: { ok: 1 } }).fetch,
      );
      expect(await http(request())).toMatchObject({ status: 200, attempts: 3 });
    });

    it('does not retry a non-idempotent request: the provider may have acted on it', async () => {
      const { fetch, calls } = scriptedFetch({ status: 500 });
      const { http } = client(fetch);

      const error = await failure(
        http(request({ method: 'POST', operation: 'create key', idempotent: false })),
      );

      expect(calls).toHaveLength(1);
      expect(error.mayHaveTakenEffect).toBe(true);
      expect(error.message).toContain(
        'not retried here: the request is not idempotent and SendGrid may have acted on it',
      );
    });
  });

  describe('401 / 403', () => {
    it('names the provider, the operation and the rejected credential, and does not retry', async () => {
      const { fetch, calls } = scriptedFetch({
        status: 401,
        body: { errors: [{ field: null, message: 'authorization required' }] },
      });
      const { http } = client(fetch);

      const error = await failure(http(request()));

      expect(calls).toHaveLength(1);
      expect(error).toMatchObject({
        failure: 'rejected',
        status: 401,
        provider: 'SendGrid',
        operation: 'list keys',
      });
      expect(error.message).toBe(
        'SendGrid list keys: HTTP 401 Unauthorized: SendGrid rejected the management credential (secret arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf) (it is invalid, revoked or deleted) (SendGrid said: message: authorization required)',
      );
    });

    it('says a 403 credential is valid but lacks permission', async () => {
      const { http } = client(scriptedFetch({ status: 403 }).fetch);
      const error = await failure(http(request({ operation: 'verify new key', credential: 'new key abc' })));
      expect(error.status).toBe(403);
      expect(error.message).toBe(
        'SendGrid verify new key: HTTP 403 Forbidden: SendGrid rejected the new key abc (it is valid but not allowed to do this: check its scopes or permissions)',
      );
    });
  });

  it('quotes an error body only after removing the known secrets and anything that looks like a key', async () => {
    const echoed = {
      errors: [
        { message: `key ${KEY} is malformed`, field: 'apiKey' },
        { message: 'other abcdefghijklmnopqrstuvwxyz0123' },
      ],
    };
    const { http } = client(scriptedFetch({ status: 400, body: echoed }).fetch);

    const error = await failure(http(request()));

    expect(error.failure).toBe('client-error');
    expect(error.message).toContain('HTTP 400 Bad Request');
    expect(error.message).toContain('message: key [REDACTED] is malformed');
    expect(error.message).not.toContain('abcdefghijklmnopqrstuvwxyz0123');
  });

  it('retries a timeout for an idempotent request and reports it', async () => {
    const { fetch, calls } = scriptedFetch('timeout');
    const { http } = client(fetch, { timeoutMs: 20, maxAttempts: 2 });

    const error = await failure(http(request()));

    expect(calls).toHaveLength(2);
    expect(error).toMatchObject({ failure: 'timeout', mayHaveTakenEffect: true });
    expect(error.message).toBe('SendGrid list keys: no complete response within 20 ms (2 attempts)');
  });

  it('does not retry a timed-out create', async () => {
    const { fetch, calls } = scriptedFetch('timeout');
    const { http } = client(fetch, { timeoutMs: 20 });

    const error = await failure(
      http(request({ method: 'POST', operation: 'create key', idempotent: false })),
    );

    expect(calls).toHaveLength(1);
    expect(error.message).toContain('SendGrid may have acted on it');
  });

  it('retries a network error and reports its code', async () => {
    const { fetch, calls } = scriptedFetch('refused', { status: 200, body: {} });
    const { http } = client(fetch);
    expect((await http(request())).attempts).toBe(2);
    expect(calls).toHaveLength(2);

    const { http: down } = client(scriptedFetch('refused').fetch, { maxAttempts: 3 });
    const error = await failure(down(request()));
    expect(error.message).toBe(
      'SendGrid list keys: request failed (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9) after 3 attempts',
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['5', 5000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:10 GMT', 10_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
  ])('reads %j as %d ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([null, '', 'soon', '-1', '1.5'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('describeErrorBody', () => {
  it('keeps the error fields of a JSON body', () => {
    expect(describeErrorBody('{"code": 20003, "message": "Authenticate", "status": 401}', [])).toBe(
      'code: 20003; message: Authenticate',
    );
  });

  it('quotes a text body, cut to 200 characters', () => {
    expect(describeErrorBody('<html>Bad gateway</html>', [])).toBe('<html>Bad gateway</html>');
    expect(describeErrorBody('word '.repeat(100), [])).toHaveLength(203);
  });
});
