import { createHash, randomUUID } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ConsumerError } from '../../shared/errors';
import { signWebhook, standardWebhooksSecret } from '../../webhooks/signature';
import type { ConsumerResult, ConsumerUpdate, RolloutMode, WebhookConsumer } from '../contract';
import type { ConsumerAdapter } from './adapter';
import type { SecretsManagerPort } from './ssm-parameter';
import {
  type AdapterObservability,
  type ConsumerClock,
  consumerFailure,
  label,
  observe,
  positive,
  systemClock,
} from './support';

/** The header that makes deliveries idempotent: `<rolloutId>:<consumer>:<phase>`. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/**
 * The Standard Webhooks message id (`webhook-id`) of one phase's delivery: the same for every
 * attempt and every re-run of that phase (derived from its idempotency key), as the specification
 * asks, so receivers can deduplicate on it.
 */
export function webhookMessageId(idempotencyKey: string): string {
  return `msg_${createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 32)}`;
}

/** The payload's `type`. */
export const WEBHOOK_EVENT_TYPE = 'handover.credential.rotated';

import { DEFAULT_WEBHOOK_TIMEOUT_MS } from './webhook.contract';

export { DEFAULT_WEBHOOK_TIMEOUT_MS } from './webhook.contract';

/** `update`: move to the new version. `verify`: confirm the new version works for you. */
export type WebhookPhase = 'update' | 'verify';

/**
 * The JSON body of every webhook. It never holds the secret value: the receiver reads `versionId`
 * of `secretArn` from Secrets Manager with its own permissions.
 */
export interface WebhookPayload {
  readonly type: typeof WEBHOOK_EVENT_TYPE;
  readonly phase: WebhookPhase;
  /**
   * Unique per delivery attempt, so two attempts never carry the same signature (a receiver
   * rejecting replays would otherwise reject a legitimate retry sent within the same second).
   * Deduplicate on the `Idempotency-Key` header, not on this.
   */
  readonly deliveryId: string;
  /** 1 for the first delivery of this phase, 2 for its first retry, ... */
  readonly attempt: number;
  readonly secretArn: string;
  readonly versionId: string;
  readonly consumer: string;
  readonly rolloutId: string;
  readonly mode: RolloutMode;
}

/**
 * What a receiver may answer (optional JSON body of its 2xx response). `outcome: 'already-current'`
 * reports a no-op update; on `verify`, a `versionId` other than the rollout's fails the consumer.
 */
export interface WebhookReply {
  readonly outcome?: 'updated' | 'already-current';
  readonly versionId?: string;
}

/** Reads the HMAC signing key from the secret the consumer names. */
export type SigningKeyReader = (signingSecretArn: string) => Promise<string>;

/**
 * The default signing key reader: the AWSCURRENT SecretString of the secret; a JSON object with a
 * string `key` (a Handover `shared-key` secret) gives that key, anything else is used as is.
 *
 * @example
 * ```ts
 * const readSigningKey = createSigningKeyReader(new SecretsManagerClient({}));
 * const key = await readSigningKey('arn:aws:secretsmanager:...:secret:webhook-signing');
 * ```
 */
export function createSigningKeyReader(secretsManager: SecretsManagerPort): SigningKeyReader {
  return async (signingSecretArn) => {
    const output = await secretsManager.send(new GetSecretValueCommand({ SecretId: signingSecretArn }));
    const value = output.SecretString;
    if (value === undefined) throw new Error(`signing secret ${signingSecretArn} has no SecretString`);
    if (value.trimStart().startsWith('{')) {
      try {
        const parsed = JSON.parse(value) as { key?: unknown };
        if (typeof parsed.key === 'string') return parsed.key;
      } catch {
        // Not JSON after all: the whole string is the key.
      }
    }
    return value;
  };
}

/** Retries of the webhook adapter. */
export interface WebhookAdapterOptions {
  /** Deliveries per phase (the first one included) on 5xx, 408, 425, 429, timeouts and network errors. @default 3 */
  readonly attempts?: number;
  /** The backoff after the first failed attempt, doubled after each. @default 1000 */
  readonly retryBaseMs?: number;
  /** The longest backoff (also caps a `Retry-After`). @default 30000 */
  readonly maxRetryDelayMs?: number;
}

/** What the webhook adapter needs. */
export interface WebhookAdapterDeps extends AdapterObservability {
  readonly readSigningKey: SigningKeyReader;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default - the system clock */
  readonly clock?: ConsumerClock;
  /** @default - see {@link WebhookAdapterOptions} */
  readonly options?: WebhookAdapterOptions;
}

const RETRYABLE = new Set([408, 425, 429]);

/** Drops a response body we do not read (frees the connection); never waits on it. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => undefined);
}
const MAX_REPLY_BYTES = 64 * 1024;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Where a webhook goes, for messages: the host only (paths and queries can hold tokens). */
function endpointOf(consumer: WebhookConsumer): URL {
  let url: URL;
  try {
    url = new URL(consumer.url);
  } catch {
    throw new ConsumerError(consumer.name, `${label(consumer)}: url is not a valid URL`);
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  if (!secure) {
    throw new ConsumerError(
      consumer.name,
      `${label(consumer)}: url must use https (http is allowed for localhost only), got ${url.protocol}//${url.host}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConsumerError(consumer.name, `${label(consumer)}: url must not embed credentials`);
  }
  return url;
}

async function readReply(response: Response): Promise<WebhookReply | undefined> {
  const type = response.headers.get('content-type') ?? '';
  if (!type.toLowerCase().includes('json') || response.body === null) {
    discard(response);
    return undefined;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_REPLY_BYTES) {
      reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  try {
    const reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return undefined;
    const { outcome, versionId } = reply as Record<string, unknown>;
    return {
      ...(outcome === 'updated' || outcome === 'already-current' ? { outcome } : {}),
      // The receiver's text reaches an error message: keep it to what a version id looks like.
      ...(typeof versionId === 'string'
        ? { versionId: /^[\w-]{1,64}$/.test(versionId) ? versionId : '(not a version id)' }
        : {}),
    };
  } catch {
    return undefined;
  }
}

function retryAfterMs(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

/** A network error's code (`ECONNREFUSED`), never its message (it can name the full URL). */
function networkProblem(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no response within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : 'unknown';
  return `network error (${code})`;
}

/**
 * The adapter for webhook consumers: POSTs a JSON payload (never the secret value) signed per the
 * Standard Webhooks specification with the key read from `signingSecretArn` (headers `webhook-id`,
 * `webhook-timestamp`, `webhook-signature: v1,<base64>`, see `lambdas/webhooks/signature.ts`; each
 * attempt has its own `deliveryId` and is signed afresh, so no two attempts share a signature and
 * replay protection never rejects a retry, while `webhook-id` stays the same for the phase) with
 * `Idempotency-Key: <rolloutId>:<consumer>:<phase>`. `update` sends `phase: "update"`, `verify` sends `phase:
 * "verify"`: the receiver answers 2xx once it has moved to (update) and can use (verify) the new
 * version. Each attempt must answer within `timeoutMs`; 5xx, 408, 425, 429 (honouring a
 * `Retry-After` up to the backoff cap), timeouts and network errors are retried with exponential
 * backoff, a bounded number of times; any other status (3xx included: redirects are not followed)
 * is a `ConsumerError` with the status. Messages name the host only: paths and query strings can
 * hold tokens. Only `https` URLs are allowed (`http` for localhost only).
 *
 * @example
 * ```ts
 * const adapter = createWebhookAdapter({ readSigningKey: createSigningKeyReader(new SecretsManagerClient({})) });
 * await adapter.update({ kind: 'webhook', name: 'partner', url: 'https://partner.example/hooks/handover', signingSecretArn }, update);
 * ```
 */
export function createWebhookAdapter(deps: WebhookAdapterDeps): ConsumerAdapter<WebhookConsumer> {
  const clock = deps.clock ?? systemClock;
  const send = deps.fetch ?? globalThis.fetch;
  const attempts = positive('attempts', deps.options?.attempts ?? 3);
  const retryBaseMs = positive('retryBaseMs', deps.options?.retryBaseMs ?? 1000, 0);
  const maxRetryDelayMs = positive('maxRetryDelayMs', deps.options?.maxRetryDelayMs ?? 30_000, 0);

  const signingKey = async (consumer: WebhookConsumer): Promise<string> => {
    let key: string;
    try {
      key = await deps.readSigningKey(consumer.signingSecretArn);
    } catch (error) {
      throw consumerFailure(consumer, `cannot read the signing key ${consumer.signingSecretArn}`, error);
    }
    try {
      standardWebhooksSecret(key);
    } catch (error) {
      // The message says what is wrong with the key (length, encoding), never the key.
      throw new ConsumerError(
        consumer.name,
        `${label(consumer)}: the signing key in ${consumer.signingSecretArn} is not usable: ${(error as Error).message}`,
      );
    }
    return key;
  };

  const deliver = async (
    consumer: WebhookConsumer,
    update: ConsumerUpdate,
    phase: WebhookPhase,
  ): Promise<{ status: number; attempt: number; reply: WebhookReply | undefined; host: string }> => {
    const url = endpointOf(consumer);
    const key = await signingKey(consumer);
    const timeoutMs = consumer.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    const idempotencyKey = `${update.rolloutId}:${consumer.name}:${phase}`;
    const id = webhookMessageId(idempotencyKey);
    let problem = 'not sent';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      const payload: WebhookPayload = {
        type: WEBHOOK_EVENT_TYPE,
        phase,
        deliveryId: randomUUID(),
        attempt,
        secretArn: update.secretArn,
        versionId: update.versionId,
        consumer: consumer.name,
        rolloutId: update.rolloutId,
        mode: update.mode,
      };
      const body = JSON.stringify(payload);
      let delayMs = Math.min(retryBaseMs * 2 ** (attempt - 1), maxRetryDelayMs);
      try {
        const response = await send(url, {
          method: 'POST',
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'handover-webhook/1',
            // Signed afresh for every attempt: a new timestamp, the same message id.
            ...signWebhook({ id, timestamp: Math.floor(clock.now() / 1000), body, keys: key }),
            [IDEMPOTENCY_HEADER]: idempotencyKey,
          },
        });
        if (response.status >= 200 && response.status < 300) {
          const reply = phase === 'verify' || response.status !== 204 ? await readReply(response) : undefined;
          return { status: response.status, attempt, reply, host: url.host };
        }
        discard(response);
        problem = `HTTP ${response.status}`;
        if (response.status < 500 && !RETRYABLE.has(response.status)) {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: ${url.host} answered HTTP ${response.status} to the ${phase} webhook; not retried`,
          );
        }
        const after = retryAfterMs(response);
        if (after !== undefined) delayMs = Math.min(Math.max(after, delayMs), maxRetryDelayMs);
      } catch (error) {
        if (error instanceof ConsumerError) throw error;
        problem = networkProblem(error, timeoutMs);
      }
      if (attempt < attempts) await clock.sleep(delayMs);
    }
    throw new ConsumerError(
      consumer.name,
      `${label(consumer)}: no 2xx from ${url.host} for the ${phase} webhook after ${attempts} attempt(s); last: ${problem}`,
    );
  };

  const result = (
    consumer: WebhookConsumer,
    outcome: ConsumerResult['outcome'],
    detail: string,
  ): ConsumerResult => ({ consumer: consumer.name, kind: 'webhook', outcome, detail });

  return {
    kind: 'webhook',

    update: (consumer, update) =>
      observe(deps.logger, clock, 'update', consumer, update, async () => {
        const delivery = await deliver(consumer, update, 'update');
        const outcome = delivery.reply?.outcome === 'already-current' ? 'already-current' : 'updated';
        return result(
          consumer,
          outcome,
          `${delivery.host} answered HTTP ${delivery.status} to the update webhook (attempt ${delivery.attempt})`,
        );
      }),

    verify: (consumer, update) =>
      observe(deps.logger, clock, 'verify', consumer, update, async () => {
        const delivery = await deliver(consumer, update, 'verify');
        const reported = delivery.reply?.versionId;
        if (reported !== undefined && reported !== update.versionId) {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: ${delivery.host} reports it uses version ${reported}, expected ${update.versionId}`,
          );
        }
        return result(
          consumer,
          'verified',
          `${delivery.host} confirmed version ${update.versionId} (HTTP ${delivery.status}, attempt ${delivery.attempt})`,
        );
      }),
  };
}
