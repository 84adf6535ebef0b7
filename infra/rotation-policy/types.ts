/**
 * The types of a rotation policy, derived from its schemas (`./schema.ts`) and the plug-in
 * contracts: the documentation of each field is on its schema, its contract or its target.
 */
import type { Duration } from 'aws-cdk-lib';
import type * as z from 'zod/mini';
import type { SettingsOf, StrategyOf } from '../../lambdas/credentials/contract';
import type { SecretReference } from '../../lambdas/rollout/consumers/consumer-contract';
import type { ConsumerKind, ConsumerSettings } from '../../lambdas/rollout/consumers/contracts';
import type { CredentialType } from '../../lambdas/rotation/constants';
import type { ContractOf, ROTATION_TYPES } from '../constructs/credential-types';
import type {
  alarmsSchema,
  breakGlassSchema,
  dashboardSchema,
  databaseTargetSchema,
  entryBaseShape,
  followSchema,
  functionsSchema,
  NewSecretPolicy,
  networkSchema,
  policySchema,
  readersSchema,
  rolloutSchema,
  SecretSource,
  scheduleSchema,
  usageGateSchema,
} from './schema';

export type { ConsumerKind, NewSecretPolicy, SecretReference, SecretSource };

/** `T` with every object and array read-only (a `Duration` stays a `Duration`). */
type DeepReadonly<T> = T extends Duration | ((...args: never[]) => unknown)
  ? T
  : T extends readonly (infer I)[]
    ? readonly DeepReadonly<I>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** What a policy writes for a schema. */
type PolicyInput<S extends z.ZodMiniType> = DeepReadonly<z.input<S>>;

/** Where alarms go. */
export type AlarmPolicy = PolicyInput<typeof alarmsSchema>;
/** Settings of every rotation function; a secret may override memory and timeout. */
export type FunctionPolicy = PolicyInput<typeof functionsSchema>;
/** A VPC placement, given explicitly (no lookups: synth needs no AWS account). */
export type NetworkPolicy = PolicyInput<typeof networkSchema>;
/** The rollout workflow (Step Functions) of the whole deployment. */
export type RolloutPolicy = PolicyInput<typeof rolloutSchema>;
/** The stack's CloudWatch dashboard. */
export type DashboardPolicy = PolicyInput<typeof dashboardSchema>;
/** The break-glass role for incidents. */
export type BreakGlassPolicy = PolicyInput<typeof breakGlassSchema>;
/**
 * The usage gate of the rollout workflow: after the grace window the strategy checks whether the
 * old credential is still used; while it is, the workflow waits `recheck` and checks again, and
 * after `maxChecks` checks it alarms and stops WITHOUT revoking.
 */
export type UsageGatePolicy = PolicyInput<typeof usageGateSchema>;
/**
 * Who reads a secret (CloudTrail): the source, the delivery delay an absence waits for, and the
 * principals to leave alone.
 */
export type ReadersPolicy = PolicyInput<typeof readersSchema>;
/** When a secret rotates. */
export type SchedulePolicy = PolicyInput<typeof scheduleSchema>;
/** A database secret's target. */
export type DatabasePolicy = PolicyInput<typeof databaseTargetSchema>;

/**
 * Who holds the credential: the rollout workflow points each consumer at the new version and
 * verifies it before the old credential is revoked. One kind per contract in
 * `lambdas/rollout/consumers/`.
 */
export type ConsumerPolicy = ConsumerSettings;

/** Fields every secret entry has. */
export type SecretPolicyBase = Omit<
  PolicyInput<z.ZodMiniObject<typeof entryBaseShape>>,
  'secret' | 'consumers' | 'network'
> & {
  /** The secret: `{ arn }`, `{ name }` or `{ create: {...} }`. */
  readonly secret: SecretSource;
  /**
   * Who uses the credential (the rollout workflow).
   * @default - none
   */
  readonly consumers?: readonly ConsumerPolicy[];
  /**
   * Network placement: a name from `networks`, or one inline.
   * @default - not in a VPC (database types require one)
   */
  readonly network?: string | NetworkPolicy;
};

/** How a policy names each target. */
interface TargetPolicies {
  /** The master user's secret (alternating-users): read-only for the function. */
  readonly masterSecret: SecretReference;
  /** The secret holding the provider's management credential: read-only for the function. */
  readonly managementSecret: SecretReference;
  /** The IAM user: its name (path `/`) or ARN. The function may manage this user's keys only. */
  readonly user: string;
  /** The database to open the port on. */
  readonly database: DatabasePolicy;
}

type Targets<T extends CredentialType> = (typeof ROTATION_TYPES)[T]['targets'];

/** The targets of a type: those every strategy needs are required. */
type TargetsPolicy<T extends CredentialType> = {
  readonly [F in keyof Targets<T> as Targets<T>[F] extends { readonly required: true }
    ? F
    : never]-?: F extends keyof TargetPolicies ? TargetPolicies[F] : never;
} & {
  readonly [F in keyof Targets<T> as Targets<T>[F] extends { readonly required: true }
    ? never
    : F]?: F extends keyof TargetPolicies ? TargetPolicies[F] : never;
};

type Settings<T extends CredentialType> = Readonly<SettingsOf<ContractOf<T>>>;

type IsUnion<U, All = U> = U extends unknown ? ([All] extends [U] ? false : true) : never;

/** `strategy`: required when the type has a choice (databases), optional when it has one strategy. */
type StrategyPolicy<T extends CredentialType> =
  true extends IsUnion<StrategyOf<ContractOf<T>>>
    ? { readonly strategy: StrategyOf<ContractOf<T>> }
    : { readonly strategy?: StrategyOf<ContractOf<T>> };

/** A secret of type `T`: the base fields, the type's contract settings and its targets. */
export type SecretPolicyOf<T extends CredentialType> = SecretPolicyBase & {
  readonly type: T;
} & StrategyPolicy<T> &
  Omit<Settings<T>, 'strategy'> &
  TargetsPolicy<T>;

/** One secret to rotate. */
export type SecretPolicy = { [T in CredentialType]: SecretPolicyOf<T> }[CredentialType];

/** A PostgreSQL secret (the JSON `rds.DatabaseSecret` writes). */
export type PostgresSecretPolicy = SecretPolicyOf<'postgres'>;
/** A MySQL / MariaDB secret. */
export type MysqlSecretPolicy = SecretPolicyOf<'mysql'>;
/** An IAM user's access key. */
export type IamAccessKeySecretPolicy = SecretPolicyOf<'iam-access-key'>;
/** A third-party API key. */
export type ApiKeySecretPolicy = SecretPolicyOf<'api-key'>;
/** An internal shared key (API key or HMAC secret our services verify). */
export type SharedKeySecretPolicy = SecretPolicyOf<'shared-key'>;

/** A secret Handover follows but does not rotate (an RDS-managed master user secret, another function's). */
export type FollowPolicy = Omit<PolicyInput<typeof followSchema>, 'secret' | 'consumers'> & {
  /** The secret: `{ arn }` or `{ name }`. */
  readonly secret: SecretReference;
  /**
   * Who uses the credential.
   * @default - none
   */
  readonly consumers?: readonly ConsumerPolicy[];
};

/**
 * What Handover rotates in one deployment: the secrets, how and when each rotates, where the
 * functions run, and where alarms go. Teams edit exactly one file, `infra/policy.ts`; a bad policy
 * fails `cdk synth` with one error listing every problem.
 */
export type RotationPolicy = Omit<PolicyInput<typeof policySchema>, 'secrets' | 'follow'> & {
  /** The secrets to rotate. */
  readonly secrets: readonly SecretPolicy[];
  /**
   * Secrets Handover follows but does not rotate: their rollouts start on `RotationSucceeded`.
   * @default - none
   */
  readonly follow?: readonly FollowPolicy[];
};

/**
 * Types a policy (an identity function: the value is validated when the stack is built).
 *
 * @example
 * ```ts
 * export const policy = definePolicy({
 *   secrets: [{ id: 'ci-deployer', type: 'iam-access-key', user: 'ci-deployer', secret: { arn: '...' } }],
 * });
 * ```
 */
export function definePolicy(policy: RotationPolicy): RotationPolicy {
  return policy;
}
