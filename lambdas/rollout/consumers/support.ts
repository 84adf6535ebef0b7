import { ConsumerError } from '../../shared/errors';
import type { StructuredLogger } from '../../shared/observability';
import { redact } from '../../shared/redaction';
import type { ConsumerConfig, ConsumerResult, ConsumerUpdate } from '../contract';

/** Time, injectable so tests drive polling and backoff without waiting. */
export interface ConsumerClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** The real clock: `Date.now` and a timer. */
export const systemClock: ConsumerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A consumer has not reached the expected state within the adapter's bounded wait (a Lambda update
 * still in progress, an ECS deployment still rolling out). Nothing failed: the same call can be
 * retried later, so the state machine retries this error (by its name) before giving up.
 */
export class ConsumerNotReadyError extends ConsumerError {
  constructor(consumer: string, message: string, options?: ErrorOptions) {
    super(consumer, message, options);
    this.name = 'ConsumerNotReadyError';
  }
}

/** What every adapter may log: one line per operation, never a secret. */
export interface AdapterObservability {
  /** @default - nothing is logged */
  readonly logger?: StructuredLogger;
}

/** `lambda consumer "billing-api"`: how messages name a consumer. */
export function label(consumer: ConsumerConfig): string {
  return `${consumer.kind} consumer "${consumer.name}"`;
}

/** The error's name (AWS SDK exception name) and message, secrets replaced, bounded in length. */
export function describeError(error: unknown, secrets: readonly string[] = []): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const text = redact(`${name}: ${message}`, secrets);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/** The AWS SDK exception name of an error (`ResourceConflictException`), or `undefined`. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/**
 * Wraps a failure in a `ConsumerError` naming the consumer; the cause is not kept (SDK errors can
 * echo request input), its name and redacted message are in the message instead.
 */
export function consumerFailure(
  consumer: ConsumerConfig,
  what: string,
  error: unknown,
  secrets: readonly string[] = [],
): ConsumerError {
  if (error instanceof ConsumerError) return error;
  return new ConsumerError(consumer.name, `${label(consumer)}: ${what}: ${describeError(error, secrets)}`);
}

/** Runs one adapter operation and logs its outcome (consumer, kind, outcome, detail, duration). */
export async function observe(
  logger: StructuredLogger | undefined,
  clock: ConsumerClock,
  operation: 'update' | 'verify',
  consumer: ConsumerConfig,
  update: ConsumerUpdate,
  run: () => Promise<ConsumerResult>,
): Promise<ConsumerResult> {
  const started = clock.now();
  const fields = {
    consumer: consumer.name,
    consumer_kind: consumer.kind,
    step: `consumer-${operation}`,
    secret_id: update.secretArn,
    rotation_id: update.rolloutId,
    version_id: update.versionId,
  };
  try {
    const result = await run();
    logger?.info(`consumer ${operation} ${result.outcome}`, {
      ...fields,
      outcome: result.outcome,
      detail: result.detail,
      duration_ms: clock.now() - started,
    });
    return result;
  } catch (error) {
    logger?.error(`consumer ${operation} failed`, {
      ...fields,
      outcome: 'failure',
      reason: describeError(error),
      duration_ms: clock.now() - started,
    });
    throw error;
  }
}

/**
 * Polls `probe` every `intervalMs` until it returns a value (not `undefined`) or `timeoutMs` has
 * passed, then throws `ConsumerNotReadyError` with `waitingFor`.
 */
export async function pollUntil<T>(
  clock: ConsumerClock,
  options: {
    readonly consumer: ConsumerConfig;
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly waitingFor: () => string;
  },
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = clock.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (clock.now() >= deadline) {
      throw new ConsumerNotReadyError(
        options.consumer.name,
        `${label(options.consumer)}: still ${options.waitingFor()} after ${Math.round(options.timeoutMs / 1000)} s; retry later`,
      );
    }
    await clock.sleep(Math.min(options.intervalMs, Math.max(0, deadline - clock.now())));
  }
}

/** Checks a positive integer option; throws a RangeError naming it. */
export function positive(name: string, value: number, min = 1): number {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a number >= ${min}, got ${value}`);
  }
  return value;
}
