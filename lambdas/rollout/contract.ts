/**
 * The rollout workflow's data model: its console input, the per-secret configuration the CDK app
 * writes, and the consumers (each kind's contract is `consumers/<kind>.contract.ts`, registered in
 * `consumers/contracts.ts`). Task handlers, consumer adapters, the state machine construct and the
 * workflow tests all build on these types; this file is the contract between them.
 */
import type { CredentialType } from '../rotation/constants';
import type { ConsumerConfig, ConsumerConfigOf, ConsumerKind } from './consumers/contracts';
import type { ReadersConfig } from './readers/model';

export type { ReadersConfig } from './readers/model';

/** Who rotates a secret the workflow follows: Amazon RDS (a managed master user secret), or a function not Handover's. */
export const FOLLOWED_BY = ['rds', 'other'] as const;
/** One of {@link FOLLOWED_BY}. */
export type FollowedBy = (typeof FOLLOWED_BY)[number];

/** The `credential_type` of a followed secret in logs, metrics and events: Handover has no strategy for it. */
export const FOLLOWED_CREDENTIAL_TYPE = 'followed';
/** A rolled-out secret's credential type: one Handover rotates, or `followed`. */
export type RolloutCredentialType = CredentialType | typeof FOLLOWED_CREDENTIAL_TYPE;

export const ROLLOUT_MODES = ['scheduled', 'emergency'] as const;
/** `scheduled`: grace window, usage gate, then revoke. `emergency`: revoke as soon as the new credential is verified. */
export type RolloutMode = (typeof ROLLOUT_MODES)[number];

/**
 * What security staff paste into Step Functions "Start execution" (or `aws stepfunctions
 * start-execution --input`): the workflow then calls RotateSecret itself.
 */
export interface ManualRolloutInput {
  readonly secretId: string;
  readonly mode: RolloutMode;
  readonly reason: string;
}

export {
  CONSUMER_KINDS,
  type ConsumerConfig,
  type ConsumerConfigOf,
  type ConsumerKind,
  type ConsumerSettings,
  type ConsumerSettingsOf,
} from './consumers/contracts';

/** A Lambda function: an environment variable is set to the new version id, so new environments read it. */
export type LambdaConsumer = ConsumerConfigOf<'lambda'>;
/** An ECS service: a new deployment is forced and must reach steady state. */
export type EcsServiceConsumer = ConsumerConfigOf<'ecs-service'>;
/** An SSM parameter mirror: the new value is written to a SecureString parameter. */
export type SsmParameterConsumer = ConsumerConfigOf<'ssm-parameter'>;
/**
 * Anything else (CI pipelines, Kubernetes, other teams): an EventBridge event carrying a task
 * token; the consumer confirms with SendTaskSuccess (or reports SendTaskFailure).
 */
export type EventConsumer = ConsumerConfigOf<'event'>;
/** A signed webhook: POST with an HMAC signature over a timestamp and the body; 2xx within a deadline. */
export type WebhookConsumer = ConsumerConfigOf<'webhook'>;

/**
 * A secret's rollout configuration. The CDK app writes it as JSON to the SSM parameter
 * `${ROLLOUT_CONFIG_PREFIX}<secret name>`; preflight reads and validates it.
 */
export interface RolloutConfig {
  readonly secretArn: string;
  readonly credentialType: RolloutCredentialType;
  /**
   * The secret's rotation function: it also runs the strategy actions (describe, inUse, revoke,
   * restore). Absent for a followed secret (no function of Handover's rotates it).
   */
  readonly rotationFunctionArn?: string;
  /**
   * Set for a secret the workflow follows but does not rotate (an RDS-managed master user secret, a
   * secret another function rotates): rollouts start on its `RotationSucceeded` event, update and
   * verify its consumers and report who still holds the old value; they never rotate or revoke.
   * @default - Handover rotates the secret
   */
  readonly followed?: { readonly rotatedBy: FollowedBy };
  /**
   * Who reads the secret (CloudTrail): the readers check at preflight and in the usage gate.
   * @default - no readers check
   */
  readonly readers?: ReadersConfig;
  /** Old and new both valid after every consumer moved, in scheduled mode. */
  readonly graceSeconds: number;
  /** Time between usage checks while the old credential is still in use. */
  readonly usageRecheckSeconds: number;
  /** Usage checks before the workflow gives up and alarms (it never revokes a credential in use). */
  readonly usageMaxChecks: number;
  /** Consumers updated at once in the main wave. */
  readonly maxConcurrency: number;
  readonly consumers: readonly ConsumerConfig[];
}

export const ROLLOUT_CONFIG_PREFIX = '/handover/rollout/';

/** The version pair a rollout moves consumers between. */
export interface VersionPair {
  /** Now AWSCURRENT. */
  readonly newVersionId: string;
  /** Now AWSPREVIOUS: revoked at the end, restored by a rollback. */
  readonly oldVersionId: string;
}

/** What a consumer adapter is asked to do: point `consumer` at `versionId` of `secretArn`. */
export interface ConsumerUpdate {
  readonly secretArn: string;
  readonly versionId: string;
  /** The execution name, for logs and idempotency keys. */
  readonly rolloutId: string;
  readonly mode: RolloutMode;
  /** For `event` consumers: the Step Functions task token the acknowledgement must carry. */
  readonly taskToken?: string;
  /**
   * When the rollout started (ISO 8601, e.g. the plan's start time set by preflight), no earlier
   * than the moment the new version became AWSCURRENT. `ecs-service` uses it for idempotency: a
   * PRIMARY deployment created after it already launches tasks that read the new version, so no
   * second deployment is forced, and only deployments and service events after it count when
   * verifying.
   * @default - unknown: `ecs-service` forces a new deployment on every update
   */
  readonly startedAt?: string;
}

/** The outcome of one consumer operation, as the workflow records and reports it. */
export interface ConsumerResult {
  readonly consumer: string;
  readonly kind: ConsumerKind;
  readonly outcome: 'updated' | 'already-current' | 'verified' | 'published';
  /** Human-readable detail: deployment id, parameter version, HTTP status. Never a secret. */
  readonly detail: string;
}

/**
 * Named failures: every failure state of the workflow carries one of these as its error, so
 * alarms, notifications and runbooks can tell them apart.
 */
export const ROLLOUT_ERRORS = {
  refused: 'Handover.RolloutRefused',
  rotationFailed: 'Handover.RotationFailed',
  consumerFailed: 'Handover.ConsumerUpdateFailed',
  stillInUse: 'Handover.OldCredentialStillInUse',
  revokeFailed: 'Handover.RevokeFailed',
  rollbackFailed: 'Handover.RollbackFailed',
  rollbackRefused: 'Handover.RollbackRefused',
  invalidInput: 'Handover.InvalidInput',
  /** Preflight could not read the secret, its rollout configuration or its strategy (not a bad input). */
  preflightFailed: 'Handover.PreflightFailed',
  /** The usage gate could not tell whether the old credential is still used: it is not revoked. */
  usageCheckFailed: 'Handover.UsageCheckFailed',
} as const;
/** One named failure of the workflow. */
export type RolloutErrorCode = (typeof ROLLOUT_ERRORS)[keyof typeof ROLLOUT_ERRORS];

/**
 * The error of an execution another one stopped because it took the secret's lock over (an
 * emergency replacing a scheduled rollout, or a start finding it past its lease): StopExecution's
 * `error`, with the taking execution and the reason as its `cause`.
 */
export const ROLLOUT_TAKEN_OVER = 'Handover.RolloutTakenOver';

// ---------------------------------------------------------------------------------------------
// The workflow's wiring: task names, milestones, metrics, the lock, environment variables. The
// state machine construct and the task handlers both build on these, so they cannot drift apart.
// ---------------------------------------------------------------------------------------------

/** The `Task` field of every payload the state machine sends the rollout function. */
export const ROLLOUT_TASKS = [
  'preflight',
  'start-rotation',
  'check-rotation',
  'update-consumer',
  'publish-consumer-event',
  'check-wave',
  'consumers-updated',
  'emergency-revoked',
  'rollback',
  'finish',
  'find-readers',
  'check-readers',
] as const;
export type RolloutTaskName = (typeof ROLLOUT_TASKS)[number];

/**
 * Milestones the workflow publishes as EventBridge events (source {@link ROLLOUT_EVENT_SOURCE},
 * detail-type `Handover Rollout <milestone>`), so other systems can follow a rollout.
 * `Succeeded` closes every successful rollout (also when there was nothing to revoke).
 */
export const ROLLOUT_MILESTONES = [
  'Started',
  'UndeclaredReaders',
  'ConsumersUpdated',
  'Revoked',
  'Succeeded',
  'Failed',
  'RolledBack',
] as const;
export type RolloutMilestone = (typeof ROLLOUT_MILESTONES)[number];

/** The `source` of every milestone event. */
export const ROLLOUT_EVENT_SOURCE = 'handover.rollout';

/** `Handover Rollout Started`: the `detail-type` of a milestone event. */
export function milestoneDetailType(milestone: RolloutMilestone): string {
  return `Handover Rollout ${milestone}`;
}

/**
 * Metric names of the rollout function (namespace and `service` as every Handover metric; dimension
 * `credential_type`), a public contract: alarms and the dashboard refer to them.
 */
export const ROLLOUT_METRIC = {
  /** A consumer failed its update or its check; also published per `consumer` (its name), without `credential_type`. */
  consumerUpdateFailed: 'ConsumerUpdateFailed',
  oldCredentialStillInUse: 'OldCredentialStillInUse',
  /** Readers of a secret that match no declared consumer (preflight). */
  undeclaredReaders: 'UndeclaredReaders',
  rolloutSucceeded: 'RolloutSucceeded',
  rolloutFailed: 'RolloutFailed',
  /** A rollout found, when releasing it, that it no longer held its secret's lock. */
  rolloutLockLost: 'RolloutLockLost',
  /** An emergency rollout ended (succeeded or failed): one per emergency rotation. */
  emergencyRollout: 'EmergencyRollout',
} as const;

/** The dimension naming the consumer of a per-consumer metric (its name: declared, bounded). */
export const CONSUMER_DIMENSION = 'consumer';

/**
 * Tags on the secret: the mirror of the per-secret rollout lock (holder, lease expiry, mode, the
 * version it carries) and the last version a rollout completed. The lock itself is an item in the
 * rollout's DynamoDB table; the rotation functions read the mirror (the interlock). Defined beside
 * the interlock, in `lambdas/rotation/interlock.ts`, and re-exported here.
 */
export { INCOMPLETE_ROLLOUT, ROLLOUT_TAG, ROLLOUTS_ENV, ROLLOUTS_TRACKED } from '../rotation/interlock';

/**
 * The rollout lock table: its partition key, and the attributes of a secret's lock item (see
 * `lock.ts`). The construct creates the table with this key.
 */
export const LOCK_ATTRIBUTE = {
  /** Partition key (S): the secret's ARN. */
  secretArn: 'secretArn',
  /** The execution ARN holding the lock; absent when free. */
  holder: 'holder',
  /** `scheduled` or `emergency`. */
  mode: 'mode',
  /** ISO 8601 expiry of the lease. */
  leaseUntil: 'leaseUntil',
  /** ISO 8601: when the holder took it. */
  takenAt: 'takenAt',
  /** The version the holder rolls out. */
  version: 'version',
  /** The last version a rollout completed. */
  done: 'done',
  /** The execution that released it last (a re-run of a release recognises itself). */
  releasedBy: 'releasedBy',
  /** The holder this one took the lock from, and why (stale, emergency). */
  takenOverFrom: 'takenOverFrom',
  takeoverReason: 'takeoverReason',
} as const;

/** Environment variables of the rollout function (set by the `RolloutWorkflow` construct only). */
export const ROLLOUT_ENV = {
  /** SNS topic for the human summaries. Unset: no SNS message. */
  topicArn: 'HANDOVER_ROLLOUT_TOPIC_ARN',
  /** EventBridge bus of the milestone events. @default 'default' */
  eventBusName: 'HANDOVER_ROLLOUT_EVENT_BUS',
  /**
   * The most a lock's lease may last: the state machine's timeout. Each rollout's lease is its own
   * worst case (see `rolloutWorstCaseSeconds`), at most this. @default 2764800 (32 days)
   */
  leaseSeconds: 'HANDOVER_ROLLOUT_LEASE_SECONDS',
  /** The DynamoDB table of the per-secret locks (required; the `RolloutWorkflow` construct creates it). */
  lockTable: 'HANDOVER_ROLLOUT_LOCK_TABLE',
  /** Seconds a manual rotation may take before it counts as failed. @default 900 */
  rotationTimeoutSeconds: 'HANDOVER_ROLLOUT_ROTATION_TIMEOUT_SECONDS',
  /** Where notifications link the runbook (`<url>#runbook-rollout-...`). @default 'docs/runbook.md' */
  runbookUrl: 'HANDOVER_RUNBOOK_URL',
} as const;

/**
 * Characters a secret name may hold that an SSM parameter name may not, and their replacement
 * (`!` is in the names of secrets other services manage: RDS's `rds!db-<id>`).
 */
const SSM_NAME_ESCAPES: Readonly<Record<string, string>> = { '+': '_2B', '=': '_3D', '@': '_40', '!': '_21' };

/**
 * The SSM parameter holding a secret's {@link RolloutConfig}: `/handover/rollout/<secret name>`,
 * with the characters a secret name allows and a parameter name does not (`+ = @ !`) written
 * as `_2B _3D _40 _21`.
 *
 * @example
 * ```ts
 * rolloutConfigParameterName('orders/db/app'); // '/handover/rollout/orders/db/app'
 * ```
 */
export function rolloutConfigParameterName(secretName: string): string {
  const escaped = secretName.replace(/[+=@!]/g, (char) => SSM_NAME_ESCAPES[char] ?? char);
  return `${ROLLOUT_CONFIG_PREFIX}${escaped.replace(/^\/+/, '')}`;
}
