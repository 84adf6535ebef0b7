import { createHash } from 'node:crypto';
import { Annotations, type Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct, type IDependable } from 'constructs';
import { defaultStrategyOf, toEnv } from '../../lambdas/credentials/contract';
import { ROLLOUTS_ENV, ROLLOUTS_TRACKED } from '../../lambdas/rollout/contract';
import type { CredentialType } from '../../lambdas/rotation/constants';
import { credentialHandlerEntry } from '../paths';
import { type CredentialTypeSpec, type RotationSettingsOf, specOf } from './credential-types';
import { HandoverFunction } from './handover-function';
import { RotationMonitoring } from './monitoring';

/** Where a rotation function runs in a VPC, and how it reaches AWS APIs from there. */
export interface RotationNetwork {
  /** The VPC (import it with `Vpc.fromVpcAttributes`: no lookups). */
  readonly vpc: ec2.IVpc;
  /**
   * The subnets.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Security groups attached besides the function's own group (which always exists and allows only
   * the egress the function needs).
   * @default - none
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
  /**
   * The Secrets Manager interface endpoint of the VPC (private DNS on): the function's group gets
   * HTTPS egress to it and its group an ingress rule from the function.
   * @default - no endpoint (then `natGateway` must be true, or the function cannot reach Secrets Manager)
   */
  readonly secretsManagerEndpoint?: ec2.IInterfaceVpcEndpoint;
  /**
   * The subnets route to the internet through a NAT gateway: the function gets HTTPS egress to
   * anywhere (AWS public endpoints, third-party APIs).
   * @default false
   */
  readonly natGateway?: boolean;
}

/**
 * How a rotation function is built and placed: what {@link RotationFunction} takes besides its type
 * and settings, and what {@link SecretRotation} passes on when it creates one.
 */
export interface RotationFunctionOptions {
  /**
   * VPC placement; required for database types.
   * @default - not in a VPC
   */
  readonly network?: RotationNetwork;
  /**
   * Memory, in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout of one rotation step.
   * @default - the type's timeout (60 seconds for databases, 120 for IAM access keys, 90 for API keys, 30 for shared keys)
   */
  readonly timeout?: Duration;
  /**
   * Log retention.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Bring your own execution role (see {@link HandoverFunctionProps.role}).
   * @default - a new role with exactly the permissions the rotations need
   */
  readonly role?: iam.IRole;
  /**
   * Permissions boundary of the role the function gets.
   * @default - none
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;
  /**
   * CloudWatch alarms: the function's errors (and, for a {@link SecretRotation}, the engine's
   * RotationFailed metric of the type).
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * Where alarms go.
   * @default - `RotationMonitoring.of(this)`: the stack's monitoring
   */
  readonly monitoring?: RotationMonitoring;
  /**
   * The secrets this function rotates are rolled out by a {@link RolloutWorkflow}: a rotation is
   * then refused while a secret has an AWSPREVIOUS and no rollout ever recorded what it rolled out
   * (`HANDOVER_ROLLOUTS=tracked`; docs/interlock.md). The policy stack and `Handover.rotate` set it.
   * Leave it off for secrets no workflow rolls out: their rotations would be refused from the second on.
   * @default false
   */
  readonly rolloutsTracked?: boolean;
}

/** Properties of {@link RotationFunction}. */
export interface RotationFunctionProps<T extends CredentialType = CredentialType>
  extends RotationFunctionOptions {
  /** The credential type. */
  readonly type: T;
  /**
   * The type's settings, strategy included (they become the function's environment).
   * @default - the type's default strategy and settings
   */
  readonly settings?: RotationSettingsOf<T>;
}

const WARNING_NO_ROUTE = '@handover/infra:noRouteToSecretsManager';
const WARNING_NO_INTERNET = '@handover/infra:noInternetRoute';

function pathOf(construct: IConstruct | undefined): string | undefined {
  return construct?.node.path;
}

/**
 * A rotation function of one credential type, strategy and network placement: a
 * {@link HandoverFunction} with the type's environment, its own security group (egress only to what
 * it needs), the type's function-level permissions and an errors alarm. Secrets attach to it with
 * {@link SecretRotation}; secrets with the same type, settings and placement share one function
 * ({@link RotationFunction.shared}).
 *
 * @example
 * ```ts
 * const fn = new RotationFunction(this, 'PostgresRotation', {
 *   type: 'postgres',
 *   settings: { strategy: 'alternating-users' },
 *   network: { vpc, subnets: { subnets }, secretsManagerEndpoint },
 * });
 * new SecretRotation(this, 'Orders', { secret, rotation, rotationFunction: fn });
 * ```
 */
export class RotationFunction extends Construct {
  /**
   * The function of a stack for these props: created on first use (id
   * `RotationFunction-<type>-<strategy>-<hash>`), reused by every later secret with the same type,
   * settings, network placement and function options.
   */
  public static shared(scope: IConstruct, props: RotationFunctionProps): RotationFunction {
    const stack = Stack.of(scope);
    const spec = specOf(props.type);
    const strategy = String(props.settings?.strategy ?? defaultStrategyOf(spec.contract));
    const key = JSON.stringify({
      type: props.type,
      environment: toEnv(spec.contract, { ...props.settings, strategy }),
      vpc: pathOf(props.network?.vpc),
      subnets: props.network?.subnets?.subnets?.map((subnet) => subnet.node.path),
      subnetType: props.network?.subnets?.subnetType,
      securityGroups: props.network?.securityGroups?.map((group) => group.node.path),
      endpoint: pathOf(props.network?.secretsManagerEndpoint),
      nat: props.network?.natGateway ?? false,
      memorySize: props.memorySize,
      timeout: props.timeout?.toSeconds(),
      logRetention: props.logRetention,
      role: pathOf(props.role),
      boundary: pathOf(props.permissionsBoundary),
      alarms: props.alarms ?? true,
      monitoring: pathOf(props.monitoring),
      rolloutsTracked: props.rolloutsTracked ?? false,
    });
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
    const id = `RotationFunction-${props.type}-${strategy}-${hash}`;
    const existing = stack.node.tryFindChild(id);
    return existing instanceof RotationFunction ? existing : new RotationFunction(stack, id, props);
  }

  /** The credential type. */
  public readonly type: CredentialType;
  /** The strategy (after the type default). */
  public readonly strategy: string;
  /** The type's spec. */
  public readonly spec: CredentialTypeSpec;
  /** The Lambda function. */
  public readonly function: HandoverFunction;
  /** The function's own security group, when in a VPC. */
  public readonly securityGroup: ec2.SecurityGroup | undefined;
  /** The errors alarm, when alarms are on. */
  public readonly errorsAlarm: cloudwatch.Alarm | undefined;
  /** What a rotation schedule must wait for besides this construct (rules created on other constructs). */
  public readonly dependables: readonly IDependable[];

  constructor(scope: Construct, id: string, props: RotationFunctionProps) {
    super(scope, id);
    this.type = props.type;
    this.spec = specOf(props.type);
    this.strategy = String(props.settings?.strategy ?? defaultStrategyOf(this.spec.contract));
    const network = props.network;
    const dependables: IDependable[] = [];

    if (network !== undefined) {
      this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: network.vpc,
        description: `Handover ${props.type} ${this.strategy} rotation function: egress to Secrets Manager and the rotation targets only`,
        allowAllOutbound: false,
      });
      if (network.secretsManagerEndpoint !== undefined) {
        this.securityGroup.connections.allowTo(
          network.secretsManagerEndpoint,
          ec2.Port.tcp(443),
          'HTTPS to the Secrets Manager VPC endpoint',
        );
        // The ingress rule lives on the endpoint's security groups, which may be siblings of it.
        dependables.push(
          network.secretsManagerEndpoint,
          ...network.secretsManagerEndpoint.connections.securityGroups,
        );
      }
      if (network.natGateway === true) {
        this.securityGroup.addEgressRule(
          ec2.Peer.anyIpv4(),
          ec2.Port.tcp(443),
          'HTTPS through the NAT gateway (AWS public endpoints, provider APIs)',
        );
      }
    } else {
      this.securityGroup = undefined;
    }

    this.function = new HandoverFunction(this, 'Function', {
      entry: credentialHandlerEntry(props.type),
      description: `Handover: ${this.spec.title} (${this.strategy})`,
      environment: {
        ...toEnv(this.spec.contract, { ...props.settings, strategy: this.strategy }),
        ...(props.rolloutsTracked === true ? { [ROLLOUTS_ENV]: ROLLOUTS_TRACKED } : {}),
      },
      memorySize: props.memorySize,
      timeout: props.timeout ?? this.spec.timeout,
      logRetention: props.logRetention,
      role: props.role,
      permissionsBoundary: props.permissionsBoundary,
      vpc: network?.vpc,
      vpcSubnets: network?.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups:
        this.securityGroup === undefined
          ? undefined
          : [this.securityGroup, ...(network?.securityGroups ?? [])],
    });

    const role = this.function.role;
    const acknowledgeOn: IConstruct = role ?? this.function;
    Validations.of(acknowledgeOn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (IAM service authorization reference), so Lambda active tracing can only grant them on "*".',
    });
    if (network !== undefined) {
      Validations.of(acknowledgeOn).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'VPC placement: Lambda creates and deletes the function network interfaces with the execution role; ec2:Describe* support no resource-level permissions and the interface ids are not known before Lambda creates them (the statement equals the AWSLambdaVPCAccessExecutionRole managed policy, without the managed policy).',
      });
      if (network.secretsManagerEndpoint === undefined && network.natGateway !== true) {
        Annotations.of(this).addWarningV2(
          WARNING_NO_ROUTE,
          `The ${props.type} rotation function runs in VPC subnets with no route to Secrets Manager: no Secrets Manager VPC endpoint was given and no NAT gateway was declared. Every rotation step will time out. Give the network a secretsManagerEndpoint (interface endpoint for com.amazonaws.<region>.secretsmanager with private DNS) or set natGateway: true if the subnets route through a NAT.`,
        );
      } else if (this.spec.internetEgress !== undefined && network.natGateway !== true) {
        Annotations.of(this).addWarningV2(
          WARNING_NO_INTERNET,
          `The ${props.type} rotation function runs in VPC subnets without a declared NAT gateway, but ${this.spec.internetEgress}. Set natGateway: true if the subnets route through a NAT, or run this type outside the VPC.`,
        );
      }
    }
    this.spec.grantFunction?.({ grantee: this.function, acknowledgeOn, stack: Stack.of(this) });

    if (props.alarms ?? true) {
      const monitoring = props.monitoring ?? RotationMonitoring.of(this);
      this.errorsAlarm = monitoring.alarmOnFunctionErrors(
        this,
        this.function,
        `${props.type} ${this.strategy} rotation function`,
      );
    } else {
      this.errorsAlarm = undefined;
    }
    this.dependables = dependables;
  }
}
