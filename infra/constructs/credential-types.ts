import { ArnFormat, Duration, type Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { apiKeyContract } from '../../lambdas/credentials/api-key/contract';
import type { CredentialContract, SettingsOf, StrategyOf } from '../../lambdas/credentials/contract';
import { iamAccessKeyContract } from '../../lambdas/credentials/iam-access-key/contract';
import { mysqlContract } from '../../lambdas/credentials/mysql/contract';
import { postgresContract } from '../../lambdas/credentials/postgres/contract';
import { sharedKeyContract } from '../../lambdas/credentials/shared-key/contract';
import type { CredentialType } from '../../lambdas/rotation/constants';

/** The resources one secret points at; each type uses the fields its spec lists in `targets`. */
export interface RotationTarget {
  /**
   * Master user's secret (alternating users): read-only.
   * @default - none
   */
  readonly masterSecret?: secretsmanager.ISecret;
  /**
   * The IAM user whose keys rotate.
   * @default - none
   */
  readonly user?: iam.IUser;
  /**
   * The provider's management credential (api-key): read-only.
   * @default - none
   */
  readonly managementSecret?: secretsmanager.ISecret;
  /**
   * The database security group and port to open from the function.
   * @default - none
   */
  readonly database?: { readonly securityGroup: ec2.ISecurityGroup; readonly port: number };
}
export type TargetField = keyof RotationTarget;

/** How a credential type uses one target. */
export interface TargetUse<Strategy extends string = string> {
  /**
   * Every strategy of the type needs the target.
   * @default false
   */
  readonly required?: boolean;
  /**
   * Only these strategies use the target, and they need it.
   * @default - every strategy may use it
   */
  readonly strategies?: readonly Strategy[];
}

/** One thing wrong with settings or targets: the field, the value received and what is allowed. */
export interface SpecProblem {
  readonly field: string;
  readonly received: string;
  readonly allowed: string;
}

/** What a spec's grant functions get. */
export interface GrantContext {
  /** The function's role (or the function, as a grantable). */
  readonly grantee: iam.IGrantable;
  /** Where to acknowledge cdk-nag findings the grant causes (the function's role policy). */
  readonly acknowledgeOn: IConstruct;
  readonly stack: Stack;
}

/**
 * Everything infra needs to know about deploying a credential type besides its contract: one entry
 * per type in {@link ROTATION_TYPES}. The Lambda entry is the type's `handler.ts`.
 */
export interface CredentialTypeSpec<C extends CredentialContract = CredentialContract> {
  /** The type's contract: strategies, settings and their environment (`lambdas/credentials/<type>/contract.ts`). */
  readonly contract: C;
  /** One line for the function description. */
  readonly title: string;
  /** The rotation interval when the policy gives no schedule. */
  readonly defaultInterval: Duration;
  /** Function timeout (a rotation step is one invocation). */
  readonly timeout: Duration;
  /**
   * The shortest timeout that leaves the step room to finish with these settings (as given).
   * @default - any timeout of at least 1 second
   */
  minTimeout?(settings: SettingsOf<C>): Duration;
  /** `required`: the target lives in a VPC (databases); `optional`: a VPC only if you ask. */
  readonly network: 'required' | 'optional';
  /**
   * Why the function needs the internet besides Secrets Manager (a VPC without NAT breaks it).
   * @default - it needs Secrets Manager only
   */
  readonly internetEgress?: string;
  /**
   * The database port when the policy names none.
   * @default - not a database type
   */
  readonly defaultPort?: number;
  /** The per-secret targets the type uses, and which strategies need them. */
  readonly targets: { readonly [F in TargetField]?: TargetUse<StrategyOf<C>> };
  /** Least-privilege permissions for one secret's targets (the rotated secret itself is granted by the caller). */
  grantTarget(target: RotationTarget, ctx: GrantContext): void;
  /**
   * Permissions on the rotated secret beyond the four calls of the rotation protocol.
   * @default - none
   */
  grantSecret?(secretArn: string, ctx: GrantContext): void;
  /**
   * Function-level permissions, whatever the secret.
   * @default - none
   */
  grantFunction?(ctx: GrantContext): void;
}

/** The targets a strategy of a type needs, and those it may use. */
export function targetsOf(
  spec: CredentialTypeSpec,
  strategy: string,
): { readonly required: readonly TargetField[]; readonly allowed: readonly TargetField[] } {
  const uses = Object.entries(spec.targets) as Array<[TargetField, TargetUse]>;
  const usedBy = (use: TargetUse) => use.strategies === undefined || use.strategies.includes(strategy);
  return {
    required: uses
      .filter(([, use]) => use.required === true || (use.strategies?.includes(strategy) ?? false))
      .map(([field]) => field),
    allowed: uses.filter(([, use]) => usedBy(use)).map(([field]) => field),
  };
}

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/**
 * The ARN to name a secret by in policies: its complete ARN, or (a secret imported by name or
 * partial ARN) the partial ARN followed by `-??????`, the six characters Secrets Manager appends.
 */
export function secretArnForPolicies(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? `${secret.secretArn}-??????`;
}

/** `GetSecretValue` on a secret, and `kms:Decrypt` of its key through Secrets Manager only. */
export function grantSecretReadOnly(secret: secretsmanager.ISecret, ctx: GrantContext): void {
  iam.Grant.addToPrincipal({
    grantee: ctx.grantee,
    actions: ['secretsmanager:GetSecretValue'],
    resourceArns: [secretArnForPolicies(secret)],
  });
  if (secret.encryptionKey !== undefined) {
    iam.Grant.addToPrincipal({
      grantee: ctx.grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [secret.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': secretsManagerService(ctx.stack) } },
    });
  }
}

/** `secretsmanager.<region>.amazonaws.com`: the only way the functions may use a secret's KMS key. */
export function secretsManagerService(stack: Stack): string {
  return `secretsmanager.${stack.region}.${stack.urlSuffix}`;
}

function databaseSpec<C extends typeof postgresContract | typeof mysqlContract>(
  contract: C,
  title: string,
  defaultPort: number,
): CredentialTypeSpec<C> {
  return {
    contract,
    title,
    defaultInterval: Duration.days(30),
    timeout: Duration.seconds(60),
    network: 'required',
    defaultPort,
    targets: { masterSecret: { strategies: ['alternating-users'] }, database: {} },
    grantTarget: (target, ctx) => {
      if (target.masterSecret === undefined) return;
      grantSecretReadOnly(target.masterSecret, ctx);
      // The tags of an RDS-managed master secret (aws:rds:primaryDBInstanceArn / ...ClusterArn) name
      // the instance or cluster its user belongs to, when the secret holds no host.
      iam.Grant.addToPrincipal({
        grantee: ctx.grantee,
        actions: ['secretsmanager:DescribeSecret'],
        resourceArns: [secretArnForPolicies(target.masterSecret)],
      });
    },
    grantFunction: (ctx) => grantRdsDescribe(contract.id, ctx),
  };
}

/**
 * `rds:DescribeDBInstances` and `rds:DescribeDBClusters`, read-only, on this account's and region's
 * instances and clusters: secrets may name `dbInstanceIdentifier` / `dbClusterIdentifier` instead of
 * a host, and a secret on a read replica needs its writer. The identifiers live in the secret values,
 * unknown at synth time, so the resource is `db:*` / `cluster:*` of this account and region (RDS
 * supports no narrower scope for an identifier it does not know), acknowledged for cdk-nag.
 */
function grantRdsDescribe(type: string, ctx: GrantContext): void {
  const arn = (resource: 'db' | 'cluster') =>
    ctx.stack.formatArn({
      service: 'rds',
      resource,
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  iam.Grant.addToPrincipal({
    grantee: ctx.grantee,
    actions: ['rds:DescribeDBInstances'],
    resourceArns: [arn('db')],
  });
  iam.Grant.addToPrincipal({
    grantee: ctx.grantee,
    actions: ['rds:DescribeDBClusters'],
    resourceArns: [arn('cluster')],
  });
  for (const resource of ['db', 'cluster'] as const) {
    Validations.of(ctx.acknowledgeOn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${rdsWildcardForNag(ctx.stack, resource)}]`,
      reason:
        `${type}: rds:DescribeDBInstances / rds:DescribeDBClusters on every ${resource === 'db' ? 'DB instance' : 'DB cluster'} ` +
        "of this account and region, read-only: the rotation function reads the endpoint of the instance or cluster a secret names (dbInstanceIdentifier / dbClusterIdentifier, or an RDS-managed master secret's tag) and the writer of a read replica; the identifiers are in the secret values, not known at synth time, so no narrower resource exists.",
    });
  }
}

/** How cdk-nag writes the wildcard resource of {@link grantRdsDescribe} in a finding id. */
function rdsWildcardForNag(stack: Stack, resource: 'db' | 'cluster'): string {
  const part = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
  return `arn:<AWS::Partition>:rds:${part(stack.region, 'AWS::Region')}:${part(stack.account, 'AWS::AccountId')}:${resource}:*`;
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

/**
 * Every credential type and how to deploy it: its contract (strategies, settings, environment), the
 * exact permissions, whether it needs a VPC, its defaults. An exhaustive record over
 * `CREDENTIAL_TYPES`: a new type does not compile until it has an entry here.
 */
export const ROTATION_TYPES = {
  postgres: databaseSpec(postgresContract, 'PostgreSQL password rotation', 5432),
  mysql: databaseSpec(mysqlContract, 'MySQL / MariaDB password rotation', 3306),
  'iam-access-key': {
    contract: iamAccessKeyContract,
    title: 'IAM access key rotation',
    defaultInterval: Duration.days(90),
    // testSecret retries STS for up to testTimeoutMs (default 30 s) while a new key propagates.
    timeout: Duration.seconds(120),
    minTimeout: (settings) =>
      Duration.millis(
        Number(settings.testTimeoutMs ?? iamAccessKeyContract.settings.testTimeoutMs.defaultValue) + 30_000,
      ),
    network: 'optional',
    internetEgress: 'it calls IAM (iam.amazonaws.com, which has no VPC endpoint in most regions) and STS',
    targets: { user: { required: true } },
    grantTarget: (target, ctx) => {
      if (target.user === undefined) return;
      // Exactly the named user's keys: createSecret (List, Create, Delete), testSecret (GetUser),
      // and the rollout's usage check, revoke and restore (GetAccessKeyLastUsed, UpdateAccessKey).
      iam.Grant.addToPrincipal({
        grantee: ctx.grantee,
        actions: [
          'iam:CreateAccessKey',
          'iam:ListAccessKeys',
          'iam:UpdateAccessKey',
          'iam:DeleteAccessKey',
          'iam:GetAccessKeyLastUsed',
          'iam:GetUser',
        ],
        resourceArns: [target.user.userArn],
      });
    },
    grantFunction: (ctx) => {
      // inUse names the callers of the old key: CloudTrail events signed with it.
      iam.Grant.addToPrincipal({
        grantee: ctx.grantee,
        actions: ['cloudtrail:LookupEvents'],
        resourceArns: ['*'],
      });
      Validations.of(ctx.acknowledgeOn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'iam-access-key: cloudtrail:LookupEvents supports no resource-level permissions (IAM service authorization reference: no resource type), so it cannot be scoped; the function only reads the management events signed with the old access key, to name who still uses it, read-only.',
      });
    },
  },
  'api-key': {
    contract: apiKeyContract,
    title: 'Third-party API key rotation',
    defaultInterval: Duration.days(180),
    timeout: Duration.seconds(90),
    minTimeout: (settings) =>
      Duration.millis(
        Number(settings.requestTimeoutMs ?? apiKeyContract.settings.requestTimeoutMs.defaultValue) * 2 +
          30_000,
      ),
    network: 'optional',
    internetEgress: "the providers' management APIs are on the internet",
    targets: { managementSecret: { required: true } },
    grantTarget: (target, ctx) => {
      if (target.managementSecret !== undefined) grantSecretReadOnly(target.managementSecret, ctx);
    },
  },
  'shared-key': {
    contract: sharedKeyContract,
    title: 'Shared key rotation',
    defaultInterval: Duration.days(90),
    timeout: Duration.seconds(30),
    network: 'optional',
    targets: {},
    grantSecret: (secretArn, ctx) => {
      // revoke / restore move AWSPREVIOUS after listing the versions (UpdateSecretVersionStage is
      // granted for every type).
      iam.Grant.addToPrincipal({
        grantee: ctx.grantee,
        actions: ['secretsmanager:ListSecretVersionIds'],
        resourceArns: [secretArn],
      });
    },
    grantTarget: () => {},
    grantFunction: (ctx) => {
      // inUse reads the verifiers' previous-key metrics, and lists the callers they name.
      iam.Grant.addToPrincipal({
        grantee: ctx.grantee,
        actions: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'],
        resourceArns: ['*'],
      });
      Validations.of(ctx.acknowledgeOn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "shared-key: cloudwatch:GetMetricData supports no resource-level permissions or namespace condition, nor does cloudwatch:ListMetrics (IAM service authorization reference: no resource type), so they cannot be scoped; the function only reads the verifiers' previous-key metrics (and the callers they name) to tell whether the old key is still accepted, read-only.",
      });
    },
  },
} as const satisfies { readonly [T in CredentialType]: CredentialTypeSpec<CredentialContract<T>> };

/** The contract of a credential type. */
export type ContractOf<T extends CredentialType> = (typeof ROTATION_TYPES)[T]['contract'];

/** The settings a rotation of type `T` takes (the documented settings interface of its contract). */
export type RotationSettingsOf<T extends CredentialType> = T extends CredentialType
  ? Readonly<SettingsOf<ContractOf<T>>>
  : never;

/** The spec of a type, for code that handles every type alike. */
export function specOf(type: CredentialType): CredentialTypeSpec {
  return ROTATION_TYPES[type] as unknown as CredentialTypeSpec;
}
