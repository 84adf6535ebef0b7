import type { SSMClient } from '@aws-sdk/client-ssm';
import type { StructuredLogger } from '../shared/observability';
import type { ConsumerAdapters } from './consumers/adapter';
import type { DynamoDbSend, StepFunctionsSend } from './lock';
import type { RolloutMetrics } from './metrics';
import type { Notifier } from './notify';
import type { ReaderSources } from './readers/sources';
import type { SecretsManagerSend } from './secret-state';

/** The SSM operation the rollout function calls (GetParameter). */
export type SsmSend = Pick<SSMClient, 'send'>;

/** Settings of the rollout function (from its environment, see `ROLLOUT_ENV`). */
export interface RolloutSettings {
  /** How long a lock stays valid without its holder releasing it: the state machine's timeout. */
  readonly leaseSeconds: number;
  /** How long a rotation the workflow started may take before it counts as failed. */
  readonly rotationTimeoutSeconds: number;
  /** The DynamoDB table of the per-secret locks. */
  readonly lockTable: string;
}

/** Everything the task handlers use; production builds it in `handler.ts`, tests pass fakes. */
export interface RolloutDeps {
  readonly secretsManager: SecretsManagerSend;
  readonly ssm: SsmSend;
  /** DescribeExecution (a stale lock from a live one), StopExecution (an emergency takes over). */
  readonly sfn: StepFunctionsSend;
  /** The lock table (GetItem, UpdateItem). */
  readonly dynamodb: DynamoDbSend;
  readonly adapters: ConsumerAdapters;
  readonly notifier: Notifier;
  readonly metrics: RolloutMetrics;
  readonly logger: StructuredLogger;
  readonly settings: RolloutSettings;
  /**
   * The reader sources (CloudTrail LookupEvents, CloudTrail Lake) the readers check reads with.
   * @default - none: a secret with a readers check gets its readers reported unavailable, and its
   * usage gate fails `Handover.UsageCheckFailed` instead of revoking
   */
  readonly readerSources?: ReaderSources;
  /** @default - the system clock */
  readonly now?: () => Date;
}
