import * as z from 'zod/mini';
import { RotationEventError } from '../shared/errors';
import { type RotationStep, STEPS } from './constants';

const rotationEventSchema = z.object({
  Step: z.enum(STEPS),
  SecretId: z.string().check(z.minLength(1), z.maxLength(2048)),
  ClientRequestToken: z.string().check(z.minLength(32), z.maxLength(64)),
  RotationToken: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/** A validated Secrets Manager rotation event. `rotationToken` is passed through, never logged. */
export interface RotationEvent {
  readonly step: RotationStep;
  readonly secretId: string;
  readonly token: string;
  readonly rotationToken: string | undefined;
}

const EXPECTED: Record<string, string> = {
  Step: `one of ${STEPS.join(', ')}`,
  SecretId: 'a secret name or ARN (1-2048 characters)',
  ClientRequestToken: 'a version id of 32-64 characters',
  RotationToken: 'a string (1-2048 characters)',
};

/**
 * Validates the event Secrets Manager sends a rotation function. Throws `RotationEventError`
 * naming the first bad field; the message never echoes a field's value.
 */
export function parseRotationEvent(event: unknown): RotationEvent {
  const result = rotationEventSchema.safeParse(event);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.length ? String(issue.path[0]) : '$';
    const expected = EXPECTED[field] ?? 'an object with Step, SecretId and ClientRequestToken';
    const present = typeof event === 'object' && event !== null && field in event;
    const problem = field === '$' || present ? 'is invalid' : 'is missing';
    throw new RotationEventError(field, `rotation event field ${field} ${problem}: expected ${expected}`);
  }
  const { Step, SecretId, ClientRequestToken, RotationToken } = result.data;
  return { step: Step, secretId: SecretId, token: ClientRequestToken, rotationToken: RotationToken };
}
