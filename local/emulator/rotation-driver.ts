import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import type { RotationStep } from '../../lambdas/rotation/constants';

export type { RotationStep };

/** The event Secrets Manager invokes a rotation Lambda with. */
export interface RotationLambdaEvent {
  readonly Step: RotationStep;
  /** The ARN of the secret. */
  readonly SecretId: string;
  /** The version id being rotated to. */
  readonly ClientRequestToken: string;
  /** A token the Lambda passes to PutSecretValue; the emulator accepts and ignores it. */
  readonly RotationToken: string;
}

/** A local stand-in for a rotation Lambda: resolves on success, throws (or rejects) on failure. */
export type RotationLambdaHandler = (event: RotationLambdaEvent) => unknown;

/** One invocation of a rotation step. */
export interface StepInvocation {
  readonly step: RotationStep;
  readonly clientRequestToken: string;
  /** 1 for the first call of the step, 2 for its first retry, ... */
  readonly attempt: number;
  readonly outcome: 'succeeded' | 'failed';
  /** The error message the handler threw, when it failed. */
  readonly error?: string;
}

/** How the emulator retries a failing rotation step. */
export interface RotationRetryOptions {
  /**
   * Retries of a step that throws, after its first attempt.
   * @default 2
   */
  readonly retries?: number;
  /**
   * Delay before each retry, in milliseconds: a fixed value, or a range to pick from at random.
   * @default { min: 0, max: 50 }
   */
  readonly retryDelayMs?: number | { readonly min: number; readonly max: number };
}

/** What a rotation run needs: the handler, the steps, and the event fields. */
export interface RotationRun {
  readonly handler: RotationLambdaHandler;
  readonly steps: readonly RotationStep[];
  readonly secretArn: string;
  readonly clientRequestToken: string;
  readonly retry: RotationRetryOptions;
  /** Called with each step invocation as it settles. */
  readonly onStep: (invocation: StepInvocation) => void;
  /** Returns a reason to stop before the next attempt (cancelled, emulator closed), if any. */
  readonly stopReason: () => string | undefined;
}

/** The end of a rotation run. */
export type RotationRunResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

function retryDelay(option: RotationRetryOptions['retryDelayMs']): number {
  if (typeof option === 'number') return option;
  const { min, max } = option ?? { min: 0, max: 50 };
  return max > min ? randomInt(min, max + 1) : min;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Calls the steps of a rotation in order, like Secrets Manager: a step that throws is retried up
 * to `retries` times; when it still fails the run stops and the secret is left as it is.
 */
export async function driveRotation(run: RotationRun): Promise<RotationRunResult> {
  const retries = run.retry.retries ?? 2;
  const rotationToken = crypto.randomUUID();
  for (const step of run.steps) {
    let lastError = '';
    let succeeded = false;
    for (let attempt = 1; attempt <= retries + 1 && !succeeded; attempt += 1) {
      if (attempt > 1) await sleep(retryDelay(run.retry.retryDelayMs));
      const stop = run.stopReason();
      if (stop !== undefined) return { ok: false, error: stop };
      try {
        await run.handler({
          Step: step,
          SecretId: run.secretArn,
          ClientRequestToken: run.clientRequestToken,
          RotationToken: rotationToken,
        });
        run.onStep({ step, clientRequestToken: run.clientRequestToken, attempt, outcome: 'succeeded' });
        succeeded = true;
      } catch (error) {
        lastError = messageOf(error);
        run.onStep({
          step,
          clientRequestToken: run.clientRequestToken,
          attempt,
          outcome: 'failed',
          error: lastError,
        });
      }
    }
    if (!succeeded) return { ok: false, error: `${step} failed after ${retries + 1} attempts: ${lastError}` };
  }
  return { ok: true };
}
