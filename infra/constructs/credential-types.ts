import { ArnFormat, Duration, type Stack, Token, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { CREDENTIAL_TYPES, type CredentialType } from '../../lambdas/rotation/constants';
import { credentialHandlerEntry } from '../paths';

/** How a database rotation connects (see `lambdas/credentials/postgres/tls.ts`). */
export const DATABASE_TLS_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type DatabaseTlsMode = (typeof DATABASE_TLS_MODES)[number];

export const POSTGRES_STRATEGIES = ['single-user', 'alternating-users'] as const;
export type PostgresStrategy = (typeof POSTGRES_STRATEGIES)[number];
export const MYSQL_STRATEGIES = ['single-user', 'alternating-users', 'dual-password'] as const;
export type MysqlStrategy = (typeof MYSQL_STRATEGIES)[number];
export const IAM_ACTIVE_PREVIOUS_KEY = ['fail', 'delete'] as const;
export type IamActivePreviousKey = (typeof IAM_ACTIVE_PREVIOUS_KEY)[number];
/** Providers of the api-key Lambda (`PROVIDER_IDS` in `lambdas/credentials/api-key/provider.ts`). */
export const API_KEY_PROVIDERS = ['sendgrid', 'twilio', 'http'] as const;

/**
 * Function-level settings: everything that ends up in the function's environment, so every secret
 * a function rotates shares them. Each type reads the fields its spec lists in `settings`.
 */
export interface RotationSettings {
  /**
   * The strategy (variant) of the credential type.
   * @default - the type's default strategy
   */
  readonly strategy?: string;
  /**
   * Databases: TLS mode (`HANDOVER_TLS_MODE`).
   * @default 'verify-full'
   */
  readonly tlsMode?: DatabaseTlsMode;
  /**
   * Databases: password length, 16 to 128 (`HANDOVER_PASSWORD_LENGTH`).
   * @default 32
   */
  readonly passwordLength?: number;
  /**
   * Databases: connection timeout in milliseconds, 100 to 60000 (`HANDOVER_CONNECT_TIMEOUT_MS`).
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * IAM access keys: how long testSecret retries STS while a new key propagates, in milliseconds,
   * 0 to 900000 (`HANDOVER_IAM_TEST_TIMEOUT_MS`).
   * @default 30000
   */
  readonly testTimeoutMs?: number;
  /**
   * IAM access keys: what createSecret does when the AWSPREVIOUS key still holds the user's second
   * slot and is Active: `fail` or `delete` (`HANDOVER_IAM_ACTIVE_PREVIOUS_KEY`).
   * @default 'fail'
   */
  readonly activePreviousKey?: IamActivePreviousKey;
  /**
   * API keys: other base URLs of the built-in providers, e.g. SendGrid's EU endpoint
   * (`HANDOVER_API_KEY_SENDGRID_BASE_URL`, `HANDOVER_API_KEY_TWILIO_BASE_URL`).
   * @default - the providers' public endpoints
   */
  readonly providerBaseUrls?: { readonly sendgrid?: string; readonly twilio?: string };
  /**
   * API keys: the generic HTTP services (`HANDOVER_API_KEY_HTTP_SERVICES`, JSON; see the api-key
   * README section for the shape).
   * @default - none
   */
  readonly httpServices?: Readonly<Record<string, unknown>>;
  /**
   * API keys: timeout of one provider request in milliseconds, 1 to 120000
   * (`HANDOVER_API_KEY_REQUEST_TIMEOUT_MS`).
   * @default 10000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Shared keys: the namespace the verifiers publish metrics to
   * (`HANDOVER_SHARED_KEY_METRICS_NAMESPACE`).
   * @default 'Handover'
   */
  readonly metricsNamespace?: string;
  /**
   * Shared keys: require the verifiers' heartbeat metric before calling the previous key unused
   * (`HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT`).
   * @default true
   */
  readonly requireVerifierHeartbeat?: boolean;
}
export type SettingField = Exclude<keyof RotationSettings, 'strategy'>;

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

/** Everything infra needs to know about a credential type: one entry per type in {@link ROTATION_TYPES}. */
export interface RotationTypeSpec {
  /** The Lambda entry (`lambdas/credentials/<type>/handler.ts`). */
  readonly entry: string;
  /** One line for the function description. */
  readonly title: string;
  /** Strategies (variants) the type's Lambda accepts. */
  readonly strategies: readonly string[];
  /** The strategy when none is given. */
  readonly defaultStrategy: string;
  /** The rotation interval when the policy gives no schedule. */
  readonly defaultInterval: Duration;
  /** Function timeout (a rotation step is one invocation). */
  readonly timeout: Duration;
  /**
   * The shortest timeout that leaves the step room to finish with these settings.
   * @default - any timeout of at least 1 second
   */
  minTimeout?(settings: RotationSettings): Duration;
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
  /** Function-level settings the type reads. */
  readonly settings: readonly SettingField[];
  /** Per-secret targets by strategy: which are required, which are allowed. */
  targets(strategy: string): {
    readonly required: readonly TargetField[];
    readonly allowed: readonly TargetField[];
  };
  /** Checks values of the settings (the fields are already known to be allowed). */
  validateSettings(settings: RotationSettings): SpecProblem[];
  /** The function's environment (the type's `env.ts` reads it). */
  environment(settings: RotationSettings): Record<string, string>;
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

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

const PASSWORD_LENGTH = { min: 16, max: 128 } as const;
const CONNECT_TIMEOUT_MS = { min: 100, max: 60_000 } as const;

function intProblem(
  field: string,
  value: number | undefined,
  range: { min: number; max: number },
): SpecProblem[] {
  if (value === undefined || (Number.isInteger(value) && value >= range.min && value <= range.max)) return [];
  return [{ field, received: String(value), allowed: `an integer from ${range.min} to ${range.max}` }];
}

function enumProblem(field: string, value: string | undefined, allowed: readonly string[]): SpecProblem[] {
  if (value === undefined || allowed.includes(value)) return [];
  return [{ field, received: JSON.stringify(value), allowed: `one of ${allowed.join(', ')}` }];
}

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

function databaseSpec(
  type: 'postgres' | 'mysql',
  strategies: readonly string[],
  modeVariable: string,
  defaultPort: number,
  masterStrategies: readonly string[],
): RotationTypeSpec {
  return {
    entry: credentialHandlerEntry(type),
    title: type === 'postgres' ? 'PostgreSQL password rotation' : 'MySQL / MariaDB password rotation',
    strategies,
    defaultStrategy: 'single-user',
    defaultInterval: Duration.days(30),
    timeout: Duration.seconds(60),
    network: 'required',
    defaultPort,
    settings: ['tlsMode', 'passwordLength', 'connectTimeoutMs'],
    targets: (strategy) =>
      masterStrategies.includes(strategy)
        ? { required: ['masterSecret'], allowed: ['masterSecret', 'database'] }
        : { required: [], allowed: ['database'] },
    validateSettings: (settings) => [
      ...enumProblem('tlsMode', settings.tlsMode, DATABASE_TLS_MODES),
      ...intProblem('passwordLength', settings.passwordLength, PASSWORD_LENGTH),
      ...intProblem('connectTimeoutMs', settings.connectTimeoutMs, CONNECT_TIMEOUT_MS),
    ],
    environment: (settings) => ({
      [modeVariable]: settings.strategy ?? 'single-user',
      HANDOVER_TLS_MODE: settings.tlsMode ?? 'verify-full',
      ...(settings.passwordLength !== undefined && {
        HANDOVER_PASSWORD_LENGTH: String(settings.passwordLength),
      }),
      ...(settings.connectTimeoutMs !== undefined && {
        HANDOVER_CONNECT_TIMEOUT_MS: String(settings.connectTimeoutMs),
      }),
    }),
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
    grantFunction: (ctx) => grantRdsDescribe(type, ctx),
  };
}

/**
 * `rds:DescribeDBInstances` and `rds:DescribeDBClusters`, read-only, on this account's and region's
 * instances and clusters: secrets may name `dbInstanceIdentifier` / `dbClusterIdentifier` instead of
 * a host, and a secret on a read replica needs its writer. The identifiers live in the secret values,
 * unknown at synth time, so the resource is `db:*` / `cluster:*` of this account and region (RDS
 * supports no narrower scope for an identifier it does not know), acknowledged for cdk-nag.
 */
function grantRdsDescribe(type: 'postgres' | 'mysql', ctx: GrantContext): void {
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
 * Every credential type and how to deploy it: the Lambda entry, the environment built from the
 * policy, the exact permissions, whether it needs a VPC, its defaults. An exhaustive `Record` over
 * `CREDENTIAL_TYPES`: a new type does not compile until it has an entry here, and adding one is
 * this one entry.
 */
export const ROTATION_TYPES: Readonly<Record<CredentialType, RotationTypeSpec>> = {
  postgres: databaseSpec('postgres', POSTGRES_STRATEGIES, 'HANDOVER_POSTGRES_MODE', 5432, [
    'alternating-users',
  ]),
  mysql: databaseSpec('mysql', MYSQL_STRATEGIES, 'HANDOVER_MYSQL_MODE', 3306, ['alternating-users']),
  'iam-access-key': {
    entry: credentialHandlerEntry('iam-access-key'),
    title: 'IAM access key rotation',
    strategies: ['access-key'],
    defaultStrategy: 'access-key',
    defaultInterval: Duration.days(90),
    // testSecret retries STS for up to testTimeoutMs (default 30 s) while a new key propagates.
    timeout: Duration.seconds(120),
    minTimeout: (settings) => Duration.millis((settings.testTimeoutMs ?? 30_000) + 30_000),
    network: 'optional',
    internetEgress: 'it calls IAM (iam.amazonaws.com, which has no VPC endpoint in most regions) and STS',
    settings: ['testTimeoutMs', 'activePreviousKey'],
    targets: () => ({ required: ['user'], allowed: ['user'] }),
    validateSettings: (settings) => [
      ...intProblem('testTimeoutMs', settings.testTimeoutMs, { min: 0, max: 900_000 }),
      ...enumProblem('activePreviousKey', settings.activePreviousKey, IAM_ACTIVE_PREVIOUS_KEY),
    ],
    environment: (settings) => ({
      ...(settings.testTimeoutMs !== undefined && {
        HANDOVER_IAM_TEST_TIMEOUT_MS: String(settings.testTimeoutMs),
      }),
      ...(settings.activePreviousKey !== undefined && {
        HANDOVER_IAM_ACTIVE_PREVIOUS_KEY: settings.activePreviousKey,
      }),
    }),
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
  },
  'api-key': {
    entry: credentialHandlerEntry('api-key'),
    title: 'Third-party API key rotation',
    strategies: ['provider-key'],
    defaultStrategy: 'provider-key',
    defaultInterval: Duration.days(180),
    timeout: Duration.seconds(90),
    minTimeout: (settings) => Duration.millis((settings.requestTimeoutMs ?? 10_000) * 2 + 30_000),
    network: 'optional',
    internetEgress: "the providers' management APIs are on the internet",
    settings: ['providerBaseUrls', 'httpServices', 'requestTimeoutMs'],
    targets: () => ({ required: ['managementSecret'], allowed: ['managementSecret'] }),
    validateSettings: (settings) => {
      const problems = intProblem('requestTimeoutMs', settings.requestTimeoutMs, { min: 1, max: 120_000 });
      for (const [provider, url] of Object.entries(settings.providerBaseUrls ?? {})) {
        if (!(API_KEY_PROVIDERS as readonly string[]).includes(provider)) {
          problems.push({
            field: `providerBaseUrls.${provider}`,
            received: JSON.stringify(url),
            allowed: 'sendgrid or twilio',
          });
        } else if (typeof url !== 'string' || !/^https:\/\/[^\s/]+/.test(url)) {
          problems.push({
            field: `providerBaseUrls.${provider}`,
            received: JSON.stringify(url),
            allowed: 'an https:// URL',
          });
        }
      }
      if (settings.httpServices !== undefined) {
        const json = JSON.stringify(settings.httpServices);
        if (typeof settings.httpServices !== 'object' || Array.isArray(settings.httpServices)) {
          problems.push({ field: 'httpServices', received: json, allowed: 'an object of services by name' });
        } else if (json.length > 3000) {
          problems.push({
            field: 'httpServices',
            received: `${json.length} characters of JSON`,
            allowed: 'at most 3000 characters (Lambda environment variables total 4 KB)',
          });
        }
      }
      return problems;
    },
    environment: (settings) => ({
      ...(settings.providerBaseUrls?.sendgrid !== undefined && {
        HANDOVER_API_KEY_SENDGRID_BASE_URL: settings.providerBaseUrls.sendgrid,
      }),
      ...(settings.providerBaseUrls?.twilio !== undefined && {
        HANDOVER_API_KEY_TWILIO_BASE_URL: settings.providerBaseUrls.twilio,
      }),
      ...(settings.httpServices !== undefined && {
        HANDOVER_API_KEY_HTTP_SERVICES: JSON.stringify(settings.httpServices),
      }),
      ...(settings.requestTimeoutMs !== undefined && {
        HANDOVER_API_KEY_REQUEST_TIMEOUT_MS: String(settings.requestTimeoutMs),
      }),
    }),
    grantTarget: (target, ctx) => {
      if (target.managementSecret !== undefined) grantSecretReadOnly(target.managementSecret, ctx);
    },
  },
  'shared-key': {
    entry: credentialHandlerEntry('shared-key'),
    title: 'Shared key rotation',
    strategies: ['verifier'],
    defaultStrategy: 'verifier',
    defaultInterval: Duration.days(90),
    timeout: Duration.seconds(30),
    network: 'optional',
    settings: ['metricsNamespace', 'requireVerifierHeartbeat'],
    targets: () => ({ required: [], allowed: [] }),
    validateSettings: (settings) => {
      const namespace = settings.metricsNamespace;
      return namespace === undefined ||
        (namespace.length >= 1 && namespace.length <= 255 && !namespace.startsWith('AWS/'))
        ? []
        : [
            {
              field: 'metricsNamespace',
              received: JSON.stringify(namespace),
              allowed: '1 to 255 characters, not starting with "AWS/"',
            },
          ];
    },
    environment: (settings) => ({
      ...(settings.metricsNamespace !== undefined && {
        HANDOVER_SHARED_KEY_METRICS_NAMESPACE: settings.metricsNamespace,
      }),
      ...(settings.requireVerifierHeartbeat !== undefined && {
        HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT: String(settings.requireVerifierHeartbeat),
      }),
    }),
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
      // inUse reads the verifiers' previous-key metrics.
      iam.Grant.addToPrincipal({
        grantee: ctx.grantee,
        actions: ['cloudwatch:GetMetricData'],
        resourceArns: ['*'],
      });
      Validations.of(ctx.acknowledgeOn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "shared-key: cloudwatch:GetMetricData supports no resource-level permissions or namespace condition (IAM service authorization reference: no resource type), so it cannot be scoped; the function only reads the verifiers' previous-key metrics to tell whether the old key is still accepted, read-only.",
      });
    },
  },
};

/** Every credential type with its spec, in `CREDENTIAL_TYPES` order. */
export const ROTATION_TYPE_ENTRIES = CREDENTIAL_TYPES.map((type) => [type, ROTATION_TYPES[type]] as const);
