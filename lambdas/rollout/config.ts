import * as z from 'zod/mini';
import { CREDENTIAL_TYPES } from '../rotation/constants';
import { CONSUMER_RUNTIMES } from './consumers';
import { CONSUMER_NAME, commonConsumerConfig, expectInteger } from './consumers/consumer-contract';
import { DEFAULT_ACK_TIMEOUT_SECONDS, MAX_ACK_TIMEOUT_SECONDS } from './consumers/event.contract';
import {
  type ConsumerConfig,
  type ConsumerKind,
  FOLLOWED_BY,
  FOLLOWED_CREDENTIAL_TYPE,
  ROLLOUT_ERRORS,
  type RolloutConfig,
} from './contract';
import { RolloutError } from './errors';
import { readersConfigSchema } from './readers/model';

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
  maxAckTimeoutSeconds: MAX_ACK_TIMEOUT_SECONDS,
} as const;

const integer = expectInteger;
const name = z
  .string({ error: 'expected a consumer name' })
  .check(z.regex(CONSUMER_NAME, { error: 'expected 1 to 128 of A-Z a-z 0-9 . _ -' }));
const canary = z.optional(z.boolean({ error: 'expected true or false' }));

const KINDS = Object.keys(CONSUMER_RUNTIMES) as ConsumerKind[];

/** One consumer of the configuration: the kind contract's `config`, with `kind`, `name` and `canary`. */
const consumerSchema = z.discriminatedUnion(
  'kind',
  KINDS.map((kind) =>
    z.object({
      kind: z.literal(kind),
      name,
      canary,
      ...commonConsumerConfig,
      ...CONSUMER_RUNTIMES[kind].config,
    }),
  ) as unknown as [z.ZodMiniObject, ...z.ZodMiniObject[]],
  { error: `expected kind to be one of ${KINDS.join(', ')}` },
) as unknown as z.ZodMiniType<ConsumerConfig>;

const functionArn = z
  .string({ error: 'expected a Lambda function ARN' })
  .check(z.regex(/^arn:[a-z-]+:lambda:/, { error: 'expected a Lambda function ARN' }));

const configShape = {
  secretArn: z
    .string({ error: 'expected a secret ARN' })
    .check(z.startsWith('arn:', { error: 'expected a secret ARN' })),
  credentialType: z.enum(CREDENTIAL_TYPES, { error: `expected one of ${CREDENTIAL_TYPES.join(', ')}` }),
  rotationFunctionArn: functionArn,
  graceSeconds: integer(0, ROLLOUT_LIMITS.maxGraceSeconds),
  usageRecheckSeconds: integer(1, ROLLOUT_LIMITS.maxRecheckSeconds),
  usageMaxChecks: integer(1, ROLLOUT_LIMITS.maxChecks),
  maxConcurrency: integer(1, ROLLOUT_LIMITS.maxConcurrency),
  consumers: z
    .array(consumerSchema, { error: 'expected a list of consumers' })
    .check(
      z.maxLength(ROLLOUT_LIMITS.maxConsumers, { error: `expected at most ${ROLLOUT_LIMITS.maxConsumers}` }),
    ),
  readers: z.optional(readersConfigSchema),
};

/** A secret Handover rotates. */
const rotatedSchema = z.object(configShape);

/** A secret Handover follows: `credentialType` is `followed`, and no rotation function of ours. */
const followedSchema = z.object({
  ...configShape,
  credentialType: z.literal(FOLLOWED_CREDENTIAL_TYPE, {
    error: `expected "${FOLLOWED_CREDENTIAL_TYPE}" for a followed secret`,
  }),
  rotationFunctionArn: z.optional(
    z.never({ error: 'expected none for a followed secret (Handover does not rotate it)' }),
  ),
  followed: z.object({
    rotatedBy: z.enum(FOLLOWED_BY, { error: `expected one of ${FOLLOWED_BY.join(', ')}` }),
  }),
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
  const followed = typeof raw === 'object' && raw !== null && 'followed' in raw;
  const parsed = (followed ? followedSchema : rotatedSchema).safeParse(raw);
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
