import { CfnOutput, SecretValue, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { BreakGlassRole } from '../constructs/break-glass';
import type { RotationSettingsOf, RotationTarget } from '../constructs/credential-types';
import { HandoverDashboard } from '../constructs/dashboard';
import { RotationMonitoring } from '../constructs/monitoring';
import {
  type FollowedRolloutSecret,
  type RolloutSecret,
  RolloutWorkflow,
} from '../constructs/rollout-workflow';
import type { RotationNetwork } from '../constructs/rotation-function';
import { Rotation } from '../constructs/rotation-strategy';
import { importSecret } from '../constructs/secret-references';
import { SecretRotation } from '../constructs/secret-rotation';
import type { RotationPolicy, SecretReference, SecretSource } from '../rotation-policy/types';
import {
  type ResolvedNetwork,
  type ResolvedPolicy,
  type ResolvedSecret,
  validatePolicy,
} from '../rotation-policy/validate';

/** Properties of {@link HandoverStack}. */
export interface HandoverStackProps extends StackProps {
  /** The rotation policy (`infra/policy.ts`); validated before anything is built. */
  readonly policy: RotationPolicy;
}

/** What the stack built for one policy entry. */
export interface PolicyEntryResources {
  readonly secret: secretsmanager.ISecret;
  /** `undefined` while the entry is paused. */
  readonly rotation: SecretRotation | undefined;
}

/**
 * The Handover stack: everything a rotation policy declares. It validates the policy first (ONE
 * error listing every problem), then builds per secret the rotation function (shared per type,
 * settings and network placement), the least-privilege grants, security-group rules, the rotation
 * schedule with its window, and the alarms to one SNS topic.
 *
 * @example
 * ```ts
 * const app = new App();
 * new HandoverStack(app, 'Handover', { policy });
 * ```
 */
export class HandoverStack extends Stack {
  /** The policy after validation and defaults. */
  public readonly policy: ResolvedPolicy;
  /** The alarms and their topic, unless alarms are off. */
  public readonly monitoring: RotationMonitoring | undefined;
  /** What each policy entry became, by entry id. */
  public readonly entries: Readonly<Record<string, PolicyEntryResources>>;
  /** The rollout workflow, unless the policy turns it off. */
  public readonly rollout: RolloutWorkflow | undefined;
  /** The CloudWatch dashboard, unless the policy turns it off (`dashboard.enabled: false`). */
  public readonly dashboard: HandoverDashboard | undefined;
  /** The break-glass role, when the policy asks for one (`breakGlass`). */
  public readonly breakGlassRole: BreakGlassRole | undefined;
  private readonly networks = new Map<string, RotationNetwork>();

  constructor(scope: Construct, id: string, props: HandoverStackProps) {
    const resolved = validatePolicy(props.policy);
    super(scope, id, {
      stackName: resolved.stackName,
      env: resolved.env,
      description: `Handover: zero-downtime credential rotation for ${resolved.secrets.length} secret${
        resolved.secrets.length === 1 ? '' : 's'
      } (rotation functions, schedules, alarms)`,
      ...props,
    });
    this.policy = resolved;
    for (const [key, value] of Object.entries(resolved.tags)) Tags.of(this).add(key, value);

    this.monitoring = resolved.alarms.enabled
      ? new RotationMonitoring(this, 'Monitoring', {
          topic:
            resolved.alarms.topicArn === undefined
              ? undefined
              : sns.Topic.fromTopicArn(this, 'AlarmTopic', resolved.alarms.topicArn),
          emailAddresses: resolved.alarms.emails,
          runbookUrl: resolved.alarms.runbookUrl,
        })
      : undefined;
    if (this.monitoring !== undefined) {
      new CfnOutput(this, 'AlarmTopicArn', {
        value: this.monitoring.topic.topicArn,
        description: 'Every Handover alarm notifies this SNS topic: subscribe your on-call here.',
      });
    }

    const role =
      resolved.functions.roleArn === undefined
        ? undefined
        : iam.Role.fromRoleArn(this, 'ExecutionRole', resolved.functions.roleArn, { mutable: true });
    const permissionsBoundary =
      resolved.functions.permissionsBoundaryArn === undefined
        ? undefined
        : iam.ManagedPolicy.fromManagedPolicyArn(
            this,
            'PermissionsBoundary',
            resolved.functions.permissionsBoundaryArn,
          );

    const entries: Record<string, PolicyEntryResources> = {};
    for (const entry of resolved.secrets) {
      entries[entry.id] = this.buildEntry(entry, {
        role,
        permissionsBoundary,
        logRetention: resolved.functions.logRetentionDays as logs.RetentionDays,
      });
    }
    this.entries = entries;

    const rolledOut =
      Object.values(entries).some((built) => built.rotation !== undefined) || resolved.follow.length > 0;
    this.rollout =
      resolved.rollout.enabled && rolledOut
        ? this.buildRollout(resolved, entries, {
            role,
            permissionsBoundary,
            logRetention: resolved.functions.logRetentionDays as logs.RetentionDays,
          })
        : undefined;

    const rotated = resolved.secrets.filter((entry) => entries[entry.id]?.rotation !== undefined);
    this.dashboard =
      resolved.dashboard.enabled && rotated.length > 0
        ? new HandoverDashboard(this, 'Dashboard', {
            dashboardName: resolved.dashboard.name,
            credentialTypes: [...new Set(rotated.map((entry) => entry.type))],
            rollout: this.rollout,
            monitoring: this.monitoring,
          })
        : undefined;
    this.breakGlassRole =
      resolved.breakGlass === undefined || this.rollout === undefined
        ? undefined
        : this.buildBreakGlass(resolved.breakGlass, this.rollout, rotated, permissionsBoundary);
  }

  /** The break-glass role: start rollouts (emergency rotations) and read their status, nothing else. */
  private buildBreakGlass(
    breakGlass: NonNullable<ResolvedPolicy['breakGlass']>,
    rollout: RolloutWorkflow,
    rotated: readonly ResolvedSecret[],
    permissionsBoundary: iam.IManagedPolicy | undefined,
  ): BreakGlassRole {
    const role = new BreakGlassRole(this, 'BreakGlassRole', {
      assumedBy: new iam.CompositePrincipal(
        ...breakGlass.principalArns.map((arn) => new iam.ArnPrincipal(arn)),
      ),
      roleName: breakGlass.roleName,
      stateMachine: rollout.stateMachine,
      secrets: rotated.flatMap((entry) => {
        const secret = this.entries[entry.id]?.secret;
        return secret === undefined ? [] : [secret];
      }),
      permissionsBoundary,
    });
    new CfnOutput(this, 'BreakGlassRoleArn', {
      value: role.role.roleArn,
      description:
        'Break-glass role for incidents: assume it, then start an emergency rotation (handover emergency <secret> --reason "...", or the console steps in README "In an incident")',
    });
    return role;
  }

  /** The rollout workflow over every entry that rotates (paused entries have no rotation to roll out). */
  private buildRollout(
    resolved: ResolvedPolicy,
    entries: Readonly<Record<string, PolicyEntryResources>>,
    functions: {
      role?: iam.IRole;
      permissionsBoundary?: iam.IManagedPolicy;
      logRetention: logs.RetentionDays;
    },
  ): RolloutWorkflow {
    const scope = new Construct(this, 'RolloutSecrets');
    const secrets: RolloutSecret[] = [];
    for (const entry of resolved.secrets) {
      const built = entries[entry.id];
      if (built?.rotation === undefined) continue;
      const source = entry.source;
      const secretName =
        'create' in source ? source.create.name : source.name !== undefined ? source.name : undefined;
      secrets.push({
        id: entry.id,
        secret: built.secret,
        ...(secretName === undefined ? {} : { secretName }),
        credentialType: entry.type,
        rotationFunction: built.rotation.rotationFunction.function,
        grace: entry.grace,
        usageRecheck: entry.rollout.usageRecheck,
        usageMaxChecks: entry.rollout.usageMaxChecks,
        maxConcurrency: entry.rollout.maxConcurrency,
        consumers: entry.rollout.consumers,
        readers: entry.rollout.readers ?? 'off',
      });
    }
    const followed: FollowedRolloutSecret[] = resolved.follow.map((entry) => ({
      id: entry.id,
      secret: importSecret(new Construct(scope, `Followed-${entry.id}`), 'Secret', entry.source),
      ...(entry.source.name === undefined ? {} : { secretName: entry.source.name }),
      rotatedBy: entry.rotatedBy,
      maxConcurrency: entry.rollout.maxConcurrency,
      consumers: entry.rollout.consumers,
      readers: entry.rollout.readers ?? 'off',
    }));
    const rollout = new RolloutWorkflow(this, 'Rollout', {
      secrets,
      followed,
      monitoring: this.monitoring,
      eventBusName: resolved.rollout.eventBusName,
      stateMachineName: `${resolved.stackName}-rollout`,
      logRetention: functions.logRetention,
      role: functions.role,
      permissionsBoundary: functions.permissionsBoundary,
      runbookUrl: resolved.alarms.runbookUrl,
      consumerScope: scope,
    });
    new CfnOutput(this, 'RolloutStateMachineArn', {
      value: rollout.stateMachine.stateMachineArn,
      description:
        'Emergency rotation: handover emergency <secret> --reason "...", or Step Functions console > this state machine > Start execution, input {"secretId": "<name or ARN>", "mode": "emergency", "reason": "<why>"}',
    });
    return rollout;
  }

  private buildEntry(
    entry: ResolvedSecret,
    functions: {
      role?: iam.IRole;
      permissionsBoundary?: iam.IManagedPolicy;
      logRetention: logs.RetentionDays;
    },
  ): PolicyEntryResources {
    const scope = new Construct(this, entry.id);
    const secret = this.secretOf(scope, 'Secret', entry.source, entry.id);
    const target: RotationTarget = {
      masterSecret:
        entry.masterSecret === undefined
          ? undefined
          : this.secretOf(scope, 'MasterSecret', entry.masterSecret, entry.id),
      managementSecret:
        entry.managementSecret === undefined
          ? undefined
          : this.secretOf(scope, 'ManagementSecret', entry.managementSecret, entry.id),
      user:
        entry.user === undefined
          ? undefined
          : entry.user.startsWith('arn:')
            ? iam.User.fromUserArn(scope, 'User', entry.user)
            : iam.User.fromUserName(scope, 'User', entry.user),
      database:
        entry.database === undefined
          ? undefined
          : {
              securityGroup: ec2.SecurityGroup.fromSecurityGroupId(
                scope,
                'DatabaseSecurityGroup',
                entry.database.securityGroupId,
                { mutable: true },
              ),
              port: entry.database.port,
            },
    };
    if (entry.paused) {
      if ('create' in entry.source) {
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: `Policy entry "${entry.id}" is paused: the stack created this secret and it holds no working credential yet, so a rotation schedule would fail its deploy-time test. Rotation is attached once the first credential is stored and "paused" is removed from infra/policy.ts.`,
        });
      }
      return { secret, rotation: undefined };
    }
    const rotation = new SecretRotation(scope, 'Rotation', {
      secret,
      rotation: Rotation.of(entry.type, entry.settings as RotationSettingsOf<typeof entry.type>, target),
      schedule: entry.schedule,
      rotateImmediately: entry.rotateImmediately,
      network: entry.network === undefined ? undefined : this.networkOf(entry.network),
      memorySize: entry.memorySize,
      timeout: entry.timeout,
      logRetention: functions.logRetention,
      role: functions.role,
      permissionsBoundary: functions.permissionsBoundary,
      alarms: this.monitoring !== undefined,
      monitoring: this.monitoring,
      ageChecks: this.monitoring !== undefined && this.policy.alarms.secretAgeChecks,
      maxAge: entry.maxAge,
      // Every rotating entry is rolled out by the stack's workflow (buildRollout).
      rolloutsTracked: true,
    });
    return { secret, rotation };
  }

  /** Imports (or creates) a secret, with its KMS key when it has its own. */
  private secretOf(
    scope: Construct,
    id: string,
    source: SecretSource | SecretReference,
    entryId: string,
  ): secretsmanager.ISecret {
    if ('create' in source) {
      const create = source.create;
      const encryptionKey =
        create.kmsKeyArn === undefined ? undefined : kms.Key.fromKeyArn(scope, `${id}Key`, create.kmsKeyArn);
      const template = JSON.stringify(create.template ?? {});
      return new secretsmanager.Secret(scope, id, {
        secretName: create.name,
        description: create.description ?? `Handover: ${entryId} (created by the Handover stack)`,
        encryptionKey,
        ...(create.generateKey === undefined
          ? {
              // Non-secret fields only: the policy validator refuses credential-like field names.
              secretStringValue: SecretValue.unsafePlainText(template),
            }
          : {
              generateSecretString: {
                secretStringTemplate: template,
                generateStringKey: create.generateKey,
                passwordLength: 32,
                excludePunctuation: true,
              },
            }),
      });
    }
    return importSecret(scope, id, source);
  }

  /** One set of imports per named network: secrets on the same network share functions. */
  private networkOf(network: ResolvedNetwork): RotationNetwork {
    const existing = this.networks.get(network.name);
    if (existing !== undefined) return existing;
    const scope = new Construct(this, `Network-${network.name}`);
    const placement = network.placement;
    const vpc = ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
      vpcId: placement.vpcId,
      availabilityZones: [...(placement.availabilityZones ?? [])],
    });
    const subnets = placement.subnetIds.map((subnetId, index) => {
      const subnet = ec2.Subnet.fromSubnetAttributes(scope, `Subnet${index}`, {
        subnetId,
        availabilityZone: placement.availabilityZones?.[index],
      });
      Validations.of(subnet).acknowledge({
        id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
        reason:
          'Handover only places functions in these subnets; it never reads their route tables (routes to Secrets Manager are declared in the policy: secretsManagerEndpoint / natGateway).',
      });
      return subnet;
    });
    const endpoint =
      placement.secretsManagerEndpoint === undefined
        ? undefined
        : ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(scope, 'SecretsManagerEndpoint', {
            vpcEndpointId: placement.secretsManagerEndpoint.endpointId,
            port: 443,
            securityGroups: [
              ec2.SecurityGroup.fromSecurityGroupId(
                scope,
                'SecretsManagerEndpointSecurityGroup',
                placement.secretsManagerEndpoint.securityGroupId,
                { mutable: true },
              ),
            ],
          });
    const resolved: RotationNetwork = {
      vpc,
      subnets: { subnets },
      securityGroups: (placement.securityGroupIds ?? []).map((groupId, index) =>
        ec2.SecurityGroup.fromSecurityGroupId(scope, `SecurityGroup${index}`, groupId, { mutable: false }),
      ),
      secretsManagerEndpoint: endpoint,
      natGateway: placement.natGateway ?? false,
    };
    this.networks.set(network.name, resolved);
    return resolved;
  }
}
