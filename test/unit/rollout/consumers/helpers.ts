import type { ConsumerClock } from '../../../../lambdas/rollout/consumers';
import type { ConsumerUpdate } from '../../../../lambdas/rollout/contract';
import type { StructuredLogger } from '../../../../lambdas/shared/observability';

/** A clock whose `sleep` advances time at once and records how long each sleep was. */
export interface FakeClock extends ConsumerClock {
  readonly sleeps: number[];
  advance(ms: number): void;
}

export function fakeClock(start = Date.parse('2026-11-21T10:00:00Z')): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/** One logged line. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A logger that keeps every line, with `text()` to search everything it was given. */
export function recordingLogger(): StructuredLogger & { readonly lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => JSON.stringify(lines),
  };
}

export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf';
export const NEW_VERSION = '3f1c2a9e-7b4d-4e8a-9c61-0d2f5e8b7a41';
export const OLD_VERSION = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

/** A rollout update to `NEW_VERSION`. */
export function anUpdate(overrides: Partial<ConsumerUpdate> = {}): ConsumerUpdate {
  return {
    secretArn: SECRET_ARN,
    versionId: NEW_VERSION,
    rolloutId: 'rollout-2026-11-21-abc',
    mode: 'scheduled',
    ...overrides,
  };
}

/** Resolves with the error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection, but the promise resolved');
}
