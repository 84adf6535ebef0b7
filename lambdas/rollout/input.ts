import * as z from 'zod/mini';
import { ROLLOUT_ERRORS, ROLLOUT_MODES, type RolloutMode } from './contract';
import { RolloutError } from './errors';

/** Where an execution came from: the Secrets Manager `RotationSucceeded` event, or a person. */
export type RolloutTrigger = 'event' | 'manual';

/** An execution's input after normalisation: what preflight works from. */
export interface RolloutRequest {
  /** A secret name or ARN. */
  readonly secretId: string;
  readonly mode: RolloutMode;
  readonly reason: string;
  readonly trigger: RolloutTrigger;
  /** `event` only: when Secrets Manager reported the rotation (the event's `time`). */
  readonly rotatedAt?: string;
}

/** The console input, as the README and every error about it show it. */
export const MANUAL_INPUT_EXAMPLE =
  '{"secretId": "<secret name or ARN>", "mode": "scheduled" | "emergency", "reason": "<why, for the audit trail>"}';

const manualSchema = z.strictObject(
  {
    secretId: z
      .string({ error: 'expected the secret name or ARN' })
      .check(
        z.trim(),
        z.minLength(1, { error: 'expected the secret name or ARN' }),
        z.maxLength(2048, { error: 'expected at most 2048 characters' }),
      ),
    mode: z.enum(ROLLOUT_MODES, { error: `expected "${ROLLOUT_MODES.join('" or "')}"` }),
    reason: z
      .string({ error: 'expected a reason (it goes into the notifications and events)' })
      .check(
        z.trim(),
        z.minLength(3, { error: 'expected a reason of at least 3 characters' }),
        z.maxLength(1000, { error: 'expected at most 1000 characters' }),
      ),
  },
  { error: 'is not a field of the input' },
);

const eventSchema = z.object({
  source: z.literal('aws.secretsmanager'),
  time: z.optional(z.string()),
  detail: z.object({
    eventName: z.literal('RotationSucceeded'),
    additionalEventData: z.optional(z.object({ SecretId: z.optional(z.string()) })),
    requestParameters: z.optional(z.nullable(z.object({ secretId: z.optional(z.string()) }))),
  }),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Normalises an execution's input: the Secrets Manager `RotationSucceeded` event EventBridge
 * delivers (scheduled mode, the rotation already happened), or the console / CLI input
 * `{ secretId, mode, reason }` (the workflow then rotates). Anything else throws
 * `Handover.InvalidInput` naming every bad field and showing the expected input.
 *
 * @example
 * ```ts
 * parseRolloutInput({ secretId: 'orders/db/app', mode: 'emergency', reason: 'key in a public gist' });
 * ```
 */
export function parseRolloutInput(input: unknown): RolloutRequest {
  if (isRecord(input) && 'source' in input && 'detail' in input) {
    const event = eventSchema.safeParse(input);
    const secretId = event.success
      ? (event.data.detail.additionalEventData?.SecretId ?? event.data.detail.requestParameters?.secretId)
      : undefined;
    if (!event.success || secretId === undefined || secretId === '') {
      throw new RolloutError(
        ROLLOUT_ERRORS.invalidInput,
        'the execution input is an EventBridge event but not a Secrets Manager RotationSucceeded event naming a secret (detail.additionalEventData.SecretId)',
      );
    }
    return {
      secretId,
      mode: 'scheduled',
      reason: `rotation reported by Secrets Manager (RotationSucceeded${event.data.time === undefined ? '' : ` at ${event.data.time}`})`,
      trigger: 'event',
      ...(event.data.time === undefined ? {} : { rotatedAt: event.data.time }),
    };
  }
  if (!isRecord(input)) {
    throw new RolloutError(
      ROLLOUT_ERRORS.invalidInput,
      `the execution input must be a JSON object: ${MANUAL_INPUT_EXAMPLE}`,
    );
  }
  const manual = manualSchema.safeParse(input);
  if (!manual.success) {
    const problems = manual.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => `${key}: is not a field of the input`)
        : [`${issue.path.map(String).join('.') || '$'}: ${issue.message}`],
    );
    throw new RolloutError(
      ROLLOUT_ERRORS.invalidInput,
      `the execution input has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}. Expected ${MANUAL_INPUT_EXAMPLE}`,
    );
  }
  return { ...manual.data, trigger: 'manual' };
}
