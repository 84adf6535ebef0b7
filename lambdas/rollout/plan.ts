/**
 * The document that flows through the state machine (its JSONPath state), as the task handlers
 * read and write it. The construct's states refer to these paths (`$.rollout.secretArn`,
 * `$.rotation.versions.newVersionId`, ...): a field renamed here must be renamed there.
 */
import type { DoneResult, StrategyCapabilities, UsageResult } from '../rotation/actions';
import type {
  ConsumerConfig,
  ConsumerKind,
  ConsumerResult,
  FollowedBy,
  ReadersConfig,
  RolloutCredentialType,
  RolloutMode,
  VersionPair,
} from './contract';
import type { RolloutTrigger } from './input';
import type { ReadersGate, ReadersReport } from './readers/model';

/** What preflight decided for one execution: everything later states need, no secret. */
export interface RolloutPlan {
  /** The execution name: logs, idempotency keys, `rotation_id`. */
  readonly rolloutId: string;
  readonly executionArn: string;
  readonly secretArn: string;
  readonly secretName: string;
  readonly credentialType: RolloutCredentialType;
  /** Absent for a followed secret. */
  readonly rotationFunctionArn?: string;
  /** Set for a secret the workflow follows (rotated by RDS or a function not Handover's). */
  readonly followed?: { readonly rotatedBy: FollowedBy };
  /** The readers check, when the policy has one. */
  readonly readers?: ReadersConfig;
  readonly mode: RolloutMode;
  readonly trigger: RolloutTrigger;
  readonly reason: string;
  /** ISO 8601: when preflight ran. */
  readonly startedAt: string;
  /** 0 in emergency mode. */
  readonly graceSeconds: number;
  readonly usageRecheckSeconds: number;
  readonly usageMaxChecks: number;
  readonly maxConcurrency: number;
  /** Canary consumers first, then the rest. Emergency mode has one wave: everyone at once. */
  readonly waves: { readonly canary: readonly ConsumerConfig[]; readonly main: readonly ConsumerConfig[] };
}

/** The rotation's progress: done already (event trigger), or started by the workflow (manual). */
export interface RotationProgress {
  readonly status: 'running' | 'succeeded';
  /** The new version (the RotateSecret token), once known. */
  readonly versionId?: string;
  /** AWSCURRENT before the rotation. */
  readonly previousVersionId?: string;
  /** ISO 8601: when the workflow called RotateSecret. */
  readonly requestedAt?: string;
  /** Status checks so far. */
  readonly checks: number;
  /** Once succeeded. */
  readonly versions?: VersionPair;
  /** ISO 8601, once succeeded: when the new version was seen AWSCURRENT (or the event's time). */
  readonly completedAt?: string;
  /**
   * Event trigger only: a rotation was in flight when this rollout took its lock (`versionId` is its
   * version), so no consumer is touched until it has completed, stopped, or had the rotation
   * timeout to finish any step it began before the lock was visible. This is the pair the event
   * named; the rollout then carries whatever is AWSCURRENT.
   */
  readonly inFlight?: VersionPair;
}

/** One consumer's outcome in a wave, as the Map's item processor returns it. */
export type ConsumerOutcome =
  | {
      readonly consumer: string;
      readonly kind: ConsumerKind;
      readonly ok: true;
      readonly outcome: ConsumerResult['outcome'];
      readonly detail: string;
    }
  | {
      readonly consumer: string;
      readonly kind: ConsumerKind;
      readonly ok: false;
      /** The Step Functions error name (`ConsumerError`, `States.Timeout`, ...). */
      readonly error: string;
      /** The Step Functions error cause (for a Lambda error, the runtime's JSON). */
      readonly cause: string;
    };

/** A failure, as the `Record ...` states of the state machine write it. */
export interface RolloutFailure {
  /** The named failure (`Handover.ConsumerUpdateFailed`). */
  readonly error: string;
  readonly cause?: string;
  /** The error the failing state raised, when it is not the named one. */
  readonly caughtError?: string;
  /** The failure a rollback was answering, when the rollback itself failed or was refused. */
  readonly original?: RolloutFailure;
}

/** What the rollback task did. */
export interface RollbackResult {
  /** `false` when AWSCURRENT was already on the old version (a re-run). */
  readonly movedCurrent: boolean;
  readonly currentVersionId: string;
  /** The consumers to point back at the old version (every wave that ran). */
  readonly consumers: readonly ConsumerConfig[];
  /** ISO 8601: when AWSCURRENT was back on the old version (the re-pointed consumers' `startedAt`). */
  readonly at: string;
}

/** The usage gate's bookkeeping. */
export interface UsageGate {
  /** Checks done. */
  readonly count: number;
  /** `Since` of check k is `windows[k]` (ISO 8601). */
  readonly windows: readonly string[];
  readonly last?: UsageResult;
  /** The readers check of the last usage check. */
  readonly readers?: ReadersGate;
}

/** The whole state document. Every field is optional: a failure can come at any point. */
export interface WorkflowState {
  readonly action?: 'rollout' | 'skip';
  readonly skipReason?: string;
  readonly rollout?: RolloutPlan;
  readonly rotation?: RotationProgress;
  /** Who read the secret since the previous rotation (preflight's readers check). */
  readonly readers?: ReadersReport;
  /** Emergency mode: the readers that read the old version (who will break), before revoking. */
  readonly precheckReaders?: ReadersGate;
  /** After a rollout that revokes nothing (followed secrets, single-user types): who still holds the old value. */
  readonly stragglers?: ReadersGate;
  readonly strategy?: StrategyCapabilities;
  readonly results?: {
    readonly canary?: readonly ConsumerOutcome[];
    readonly main?: readonly ConsumerOutcome[];
    readonly rollback?: readonly ConsumerOutcome[];
  };
  readonly usage?: UsageGate;
  /** Emergency mode: the usage check before revoking (evidence of who will break). */
  readonly precheck?: UsageResult;
  readonly revocation?: DoneResult;
  readonly rollback?: RollbackResult;
  readonly restoration?: DoneResult;
  readonly failure?: RolloutFailure;
  readonly [other: string]: unknown;
}
