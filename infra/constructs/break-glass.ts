import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROLLOUT_CONFIG_PREFIX } from '../../lambdas/rollout/contract';
import { secretArnForPolicies } from './credential-types';
import { nagArn } from './nag';

/** What a break-glass role is, besides the workflow it may start. */
export interface BreakGlassRoleOptions {
  /**
   * Who may assume the role (e.g. `new iam.ArnPrincipal('arn:aws:iam::123456789012:role/SecurityOncall')`,
   * several with `iam.CompositePrincipal`). Nobody else can.
   */
  readonly assumedBy: iam.IPrincipal;
  /**
   * The role's name (what "Switch role" in the console asks for).
   * @default - a name CloudFormation generates (the stack output `HandoverBreakGlassRoleArn` holds it)
   */
  readonly roleName?: string;
  /**
   * How long a session of the role lasts.
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;
  /**
   * Permissions boundary of the role.
   * @default - none
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;
}

/** Properties of {@link BreakGlassRole}. */
export interface BreakGlassRoleProps extends BreakGlassRoleOptions {
  /** The rollout state machine the role starts (emergency rotations) and reads; it must have a name. */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * The rotated secrets whose rotation status (versions and their stages, never a value) the role reads.
   * @default - none
   */
  readonly secrets?: readonly secretsmanager.ISecret[];
}

/**
 * The break-glass role for an incident: assumable only by the principals named, allowed exactly to
 * start rollouts of Handover's state machine (an emergency rotation is a rollout started with
 * `"mode": "emergency"`) and to read their status: the state machine and its executions, the
 * rotated secrets' metadata (`DescribeSecret`, `ListSecretVersionIds`: versions and stages, never a
 * value) and their rollout configurations (`/handover/rollout/*` in SSM), which is what the console
 * steps and `handover emergency <secret>` need. Nothing else: no `GetSecretValue`, no `StopExecution`, no `RotateSecret` (the workflow
 * rotates with its own role). IAM cannot limit `StartExecution` by the execution's input, so the
 * role can also start a scheduled rollout (which rotates and rolls out with the full grace window).
 *
 * @example
 * ```ts
 * new BreakGlassRole(this, 'BreakGlass', {
 *   assumedBy: new iam.ArnPrincipal('arn:aws:iam::123456789012:role/SecurityOncall'),
 *   stateMachine: rollout.stateMachine,
 *   secrets: [ordersDbSecret],
 * });
 * ```
 */
export class BreakGlassRole extends Construct {
  /** The role. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BreakGlassRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const name = (props.stateMachine.node.defaultChild as sfn.CfnStateMachine | undefined)?.stateMachineName;
    if (
      !(props.stateMachine.node.defaultChild instanceof sfn.CfnStateMachine) ||
      name === undefined ||
      Token.isUnresolved(name)
    ) {
      throw new Error(
        `${this.node.path}: stateMachine must be a state machine of this app with a stateMachineName (its executions are named after it), got ${props.stateMachine.node.path}`,
      );
    }
    this.role = new iam.Role(this, 'Resource', {
      roleName: props.roleName,
      assumedBy: props.assumedBy,
      description:
        'Handover break-glass: start emergency rotations (rollouts) and read their status, nothing else',
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
      permissionsBoundary: props.permissionsBoundary,
    });
    const executionArns = {
      service: 'states',
      resource: 'execution',
      resourceName: `${name}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    };
    const executions = stack.formatArn(executionArns);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StartRollouts',
        actions: ['states:StartExecution'],
        resources: [props.stateMachine.stateMachineArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRollouts',
        actions: ['states:DescribeStateMachine', 'states:ListExecutions'],
        resources: [props.stateMachine.stateMachineArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRolloutExecutions',
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: [executions],
      }),
    );
    // The rollout configurations (consumers, grace; no secret): what `handover emergency` reads first.
    const configurations = {
      service: 'ssm',
      resource: 'parameter',
      resourceName: `${ROLLOUT_CONFIG_PREFIX.replace(/^\/|\/$/g, '')}/*`,
    };
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRolloutConfigurations',
        actions: ['ssm:GetParameter', 'ssm:GetParametersByPath'],
        resources: [
          stack.formatArn(configurations),
          stack.formatArn({ ...configurations, resourceName: ROLLOUT_CONFIG_PREFIX.replace(/^\/|\/$/g, '') }),
        ],
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, configurations)}]`,
      reason:
        'Break-glass status: the rollout configurations are one SSM parameter per rotated secret under /handover/rollout/ (consumers, grace, usage gate; never a secret value); the CLI reads them by path before it starts an emergency rotation.',
    });
    const secrets = props.secrets ?? [];
    if (secrets.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadRotationStatus',
          actions: ['secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds'],
          resources: secrets.map(secretArnForPolicies),
        }),
      );
    }
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, executionArns)}]`,
      reason:
        "Break-glass status: DescribeExecution and GetExecutionHistory on the rollout state machine's own executions, whose names are generated per start, so they can only be named with a wildcard after the state machine's name.",
    });
  }
}
