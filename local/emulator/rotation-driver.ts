import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The four steps of a rotation by Lambda function, in the order Secrets Manager calls them (AWS
 * Secrets Manager User Guide, "Rotation by Lambda function": `create_secret`, `set_secret`,
 * `test_secret`, `finish_secret`, sent as `createSecret`, ... in the event's `Step`).
 */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
/** One of {@link ROTATION_STEPS}. */
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The event Secrets Manager invokes a rotation Lambda with. */
export interface RotationLambdaEvent {
  readonly Step: RotationStep;
  /** The ARN of the secret. */
  readonly SecretId: string;
  /** The version id being rotated to. */
  readonly ClientRequestToken: string;
  /**
   * A token the Lambda passes to PutSecretValue; the emulator accepts and ignores it. Absent when
   * the steps are run by a caller that is not the service (which has no token to give).
   */
  readonly RotationToken?: string;
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
  /**
   * The event's `RotationToken`.
   * @default - none: the event has no `RotationToken`
   */
  readonly rotationToken?: string;
  /**
   * Checks the secret after a step succeeded; a returned reason fails the rotation there, as the
   * service does when createSecret did not create the pending version.
   * @default - no check
   */
  readonly afterStep?: (step: RotationStep) => string | undefined;
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
          ...(run.rotationToken !== undefined && { RotationToken: run.rotationToken }),
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
    const rejected = run.afterStep?.(step);
    if (rejected !== undefined) return { ok: false, error: rejected };
  }
  return { ok: true };
}
