import type { PostgresMode } from '../../lambdas/credentials/postgres/options';
import type { ExecutionRecord } from '../workflow/local-step-functions';

/** Step Functions Standard workflows: $0.025 per 1,000 state transitions. */
export const STANDARD_PRICE_PER_TRANSITION_USD = 0.025 / 1000;

export interface StrategySummary {
  readonly mode: PostgresMode;
  readonly rotations: number;
  readonly rotationsFailed: number;
  readonly logins: number;
  readonly failedLogins: number;
  /** Milliseconds between the first and the last failed login, if any failed. */
  readonly failureWindowMs: number;
}

/** One execution of the rollout workflow after an alternating-users rotation. */
export interface RolloutSummary {
  /**
   * The rotated secret: the alternating-users PostgreSQL secret, the shared key, or the billing
   * database of the forgotten-consumer scene.
   */
  readonly secret: 'postgres' | 'shared-key' | 'billing';
  readonly round: number;
  readonly status: ExecutionRecord['status'];
  /** The Fail state's error, when the execution failed (e.g. `Handover.OldCredentialStillInUse`). */
  readonly error?: string;
  /** Billable state transitions of the execution. */
  readonly transitions: number;
  /** At Standard pricing, $0.025 per 1,000 state transitions. */
  readonly costUsd: number;
  /** Usage checks the gate ran before deciding. */
  readonly usageChecks: number;
  /** The old credential was revoked, and it no longer logs in. */
  readonly revoked: boolean;
  /** The consumers found on the new version afterwards (`mirror`: the SSM parameter, `partner`: the webhook). */
  readonly consumersUpdated: readonly string[];
  /** Who the usage gate named while it kept the old credential (strategy and CloudTrail stragglers). */
  readonly stragglersNamed: readonly string[];
  /**
   * Whether the run ended as the sandbox's story says it must: a PostgreSQL rollout revokes the old
   * user; the shared key's ends in `Handover.OldCredentialStillInUse` (its clients used the old key
   * seconds before, so the usage gate keeps it: see README) or succeeds.
   */
  readonly asExpected: boolean;
}

/** Requests one kind of client sent during the whole run, and how many failed. */
export interface ClientSummary {
  readonly kind: 'database-pool' | 'orders-service-client' | 'webhook-receiver' | 'billing-apps';
  readonly requests: number;
  readonly failed: number;
}

/** The overlap scene: a rotation started inside a rollout's grace window, clients on the old user. */
export interface OverlapSummary {
  /** `refused` when the interlock refused it (what must happen), else the rotation's status. */
  readonly secondRotation: string;
  /** Secrets Manager's retry of the same version, once the rollout was done. */
  readonly retried: string;
  /** The rollout of the first rotation, and of the retried one. */
  readonly rollouts: readonly RolloutSummary[];
  /** Logins of the scene's clients (caching the secret), and how many failed. */
  readonly logins: number;
  readonly failedLogins: number;
}

export interface SandboxResult {
  readonly strategies: readonly StrategySummary[];
  readonly rollouts: readonly RolloutSummary[];
  /** The zero-downtime paths' clients (alternating-users and its consumers). */
  readonly clients: readonly ClientSummary[];
  readonly overlap: OverlapSummary;
  readonly durationMs: number;
}

/** The error a shared-key rollout ends with in the sandbox, by design (see README). */
export const SHARED_KEY_EXPECTED_ERROR = 'Handover.OldCredentialStillInUse';

/** Whether a rollout ended as the sandbox's story says it must ({@link RolloutSummary.asExpected}). */
export function rolloutAsExpected(
  secret: RolloutSummary['secret'],
  outcome: Pick<RolloutSummary, 'status' | 'error' | 'revoked'>,
): boolean {
  if (secret === 'shared-key')
    return outcome.status === 'SUCCEEDED' || outcome.error === SHARED_KEY_EXPECTED_ERROR;
  return outcome.revoked;
}
