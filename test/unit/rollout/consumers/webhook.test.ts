import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSigningKeyReader,
  createWebhookAdapter,
  type WebhookAdapterOptions,
  type WebhookPayload,
  webhookMessageId,
} from '../../../../lambdas/rollout/consumers';
import type { WebhookConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { verifyWebhookSignature } from '../../../../lambdas/webhooks/signature';
import { captureProcessOutput, recordSecretMaterial } from '../../../support/log-scan';
import {
  anUpdate,
  type FakeClock,
  fakeClock,
  NEW_VERSION,
  OLD_VERSION,
  recordingLogger,
  rejectionOf,
} from './helpers';

captureProcessOutput();

const SIGNING_KEY = `whsec_${Buffer.from('webhook-unit-signing-key-0123456789').toString('base64')}`;
const URL_TOKEN = 'T0K3N-in-the-path-abcdef';
recordSecretMaterial(SIGNING_KEY, URL_TOKEN);

const consumer: WebhookConsumer = {
  kind: 'webhook',
  name: 'partner',
  url: `https://hooks.partner.example/handover/${URL_TOKEN}?tenant=7`,
  signingSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-signing-AbCdEf',
  timeoutMs: 2000,
};

interface SentRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly redirect: RequestInit['redirect'];
  readonly hasSignal: boolean;
}

/** A response is made per request (a Response body can be read once). */
type Answer = Error | (() => Response);

/** A scripted fetch: answers in order (the last one repeats) and records every request. */
function scriptedFetch(...answers: Answer[]) {
  const sent: SentRequest[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push({
      url: String(input),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: String(init?.body),
      redirect: init?.redirect,
      hasSignal: init?.signal !== undefined,
    });
    const answer = answers[Math.min(sent.length - 1, answers.length - 1)];
    if (answer === undefined) throw new Error('no scripted answer');
    if (answer instanceof Error) throw answer;
    return answer();
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

const json =
  (body: unknown, status = 200) =>
  () =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const status =
  (code: number, headers: Record<string, string> = {}) =>
  () =>
    new Response(code === 204 ? null : 'body', { status: code, headers });
const networkError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });
const timeoutError = () => new DOMException('The operation was aborted due to timeout', 'TimeoutError');

let clock: FakeClock;

function adapter(
  fetch: typeof globalThis.fetch,
  options: WebhookAdapterOptions = {},
  logger = recordingLogger(),
) {
  return createWebhookAdapter({
    readSigningKey: async () => SIGNING_KEY,
    fetch,
    clock,
    logger,
    options: { attempts: 3, retryBaseMs: 1000, maxRetryDelayMs: 8000, ...options },
  });
}

beforeEach(() => {
  clock = fakeClock(Date.parse('2026-11-21T10:00:00Z'));
});

describe('Function: createWebhookAdapter', () => {
  describe('update', () => {
    it('POSTs a signed JSON payload without the secret value and returns updated on 2xx', async () => {
      const { fetch, sent } = scriptedFetch(status(204));

      const result = await adapter(fetch).update(consumer, anUpdate());

      expect(result).toEqual({
        consumer: 'partner',
        kind: 'webhook',
        outcome: 'updated',
        detail: 'hooks.partner.example answered HTTP 204 to the update webhook (attempt 1)',
      });
      const [request] = sent;
      expect(request?.url).toBe(consumer.url);
      expect(JSON.parse(request?.body ?? '{}')).toEqual({
        type: 'handover.credential.rotated',
        phase: 'update',
        deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        attempt: 1,
        secretArn: anUpdate().secretArn,
        versionId: NEW_VERSION,
        consumer: 'partner',
        rolloutId: 'rollout-2026-11-21-abc',
        mode: 'scheduled',
      } satisfies WebhookPayload);
      expect(request?.headers).toMatchObject({
        'content-type': 'application/json',
        'idempotency-key': 'rollout-2026-11-21-abc:partner:update',
      });
      expect(request?.redirect).toBe('manual');
      expect(request?.hasSignal).toBe(true);
    });

    it('signs the exact body at the current time with the key from the signing secret', async () => {
      const { fetch, sent } = scriptedFetch(status(200));

      await adapter(fetch).update(consumer, anUpdate());

      const request = sent[0];
      const verification = verifyWebhookSignature({
        headers: request?.headers ?? {},
        body: request?.body ?? '',
        keys: [SIGNING_KEY],
        nowSeconds: Math.floor(clock.now() / 1000),
      });
      expect(verification).toEqual({
        valid: true,
        id: webhookMessageId('rollout-2026-11-21-abc:partner:update'),
        timestamp: Math.floor(clock.now() / 1000),
      });
    });

    it('signs per Standard Webhooks: webhook-id, webhook-timestamp and a v1 signature the standardwebhooks library verifies', async () => {
      const { fetch, sent } = scriptedFetch(status(200));
      const now = Date.now();

      // The library checks the timestamp against the real clock: sign with it.
      await createWebhookAdapter({
        readSigningKey: async () => SIGNING_KEY,
        fetch,
        clock: { now: () => now, sleep: async () => undefined },
        logger: recordingLogger(),
      }).update(consumer, anUpdate());

      const headers = sent[0]?.headers ?? {};
      expect(headers).toMatchObject({
        'webhook-id': expect.stringMatching(/^msg_[A-Za-z0-9_-]{32}$/),
        'webhook-timestamp': String(Math.floor(now / 1000)),
        'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
      });
      expect(headers).not.toHaveProperty('handover-signature');
      expect(new Webhook(SIGNING_KEY).verify(sent[0]?.body ?? '', headers)).toMatchObject({
        phase: 'update',
        versionId: NEW_VERSION,
      });
    });

    it('reports already-current when the receiver says so', async () => {
      const { fetch } = scriptedFetch(json({ outcome: 'already-current' }));

      const result = await adapter(fetch).update(consumer, anUpdate());

      expect(result.outcome).toBe('already-current');
    });

    it.each([500, 502, 503, 408, 429])('retries HTTP %i with exponential backoff', async (code) => {
      const { fetch, sent } = scriptedFetch(status(code), status(code), status(200));

      const result = await adapter(fetch).update(consumer, anUpdate());

      expect(result.detail).toContain('(attempt 3)');
      expect(sent).toHaveLength(3);
      expect(clock.sleeps).toEqual([1000, 2000]);
    });

    it('gives every attempt its own delivery id and signature, even within the same second, and keeps the idempotency key', async () => {
      const { fetch, sent } = scriptedFetch(status(503), status(200));

      await adapter(fetch, { retryBaseMs: 0 }).update(consumer, anUpdate());

      const [first, second] = sent;
      const bodies = sent.map((request) => JSON.parse(request.body) as WebhookPayload);
      expect(bodies.map((body) => body.attempt)).toEqual([1, 2]);
      expect(bodies[0]?.deliveryId).not.toBe(bodies[1]?.deliveryId);
      expect(first?.headers['webhook-signature']).not.toBe(second?.headers['webhook-signature']);
      expect(first?.headers['webhook-id']).toBe(second?.headers['webhook-id']);
      expect(first?.headers['webhook-timestamp']).toBe(second?.headers['webhook-timestamp']);
      expect(first?.headers['idempotency-key']).toBe(second?.headers['idempotency-key']);
    });

    it('honours Retry-After up to the backoff cap', async () => {
      const { fetch } = scriptedFetch(
        status(429, { 'retry-after': '5' }),
        status(503, { 'retry-after': '3600' }),
        status(200),
      );

      await adapter(fetch).update(consumer, anUpdate());

      expect(clock.sleeps).toEqual([5000, 8000]);
    });

    it('retries timeouts and network errors', async () => {
      const { fetch, sent } = scriptedFetch(timeoutError(), networkError('ECONNREFUSED'), status(200));

      const result = await adapter(fetch).update(consumer, anUpdate());

      expect(result.outcome).toBe('updated');
      expect(sent).toHaveLength(3);
    });

    it('fails after the last attempt naming the last problem', async () => {
      const { fetch, sent } = scriptedFetch(status(503), timeoutError());

      const error = await rejectionOf(adapter(fetch).update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toBe(
        'webhook consumer "partner": no 2xx from hooks.partner.example for the update webhook after 3 attempt(s); last: no response within 2000 ms',
      );
      expect(sent).toHaveLength(3);
    });

    it('names the network error code', async () => {
      const { fetch } = scriptedFetch(networkError('ENOTFOUND'));

      const error = await rejectionOf(adapter(fetch, { attempts: 1 }).update(consumer, anUpdate()));

      expect(error.message).toContain('last: network error (ENOTFOUND)');
    });

    it.each([400, 401, 403, 404, 410, 301, 302])('fails at once on HTTP %i with the status', async (code) => {
      const { fetch, sent } = scriptedFetch(
        status(code, code < 400 ? { location: 'https://evil.example/' } : {}),
      );

      const error = await rejectionOf(adapter(fetch).update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toBe(
        `webhook consumer "partner": hooks.partner.example answered HTTP ${code} to the update webhook; not retried`,
      );
      expect(sent).toHaveLength(1);
    });

    it('never puts the URL path or query (which can hold tokens) in a message, a detail or a log', async () => {
      const logger = recordingLogger();
      const ok = await adapter(scriptedFetch(status(200)).fetch, {}, logger).update(consumer, anUpdate());
      const failed = await rejectionOf(
        adapter(scriptedFetch(status(500)).fetch, {}, logger).update(consumer, anUpdate()),
      );

      expect(ok.detail).not.toContain(URL_TOKEN);
      expect(failed.message).not.toContain(URL_TOKEN);
      expect(logger.text()).not.toContain(URL_TOKEN);
      expect(logger.text()).not.toContain(SIGNING_KEY);
    });

    it.each([
      ['plain http to a public host', 'http://hooks.partner.example/x', 'must use https'],
      ['credentials in the URL', 'https://user:pass@hooks.partner.example/x', 'must not embed credentials'],
      ['not a URL', 'hooks.partner.example/x', 'not a valid URL'],
    ])('refuses %s without sending', async (_case, url, message) => {
      const { fetch, sent } = scriptedFetch(status(200));

      const error = await rejectionOf(adapter(fetch).update({ ...consumer, url }, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain(message);
      expect(error.message).not.toContain('pass');
      expect(sent).toHaveLength(0);
    });

    it('allows plain http to localhost', async () => {
      const { fetch } = scriptedFetch(status(200));

      const result = await adapter(fetch).update(
        { ...consumer, url: 'http://127.0.0.1:8080/hook' },
        anUpdate(),
      );

      expect(result.outcome).toBe('updated');
    });

    it('fails without sending when the signing key cannot be read', async () => {
      const { fetch, sent } = scriptedFetch(status(200));
      const failing = createWebhookAdapter({
        readSigningKey: async () => {
          throw Object.assign(new Error('User is not authorized to perform secretsmanager:GetSecretValue'), {
            name: 'AccessDeniedException',
          });
        },
        fetch,
        clock,
      });

      const error = await rejectionOf(failing.update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('cannot read the signing key');
      expect(error.message).toContain('AccessDeniedException');
      expect(sent).toHaveLength(0);
    });

    it.each([
      ['a raw key shorter than 32 characters', 'short', 'must be at least 32 characters, got 5'],
      [
        'a whsec_ secret of fewer than 24 bytes',
        `whsec_${Buffer.from('sixteen-bytes-ok').toString('base64')}`,
        'at least 24 bytes, got 16',
      ],
      ['a whsec_ secret that is not base64', 'whsec_this-is-not-base64-0123456789abcdef', 'standard base64'],
    ])('refuses %s, sending nothing', async (_label, key, message) => {
      const { fetch, sent } = scriptedFetch(status(200));
      const weak = createWebhookAdapter({ readSigningKey: async () => key, fetch, clock });

      const error = await rejectionOf(weak.update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('is not usable');
      expect(error.message).toContain(message);
      expect(error.message).not.toContain(key);
      expect(sent).toHaveLength(0);
    });
  });

  describe('verify', () => {
    it('POSTs phase verify with its own idempotency key and returns verified on 2xx', async () => {
      const { fetch, sent } = scriptedFetch(status(204));

      const result = await adapter(fetch).verify(consumer, anUpdate());

      expect(result).toMatchObject({ outcome: 'verified', kind: 'webhook' });
      expect(JSON.parse(sent[0]?.body ?? '{}')).toMatchObject({ phase: 'verify', versionId: NEW_VERSION });
      expect(sent[0]?.headers['idempotency-key']).toBe('rollout-2026-11-21-abc:partner:verify');
    });

    it('accepts a reply confirming the version', async () => {
      const { fetch } = scriptedFetch(json({ versionId: NEW_VERSION }));

      const result = await adapter(fetch).verify(consumer, anUpdate());

      expect(result.outcome).toBe('verified');
    });

    it('fails when the receiver reports another version', async () => {
      const { fetch } = scriptedFetch(json({ versionId: OLD_VERSION }));

      const error = await rejectionOf(adapter(fetch).verify(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain(`reports it uses version ${OLD_VERSION}, expected ${NEW_VERSION}`);
    });

    it('does not copy arbitrary receiver text into the message', async () => {
      const { fetch } = scriptedFetch(json({ versionId: 'password=hunter2 <script>' }));

      const error = await rejectionOf(adapter(fetch).verify(consumer, anUpdate()));

      expect(error.message).toContain('(not a version id)');
      expect(error.message).not.toContain('hunter2');
    });

    it('fails on a 4xx with the status', async () => {
      const { fetch } = scriptedFetch(status(409));

      const error = await rejectionOf(adapter(fetch).verify(consumer, anUpdate()));

      expect(error.message).toContain('answered HTTP 409 to the verify webhook');
    });
  });

  describe('options', () => {
    it('rejects zero attempts', () => {
      expect(() => adapter(scriptedFetch().fetch, { attempts: 0 })).toThrow('attempts must be a number >= 1');
    });
  });
});

describe('Function: createSigningKeyReader', () => {
  const secrets = mockClient(SecretsManagerClient);
  const reader = createSigningKeyReader(new SecretsManagerClient({ region: 'us-east-1' }));

  afterEach(() => {
    secrets.reset();
  });

  it('reads the AWSCURRENT string of the secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_KEY });

    await expect(reader(consumer.signingSecretArn)).resolves.toBe(SIGNING_KEY);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: consumer.signingSecretArn,
    });
  });

  it('reads the key field of a shared-key secret', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ key: SIGNING_KEY, keyId: 'k1' }) });

    await expect(reader(consumer.signingSecretArn)).resolves.toBe(SIGNING_KEY);
  });

  it('fails on a binary secret', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });

    await expect(reader(consumer.signingSecretArn)).rejects.toThrow('has no SecretString');
  });
});
