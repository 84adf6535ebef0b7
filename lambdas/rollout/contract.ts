/**
 * The rollout workflow's data model: its console input, the per-secret configuration the CDK app
 * writes, and the consumer kinds. Task handlers, consumer adapters, the state machine construct
 * and the workflow tests all build on these types; this file is the contract between them.
 */
import type { CredentialType } from '../rotation/constants';

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

export const CONSUMER_KINDS = ['lambda', 'ecs-service', 'ssm-parameter', 'event', 'webhook'] as const;
export type ConsumerKind = (typeof CONSUMER_KINDS)[number];

interface ConsumerBase {
  /** Unique within the secret; appears in logs, metrics and notifications. */
  readonly name: string;
  /**
   * Part of the canary wave: updated and verified before every other consumer.
   * @default false
   */
  readonly canary?: boolean;
}

/** A Lambda function: an environment variable is set to the new version id, so new environments read it. */
export interface LambdaConsumer extends ConsumerBase {
  readonly kind: 'lambda';
  readonly functionName: string;
  /** @default 'HANDOVER_SECRET_VERSION' */
  readonly environmentVariable?: string;
}

/** An ECS service: a new deployment is forced and must reach steady state. */
export interface EcsServiceConsumer extends ConsumerBase {
  readonly kind: 'ecs-service';
  readonly cluster: string;
  readonly service: string;
}

/** An SSM parameter mirror: the new value is written to a SecureString parameter. */
export interface SsmParameterConsumer extends ConsumerBase {
  readonly kind: 'ssm-parameter';
  readonly parameterName: string;
  /** @default - the AWS managed key `alias/aws/ssm` */
  readonly kmsKeyId?: string;
}

/**
 * Anything else (CI pipelines, Kubernetes, other teams): an EventBridge event carrying a task
 * token; the consumer confirms with SendTaskSuccess (or reports SendTaskFailure).
 */
export interface EventConsumer extends ConsumerBase {
  readonly kind: 'event';
  /** @default 'default' */
  readonly eventBusName?: string;
  /** How long to wait for the acknowledgement. @default 3600 */
  readonly timeoutSeconds?: number;
}

/** A signed webhook: POST with an HMAC signature over a timestamp and the body; 2xx within a deadline. */
export interface WebhookConsumer extends ConsumerBase {
  readonly kind: 'webhook';
  readonly url: string;
  /** ARN of a secret whose value is the HMAC signing key (never the rotated secret). */
  readonly signingSecretArn: string;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

export type ConsumerConfig =
  | LambdaConsumer
  | EcsServiceConsumer
  | SsmParameterConsumer
  | EventConsumer
  | WebhookConsumer;

/**
 * A secret's rollout configuration. The CDK app writes it as JSON to the SSM parameter
 * `${ROLLOUT_CONFIG_PREFIX}<secret name>`; preflight reads and validates it.
 */
export interface RolloutConfig {
  readonly secretArn: string;
  readonly credentialType: CredentialType;
  /** The secret's rotation function: it also runs the strategy actions (describe, inUse, revoke, restore). */
  readonly rotationFunctionArn: string;
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
} as const;
