import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import type { CredentialType, RotationStep } from '../../lambdas/rotation/constants';
import { CREDENTIAL_TYPE_DIMENSION, METRIC, STEP_DIMENSION } from '../../lambdas/shared/metric-names';
import type { RotationSettingsOf } from './credential-types';
import {
  type SpecProblem,
  secretArnForPolicies,
  secretsManagerService,
  specOf,
  type TargetField,
} from './credential-types';
import { credentialTypeMetric, handoverMetric } from './metrics';
import { RotationMonitoring } from './monitoring';
import { checkRotation } from './rotation-checks';
import { RotationFunction, type RotationFunctionOptions } from './rotation-function';
import { RotationSchedule } from './rotation-schedule';
import type { Rotation } from './rotation-strategy';

/** Properties of {@link SecretRotation}: the secret, what rotates it, when, and how its function is built. */
export interface SecretRotationProps extends RotationFunctionOptions {
  /** The secret to rotate. */
  readonly secret: secretsmanager.ISecret;
  /** What rotates it: `Rotation.postgresSingleUser()`, `Rotation.iamAccessKey({ user })`, ... */
  readonly rotation: Rotation;
  /**
   * When it rotates.
   * @default - `rate(<type default>)` with a 4-hour window: 30 days for database passwords, 90 for
   * IAM access keys and shared keys, 180 for third-party API keys
   */
  readonly schedule?: RotationSchedule;
  /**
   * Rotate as soon as the schedule is deployed. When false, Secrets Manager only tests the
   * configuration (it runs testSecret against the current value) and the first rotation happens in
   * the first window.
   * @default false
   */
  readonly rotateImmediately?: boolean;
  /**
   * The function that rotates this secret (then the function options here are not used).
   * @default - the stack's function for this type, settings, placement and options, created on first use
   */
  readonly rotationFunction?: RotationFunction;
  /**
   * AWS Config rules that alarm when a scheduled rotation did not complete (`AWSPENDING` stuck) and
   * when the secret is older than `maxAge`. Needs an AWS Config recorder in the account, and the
   * secret's complete ARN.
   * @default false
   */
  readonly ageChecks?: boolean;
  /**
   * The age past which the secret is overdue, with `ageChecks`.
   * @default - the interval of a `rate()` schedule plus 24 hours; none for `cron()` schedules
   */
  readonly maxAge?: Duration;
}

/** A {@link SecretRotation} that cannot be built: every problem, each naming the field. */
export class RotationConfigurationError extends Error {
  public readonly problems: readonly SpecProblem[];

  constructor(path: string, problems: readonly SpecProblem[]) {
    super(
      `${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems
        .map((problem) => `  - ${problem.field}: got ${problem.received}; allowed: ${problem.allowed}`)
        .join('\n')}`,
    );
    this.name = 'RotationConfigurationError';
    this.problems = problems;
  }
}

function targetsOf(rotation: Rotation): TargetField[] {
  return (Object.keys(rotation.target) as TargetField[]).filter(
    (field) => rotation.target[field] !== undefined,
  );
}

/**
 * Rotates one secret with Handover: the rotation function (shared per type, settings and placement),
 * least-privilege permissions on exactly this secret and what it points at, the invoke permission
 * for Secrets Manager, the database security-group rule, the `AWS::SecretsManager::RotationSchedule`
 * (schedule expression and window) and the alarms.
 *
 * @example
 * ```ts
 * new SecretRotation(this, 'CiDeployer', {
 *   secret: Secret.fromSecretCompleteArn(this, 'CiSecret', ciSecretArn),
 *   rotation: Rotation.iamAccessKey({ user: User.fromUserName(this, 'Ci', 'ci-deployer') }),
 *   schedule: RotationSchedule.rate(Duration.days(90), { window: Duration.hours(2) }),
 * });
 * ```
 */
export class SecretRotation extends Construct {
  /** The function that rotates the secret. */
  public readonly rotationFunction: RotationFunction;
  /** The schedule resource. */
  public readonly schedule: secretsmanager.CfnRotationSchedule;
  /** The resource policy statement letting Secrets Manager invoke the function for this secret. */
  public readonly invokePermission: lambda.CfnPermission;
  /** The effective schedule. */
  public readonly rotationSchedule: RotationSchedule;

  constructor(scope: Construct, id: string, props: SecretRotationProps) {
    super(scope, id);
    const { rotation, secret } = props;
    const spec = specOf(rotation.type);
    const rotationSchedule = props.schedule ?? RotationSchedule.rate(spec.defaultInterval);
    const inVpc = props.rotationFunction?.securityGroup !== undefined || props.network !== undefined;
    const problems = checkRotation({
      type: rotation.type,
      settings: rotation.settings,
      targets: targetsOf(rotation),
      schedule: rotationSchedule,
      inVpc,
      timeout: props.rotationFunction === undefined ? props.timeout : undefined,
      memorySize: props.rotationFunction === undefined ? props.memorySize : undefined,
    });
    if (props.rotationFunction !== undefined && props.rotationFunction.type !== rotation.type) {
      problems.push({
        field: 'rotationFunction',
        received: `a ${props.rotationFunction.type} function`,
        allowed: `a ${rotation.type} function`,
      });
    }
    if (problems.length > 0) throw new RotationConfigurationError(this.node.path, problems);

    const stack = Stack.of(this);
    const monitoring = props.alarms === false ? undefined : (props.monitoring ?? RotationMonitoring.of(this));
    const fn =
      props.rotationFunction ??
      RotationFunction.shared(this, {
        type: rotation.type,
        settings: rotation.settings as RotationSettingsOf<CredentialType>,
        network: props.network,
        memorySize: props.memorySize,
        timeout: props.timeout,
        logRetention: props.logRetention,
        role: props.role,
        permissionsBoundary: props.permissionsBoundary,
        alarms: props.alarms,
        monitoring,
        rolloutsTracked: props.rolloutsTracked,
      });
    this.rotationFunction = fn;
    this.rotationSchedule = rotationSchedule;
    const grantee = fn.function;
    const secretArn = secretArnForPolicies(secret);

    // The rotated secret: exactly the four calls of the rotation protocol.
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage',
      ],
      resourceArns: [secretArn],
    });
    if (secret.encryptionKey !== undefined) {
      // KMS through Secrets Manager only, and only for this secret.
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resourceArns: [secret.encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': secretsManagerService(stack) },
          StringLike: { 'kms:EncryptionContext:SecretARN': secretArn },
        },
      });
    }
    const grantContext = { grantee, acknowledgeOn: fn.function.role ?? fn.function, stack };
    spec.grantSecret?.(secretArn, grantContext);
    spec.grantTarget(rotation.target, grantContext);

    const dependencies: IDependable[] = [fn];
    const database = rotation.target.database;
    if (database !== undefined && fn.securityGroup !== undefined) {
      fn.securityGroup.connections.allowTo(
        database.securityGroup,
        ec2.Port.tcp(database.port),
        `Handover rotation of ${id}: database port`,
      );
      dependencies.push(database.securityGroup);
    }

    this.invokePermission = new lambda.CfnPermission(this, 'InvokePermission', {
      action: 'lambda:InvokeFunction',
      functionName: fn.function.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: stack.account,
      sourceArn: secretArn,
    });

    this.schedule = new secretsmanager.CfnRotationSchedule(this, 'Schedule', {
      // The complete ARN, or the name of a secret imported without one.
      secretId: secret.secretFullArn ?? secret.secretName,
      rotationLambdaArn: fn.function.functionArn,
      rotationRules: rotationSchedule.rotationRules,
      rotateImmediatelyOnUpdate: props.rotateImmediately ?? false,
    });
    // Secrets Manager invokes the function as soon as the schedule exists (at least testSecret):
    // permissions, network rules and the function must all be in place first.
    this.schedule.node.addDependency(this.invokePermission);
    for (const dependency of [...dependencies, ...fn.dependables])
      this.schedule.node.addDependency(dependency);

    if (monitoring !== undefined) monitoring.alarmOnRotationFailures(rotation.type);
    if (props.ageChecks === true) {
      const maxAge = props.maxAge ?? rotationSchedule.interval?.plus(Duration.hours(24));
      (monitoring ?? RotationMonitoring.of(this)).checkSecretAge(this, secret, maxAge, `secret ${id}`);
    }
  }

  /**
   * Rotations of this secret's credential type that finished (the engine's `RotationSucceeded`:
   * the metrics are per credential type, not per secret).
   */
  public metricRotationSucceeded(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return credentialTypeMetric(METRIC.rotationSucceeded, this.rotationFunction.type, options);
  }

  /** Failed rotation steps of this secret's credential type (the engine's `RotationFailed`). */
  public metricRotationFailed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return credentialTypeMetric(METRIC.rotationFailed, this.rotationFunction.type, options);
  }

  /** Duration of one rotation step of this secret's credential type, in milliseconds (`StepDuration`). */
  public metricStepDuration(step: RotationStep, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return handoverMetric(
      METRIC.stepDuration,
      { [CREDENTIAL_TYPE_DIMENSION]: this.rotationFunction.type, [STEP_DIMENSION]: step },
      { statistic: cloudwatch.Stats.percentile(90), ...options },
    );
  }
}
