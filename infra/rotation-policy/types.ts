import type { Duration } from 'aws-cdk-lib';
import type {
  DatabaseTlsMode,
  IamActivePreviousKey,
  MysqlStrategy,
  PostgresStrategy,
  RotationSettings,
} from '../constructs/credential-types';

/**
 * What Handover rotates in one deployment: the secrets, how and when each rotates, where the
 * functions run, and where alarms go. Teams edit exactly one file, `infra/policy.ts`; a bad policy
 * fails `cdk synth` with one error listing every problem.
 */
export interface RotationPolicy {
  /**
   * The CloudFormation stack name.
   * @default 'Handover'
   */
  readonly stackName?: string;
  /**
   * Account and region. Secrets must live in the stack's region (Secrets Manager invokes rotation
   * functions in its own region).
   * @default - environment-agnostic: the account and region of the credentials `cdk deploy` runs with
   */
  readonly env?: { readonly account?: string; readonly region?: string };
  /**
   * Tags on every resource of the stack.
   * @default - none
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Alarms.
   * @default - on, to a new encrypted SNS topic with no subscription
   */
  readonly alarms?: AlarmPolicy;
  /**
   * Settings of every rotation function.
   * @default - 256 MiB, the type's timeout, one year of logs, a new role per function
   */
  readonly functions?: FunctionPolicy;
  /**
   * Named network placements the secrets refer to by name.
   * @default - none
   */
  readonly networks?: Readonly<Record<string, NetworkPolicy>>;
  /**
   * The rollout workflow that carries each new credential to its consumers.
   * @default - on, milestone events on the default bus
   */
  readonly rollout?: RolloutPolicy;
  /** The secrets to rotate. */
  readonly secrets: readonly SecretPolicy[];
}

/** Where alarms go. */
export interface AlarmPolicy {
  /**
   * Alarms on: function errors, the engine's RotationFailed metric per credential type, and the
   * Secrets Manager RotationFailed event.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Email addresses subscribed to the alarm topic (each confirms by email).
   * @default - none
   */
  readonly emails?: readonly string[];
  /**
   * An existing SNS topic to notify instead of creating one.
   * @default - a new topic, encrypted with a new KMS key, TLS only
   */
  readonly topicArn?: string;
  /**
   * The runbook every alarm description links to (`<runbookUrl>#runbook-<alarm-id>`), e.g. your
   * repository's README URL.
   * @default 'README.md'
   */
  readonly runbookUrl?: string;
  /**
   * AWS Config rules per secret: older than its policy allows (interval plus grace), or a scheduled
   * rotation that did not complete (AWSPENDING stuck). Needs an AWS Config recorder in the account
   * and complete secret ARNs.
   * @default false
   */
  readonly secretAgeChecks?: boolean;
}

/** Settings of every rotation function; a secret may override memory and timeout. */
export interface FunctionPolicy {
  /**
   * Memory, in MiB (128 to 10240).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout of one rotation step.
   * @default - per type: 60 s (databases), 120 s (IAM access keys), 90 s (API keys), 30 s (shared keys)
   */
  readonly timeout?: Duration;
  /**
   * Log retention in days (one of CloudWatch's values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180,
   * 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * A permissions boundary (managed policy ARN) on every role the stack creates.
   * @default - none
   */
  readonly permissionsBoundaryArn?: string;
  /**
   * Bring your own execution role for every function (its ARN). The stack adds the functions'
   * least-privilege statements to it as an inline policy.
   * @default - a new role per function
   */
  readonly roleArn?: string;
}

/** A VPC placement, given explicitly (no lookups: synth needs no AWS account). */
export interface NetworkPolicy {
  /** `vpc-...` */
  readonly vpcId: string;
  /** Private subnets (`subnet-...`), one per availability zone you want the function in. */
  readonly subnetIds: readonly string[];
  /**
   * Availability zones of `subnetIds`, in the same order.
   * @default - not needed (subnets are given explicitly)
   */
  readonly availabilityZones?: readonly string[];
  /**
   * Extra security groups (`sg-...`) attached to the functions besides their own.
   * @default - none
   */
  readonly securityGroupIds?: readonly string[];
  /**
   * The Secrets Manager interface endpoint of the VPC (private DNS on) and its security group.
   * @default - none: then `natGateway` must be true, or synth warns that the function cannot reach Secrets Manager
   */
  readonly secretsManagerEndpoint?: { readonly endpointId: string; readonly securityGroupId: string };
  /**
   * The subnets route to the internet through a NAT gateway.
   * @default false
   */
  readonly natGateway?: boolean;
}

/** An existing secret, by complete ARN (preferred) or name, and its KMS key if it has its own. */
export type SecretReference = (
  | { readonly arn: string; readonly name?: never }
  | { readonly name: string; readonly arn?: never }
) & {
  /**
   * The customer-managed KMS key (key ARN) the secret is encrypted with.
   * @default - the AWS managed key `aws/secretsmanager`
   */
  readonly kmsKeyArn?: string;
};

/** A secret the stack creates (then stores nothing secret in the template). */
export interface NewSecretPolicy {
  /**
   * The secret name.
   * @default - a name CloudFormation generates
   */
  readonly name?: string;
  /**
   * A description.
   * @default - names the policy entry
   */
  readonly description?: string;
  /**
   * Non-secret fields of the initial JSON value (host, port, username, ...). Never put a
   * credential here: it would be in the template.
   * @default {}
   */
  readonly template?: Readonly<Record<string, string | number | boolean>>;
  /**
   * A field Secrets Manager fills with a random string at creation (e.g. `password`).
   * @default - none
   */
  readonly generateKey?: string;
  /**
   * The customer-managed KMS key (key ARN) to encrypt the secret with.
   * @default - the AWS managed key `aws/secretsmanager`
   */
  readonly kmsKeyArn?: string;
}

/** The secret of a policy entry: an existing one, or one the stack creates. */
export type SecretSource = SecretReference | { readonly create: NewSecretPolicy };

/** When a secret rotates. */
export interface SchedulePolicy {
  /**
   * `rate(<n> hours|days)` or `cron(<6 fields>)`, in UTC.
   * @default - `rate(<type default>)`: 30 days for database passwords, 90 for IAM access keys and shared keys, 180 for third-party API keys
   */
  readonly expression?: string;
  /**
   * The rotation window (whole hours, 1 to 24), which CDK's `automaticallyAfter` cannot express.
   * @default - 4 hours
   */
  readonly window?: Duration;
}

/**
 * Who holds the credential: the rollout workflow points each consumer at the new version and
 * verifies it before the old credential is revoked.
 */
export type ConsumerPolicy = (
  | {
      readonly kind: 'lambda';
      /** The function's name or ARN. */
      readonly functionName: string;
      /**
       * The environment variable set to the new version id (new environments read the new value).
       * @default 'HANDOVER_SECRET_VERSION'
       */
      readonly environmentVariable?: string;
    }
  | { readonly kind: 'ecs-service'; readonly cluster: string; readonly service: string }
  | {
      readonly kind: 'ssm-parameter';
      /** The SecureString parameter mirroring the secret value. */
      readonly parameterName: string;
      /**
       * The customer-managed KMS key (key ARN) encrypting the parameter.
       * @default - the AWS managed key `alias/aws/ssm`
       */
      readonly kmsKeyArn?: string;
    }
  | {
      readonly kind: 'event';
      readonly name: string;
      /**
       * The bus the event goes to (name).
       * @default 'default'
       */
      readonly eventBusName?: string;
      /**
       * How long the consumer has to acknowledge (SendTaskSuccess), 1 second to 7 days.
       * @default Duration.hours(1)
       */
      readonly timeout?: Duration;
    }
  | {
      readonly kind: 'webhook';
      /** An https:// URL. */
      readonly url: string;
      /**
       * The secret whose value is the HMAC signing key (32 characters at least). The receiver
       * verifies every request with it.
       * @default - a secret the stack creates with a random 64-character key (`handover/webhook-signing/<entry id>/<consumer name>`)
       */
      readonly signingSecret?: SecretReference;
      /**
       * The deadline for a 2xx answer, 100 ms to 60 seconds.
       * @default Duration.seconds(10)
       */
      readonly timeout?: Duration;
    }
) & {
  /**
   * Part of the canary wave (updated and verified before the others).
   * @default false
   */
  readonly canary?: boolean;
  /**
   * The consumer's name in logs, metrics, events and notifications (unique per secret; 1 to 128 of
   * A-Z a-z 0-9 . _ -). Event consumers must name themselves.
   * @default - from the target: the function name, the service name, the parameter name with "/" as
   * ".", the webhook's host name
   */
  readonly name?: string;
};
export type ConsumerKind = ConsumerPolicy['kind'];

/**
 * The usage gate of the rollout workflow: after the grace window the strategy checks whether the
 * old credential is still used; while it is, the workflow waits `recheck` and checks again, and
 * after `maxChecks` checks it alarms and stops WITHOUT revoking.
 */
export interface UsageGatePolicy {
  /**
   * Time between checks (1 minute to 7 days).
   * @default Duration.hours(1)
   */
  readonly recheck?: Duration;
  /**
   * Checks before giving up (1 to 1000).
   * @default 24
   */
  readonly maxChecks?: number;
}

/** The rollout workflow (Step Functions) of the whole deployment. */
export interface RolloutPolicy {
  /**
   * Build the rollout workflow: the state machine, its trigger on Secrets Manager's
   * RotationSucceeded event, the per-secret configuration parameters, and its alarms.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * The EventBridge bus the workflow's milestone events go to (name).
   * @default 'default'
   */
  readonly eventBusName?: string;
}

/** Fields every secret entry has. */
export interface SecretPolicyBase {
  /** A stable id (letters, digits, hyphens; starts with a letter): construct ids derive from it. */
  readonly id: string;
  /** The secret: `{ arn }`, `{ name }` or `{ create: {...} }`. */
  readonly secret: SecretSource;
  /**
   * When it rotates.
   * @default - the type's default interval, 4-hour window
   */
  readonly schedule?: SchedulePolicy;
  /**
   * Rotate as soon as the schedule is deployed; otherwise Secrets Manager only tests the
   * configuration at deploy time.
   * @default false
   */
  readonly rotateImmediately?: boolean;
  /**
   * Deploy everything except the rotation schedule: for a secret this stack creates, until its
   * first real credential is stored, or to stop rotations during an incident.
   * @default false
   */
  readonly paused?: boolean;
  /**
   * How long the old credential stays valid after consumers moved (the rollout workflow).
   * @default Duration.hours(24)
   */
  readonly grace?: Duration;
  /**
   * Who uses the credential (the rollout workflow).
   * @default - none
   */
  readonly consumers?: readonly ConsumerPolicy[];
  /**
   * How the rollout workflow proves the old credential unused before revoking it.
   * @default - re-check every hour, 24 times at most
   */
  readonly usageGate?: UsageGatePolicy;
  /**
   * Consumers updated at once in the main wave (1 to 40).
   * @default 4
   */
  readonly consumerConcurrency?: number;
  /**
   * Network placement: a name from `networks`, or one inline.
   * @default - not in a VPC (database types require one)
   */
  readonly network?: string | NetworkPolicy;
  /**
   * Memory of this secret's function, in MiB (overrides `functions.memorySize`).
   * @default - `functions.memorySize`
   */
  readonly memorySize?: number;
  /**
   * Timeout of this secret's function (overrides `functions.timeout`).
   * @default - `functions.timeout`
   */
  readonly timeout?: Duration;
}

/** A database secret's target. */
export interface DatabasePolicy {
  /** The security group of the database (`sg-...`): it gets an ingress rule from the function. */
  readonly securityGroupId: string;
  /**
   * The port.
   * @default - 5432 (PostgreSQL), 3306 (MySQL)
   */
  readonly port?: number;
}

/** Fields of both database types. */
interface DatabaseSecretFields {
  /**
   * The master user's secret (alternating-users): read-only for the function.
   * @default - none
   */
  readonly masterSecret?: SecretReference;
  /**
   * The database to open the port on.
   * @default - no security group rule
   */
  readonly database?: DatabasePolicy;
  /**
   * @default 'verify-full'
   */
  readonly tlsMode?: DatabaseTlsMode;
  /**
   * @default 32
   */
  readonly passwordLength?: number;
  /**
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
}

/** A PostgreSQL secret (the JSON `rds.DatabaseSecret` writes). */
export interface PostgresSecretPolicy extends SecretPolicyBase, DatabaseSecretFields {
  readonly type: 'postgres';
  readonly strategy: PostgresStrategy;
}

/** A MySQL / MariaDB secret. */
export interface MysqlSecretPolicy extends SecretPolicyBase, DatabaseSecretFields {
  readonly type: 'mysql';
  readonly strategy: MysqlStrategy;
}

/** An IAM user's access key. */
export interface IamAccessKeySecretPolicy extends SecretPolicyBase {
  readonly type: 'iam-access-key';
  /**
   * @default 'access-key'
   */
  readonly strategy?: 'access-key';
  /** The IAM user: its name (path `/`) or ARN. The function may manage this user's keys only. */
  readonly user: string;
  /**
   * @default 30000
   */
  readonly testTimeoutMs?: number;
  /**
   * @default 'fail'
   */
  readonly activePreviousKey?: IamActivePreviousKey;
}

/** A third-party API key. */
export interface ApiKeySecretPolicy extends SecretPolicyBase {
  readonly type: 'api-key';
  /**
   * @default 'provider-key'
   */
  readonly strategy?: 'provider-key';
  /** The secret holding the provider's management credential: read-only for the function. */
  readonly managementSecret: SecretReference;
  /**
   * @default - the providers' public endpoints
   */
  readonly providerBaseUrls?: RotationSettings['providerBaseUrls'];
  /**
   * @default - none
   */
  readonly httpServices?: RotationSettings['httpServices'];
  /**
   * @default 10000
   */
  readonly requestTimeoutMs?: number;
}

/** An internal shared key (API key or HMAC secret our services verify). */
export interface SharedKeySecretPolicy extends SecretPolicyBase {
  readonly type: 'shared-key';
  /**
   * @default 'verifier'
   */
  readonly strategy?: 'verifier';
  /**
   * @default 'Handover'
   */
  readonly metricsNamespace?: string;
  /**
   * @default true
   */
  readonly requireVerifierHeartbeat?: boolean;
}

/** One secret to rotate. */
export type SecretPolicy =
  | PostgresSecretPolicy
  | MysqlSecretPolicy
  | IamAccessKeySecretPolicy
  | ApiKeySecretPolicy
  | SharedKeySecretPolicy;

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
