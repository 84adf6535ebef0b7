import * as z from 'zod/mini';
import { CREDENTIAL_TYPES } from '../rotation/constants';
import { DEFAULT_ACK_TIMEOUT_SECONDS } from './consumers/event';
import { CONSUMER_KINDS, type ConsumerConfig, ROLLOUT_ERRORS, type RolloutConfig } from './contract';
import { RolloutError } from './errors';

/** Bounds the workflow enforces on a configuration (the CDK policy validation uses the same). */
export const ROLLOUT_LIMITS = {
  /** 30 days: the policy's maximum grace. */
  maxGraceSeconds: 30 * 24 * 3600,
  maxRecheckSeconds: 7 * 24 * 3600,
  maxChecks: 1000,
  /** Inline Map states run at most 40 iterations at once. */
  maxConcurrency: 40,
  maxConsumers: 100,
  /** A week: the longest an event consumer may take to acknowledge. */
  maxAckTimeoutSeconds: 7 * 24 * 3600,
} as const;

const text = (what: string) =>
  z.string({ error: `expected ${what}` }).check(z.minLength(1, { error: `expected ${what}` }));
const integer = (min: number, max: number) =>
  z
    .int({ error: `expected an integer from ${min} to ${max}` })
    .check(
      z.gte(min, { error: `expected an integer from ${min} to ${max}` }),
      z.lte(max, { error: `expected an integer from ${min} to ${max}` }),
    );
const name = z
  .string({ error: 'expected a consumer name' })
  .check(z.regex(/^[A-Za-z0-9._-]{1,128}$/, { error: 'expected 1 to 128 of A-Z a-z 0-9 . _ -' }));
const canary = z.optional(z.boolean({ error: 'expected true or false' }));

const consumerSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({
      kind: z.literal('lambda'),
      name,
      canary,
      functionName: text('a function name or ARN'),
      environmentVariable: z.optional(
        z
          .string()
          .check(
            z.regex(/^[A-Za-z][A-Za-z0-9_]{0,127}$/, { error: 'expected an environment variable name' }),
          ),
      ),
    }),
    z.object({
      kind: z.literal('ecs-service'),
      name,
      canary,
      cluster: text('a cluster name or ARN'),
      service: text('a service name or ARN'),
    }),
    z.object({
      kind: z.literal('ssm-parameter'),
      name,
      canary,
      parameterName: text('a parameter name'),
      kmsKeyId: z.optional(text('a KMS key id or ARN')),
    }),
    z.object({
      kind: z.literal('event'),
      name,
      canary,
      eventBusName: z.optional(text('an event bus name or ARN')),
      timeoutSeconds: z.optional(integer(1, ROLLOUT_LIMITS.maxAckTimeoutSeconds)),
    }),
    z.object({
      kind: z.literal('webhook'),
      name,
      canary,
      // https, or http to a loopback address (local receivers), as the webhook adapter allows.
      url: z.string({ error: 'expected an https:// URL' }).check(
        z.regex(/^(https:\/\/[^\s/]+|http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?)(\/\S*)?$/, {
          error: 'expected an https:// URL',
        }),
      ),
      signingSecretArn: text('the signing secret ARN'),
      timeoutMs: z.optional(integer(100, 60_000)),
    }),
  ],
  { error: `expected kind to be one of ${CONSUMER_KINDS.join(', ')}` },
);

const configSchema = z.object({
  secretArn: z
    .string({ error: 'expected a secret ARN' })
    .check(z.startsWith('arn:', { error: 'expected a secret ARN' })),
  credentialType: z.enum(CREDENTIAL_TYPES, { error: `expected one of ${CREDENTIAL_TYPES.join(', ')}` }),
  rotationFunctionArn: z
    .string({ error: 'expected a Lambda function ARN' })
    .check(z.regex(/^arn:[a-z-]+:lambda:/, { error: 'expected a Lambda function ARN' })),
  graceSeconds: integer(0, ROLLOUT_LIMITS.maxGraceSeconds),
  usageRecheckSeconds: integer(1, ROLLOUT_LIMITS.maxRecheckSeconds),
  usageMaxChecks: integer(1, ROLLOUT_LIMITS.maxChecks),
  maxConcurrency: integer(1, ROLLOUT_LIMITS.maxConcurrency),
  consumers: z
    .array(consumerSchema, { error: 'expected a list of consumers' })
    .check(
      z.maxLength(ROLLOUT_LIMITS.maxConsumers, { error: `expected at most ${ROLLOUT_LIMITS.maxConsumers}` }),
    ),
});

/**
 * Parses and validates a secret's rollout configuration (the JSON of its SSM parameter). A bad
 * configuration throws ONE `Handover.InvalidInput` error listing every problem with its field
 * (`consumers[1].url: expected an https:// URL`). Consumer names must be unique.
 *
 * @example
 * ```ts
 * const config = parseRolloutConfig(parameter.Value ?? '', '/handover/rollout/orders/db');
 * ```
 */
export function parseRolloutConfig(json: string, source: string): RolloutConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new RolloutError(ROLLOUT_ERRORS.invalidInput, `rollout configuration ${source} is not valid JSON`);
  }
  const parsed = configSchema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${pathOf(issue.path)}: ${issue.message}`);
  if (parsed.success) {
    const seen = new Set<string>();
    parsed.data.consumers.forEach((consumer, index) => {
      if (seen.has(consumer.name))
        problems.push(`consumers[${index}].name: "${consumer.name}" is used twice`);
      seen.add(consumer.name);
    });
  }
  if (problems.length > 0 || !parsed.success) {
    throw new RolloutError(
      ROLLOUT_ERRORS.invalidInput,
      `rollout configuration ${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`,
    );
  }
  return parsed.data as RolloutConfig;
}

function pathOf(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '$';
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/** Consumers with the defaults the state machine itself needs filled in (the ack timeout). */
export function withWorkflowDefaults(consumer: ConsumerConfig): ConsumerConfig {
  if (consumer.kind === 'event' && consumer.timeoutSeconds === undefined) {
    return { ...consumer, timeoutSeconds: DEFAULT_ACK_TIMEOUT_SECONDS };
  }
  return consumer;
}
