import {
  ArnFormat,
  AspectPriority,
  Aspects,
  CfnOutput,
  type Duration,
  type IAspect,
  Stack,
  Token,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import type * as z from 'zod/mini';
import type { ConsumerSettings } from '../../lambdas/rollout/consumers/contracts';
import { consumerSchema, POLICY_DEFAULTS, ROLLOUT_DEFAULTS } from '../rotation-policy/schema';
import { BreakGlassRole, type BreakGlassRoleOptions } from './break-glass';
import type { SpecProblem } from './credential-types';
import { HandoverDashboard } from './dashboard';
import { RotationMonitoring } from './monitoring';
import { type RolloutSecret, RolloutWorkflow } from './rollout-workflow';
import { valueAt } from './rotation-checks';
import type { Rotation } from './rotation-strategy';
import { RotationConfigurationError, SecretRotation, type SecretRotationProps } from './secret-rotation';

/** Options of {@link Handover.rotate}: the rotation's, and the rollout's for this secret. */
export interface RotateOptions extends Omit<SecretRotationProps, 'secret' | 'rotation' | 'rolloutsTracked'> {
  /**
   * Who holds the credential: the rollout workflow moves each one to the new version, canary
   * first, before the old credential is revoked (`Consumer.lambda(fn)`, `Consumer.ecsService(service)`,
   * ..., or the settings a policy writes).
   * @default - none: the rollout only waits out the grace window and the usage gate
   */
  readonly consumers?: readonly ConsumerSettings[];
  /**
   * Old and new both valid after every consumer moved (scheduled rotations).
   * @default Duration.hours(24)
   */
  readonly grace?: Duration;
  /**
   * Time between usage checks while the old credential is still in use.
   * @default Duration.hours(1)
   */
  readonly usageRecheck?: Duration;
  /**
   * Usage checks before the workflow alarms and stops without revoking.
   * @default 24
   */
  readonly usageMaxChecks?: number;
  /**
   * Consumers updated at once in the main wave.
   * @default 4
   */
  readonly maxConcurrency?: number;
  /**
   * The secret's name, when the stack cannot tell it (a secret of another stack known by a token).
   * @default - the name known at synth: the secret's `secretName` when it is no token, else the name
   * given to the secret (or to the secret an attachment belongs to)
   */
  readonly secretName?: string;
  /**
   * The secret's id in the rollout workflow (construct ids and the dashboard derive from it).
   * @default - the secret construct's id
   */
  readonly id?: string;
}

/** Properties of {@link Handover}. */
export interface HandoverProps {
  /**
   * The alarms' topic and runbook.
   * @default - `RotationMonitoring.of(stack)`: the stack's monitoring, created on first use
   */
  readonly monitoring?: RotationMonitoring;
  /**
   * Alarms (rotation and rollout functions, rotation failures, rollout executions, old credential
   * still in use) to the monitoring's topic.
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * The CloudWatch dashboard (executive, on-call, debug).
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * The dashboard's name.
   * @default - `<stack name>-handover`
   */
  readonly dashboardName?: string;
  /**
   * A break-glass role for incidents: assumable by the principals named, allowed to start rollouts
   * (emergency rotations) and read their status, nothing else.
   * @default - none
   */
  readonly breakGlass?: BreakGlassRoleOptions;
  /**
   * The rollout state machine's name.
   * @default `<stack name>-rollout`
   */
  readonly stateMachineName?: string;
  /**
   * The bus of the rollout's milestone events.
   * @default 'default'
   */
  readonly eventBusName?: string;
  /**
   * Log retention of the rollout function and state machine.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Permissions boundary of the roles the rollout workflow creates.
   * @default - none
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;
}

const HANDOVER_ID = 'Handover';

/**
 * The secret's name as Secrets Manager will report it (the rollout configuration parameter is named
 * after it): given, known at synth (imported by name or complete ARN), the name given to the
 * `CfnSecret` behind it (a `Secret`, or the secret an attachment belongs to), or the name CDK parses
 * from a `Secret`'s ARN (without the random suffix). An attachment's or an imported partial ARN's
 * `secretName` carries the suffix or cannot be known, so it is not used.
 */
function secretNameOf(secret: secretsmanager.ISecret, given: string | undefined): string | undefined {
  if (given !== undefined) return given;
  if (!Token.isUnresolved(secret.secretName)) return secret.secretName;
  for (const scope of [secret, secret.node.scope]) {
    const resource = scope?.node.defaultChild;
    if (
      resource instanceof secretsmanager.CfnSecret &&
      resource.name !== undefined &&
      !Token.isUnresolved(resource.name)
    ) {
      return resource.name;
    }
  }
  return secret instanceof secretsmanager.Secret ? secret.secretName : undefined;
}

/** The problems of a consumer's settings; a value CDK resolves only at deploy time is not judged. */
function consumerProblems(consumer: ConsumerSettings, index: number): SpecProblem[] {
  const result = consumerSchema.safeParse(consumer);
  if (result.success) return [];
  return (result.error.issues as z.core.$ZodIssue[]).flatMap((issue) => {
    const value = valueAt(consumer, issue.path);
    if (typeof value === 'string' && Token.isUnresolved(value)) return [];
    const fields =
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    return fields.map((path) => ({
      field: `consumers[${index}]${path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('')}`,
      received: JSON.stringify(valueAt(consumer, path)) ?? 'nothing',
      allowed: issue.message,
    }));
  });
}

/**
 * Handover in an existing CDK app, one line per secret: {@link Handover.rotate} attaches the
 * rotation (function, least-privilege grants, schedule with its window, alarms) to a secret and
 * declares who holds it. Once the app is synthesized, the stack's `Handover` construct adds what the
 * secrets share: the rollout workflow (one state machine for every secret of the stack, started by
 * `RotationSucceeded` and by emergency rotations), its alarms, the dashboard and, when asked, the
 * break-glass role. Configure them by creating `new Handover(stack, 'Handover', props)` before the
 * first `rotate`.
 *
 * @example
 * ```ts
 * Handover.rotate(this, appSecret, Rotation.postgresAlternatingUsers({ masterSecret: db.secret! }), {
 *   network: { vpc, secretsManagerEndpoint },
 *   consumers: [Consumer.ecsService(api, { canary: true }), Consumer.lambda(exporter)],
 * });
 * ```
 */
export class Handover extends Construct {
  /** The stack's Handover construct: the one created with `new Handover(stack, 'Handover')`, or a default one. */
  public static of(scope: IConstruct): Handover {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(HANDOVER_ID);
    return existing instanceof Handover ? existing : new Handover(stack, HANDOVER_ID);
  }

  /**
   * Rotates `secret` with `rotation` and rolls each new credential out to `options.consumers`:
   * the one-line adoption, on the stack's {@link Handover}.
   */
  public static rotate(
    scope: IConstruct,
    secret: secretsmanager.ISecret,
    rotation: Rotation,
    options: RotateOptions = {},
  ): SecretRotation {
    return Handover.of(scope).rotate(secret, rotation, options);
  }

  /** The alarms' topic and runbook, unless alarms are off. */
  public readonly monitoring: RotationMonitoring | undefined;
  private readonly props: HandoverProps;
  private readonly secrets: RolloutSecret[] = [];
  private built: { rollout?: RolloutWorkflow; dashboard?: HandoverDashboard; breakGlass?: BreakGlassRole } =
    {};

  constructor(scope: Construct, id: string, props: HandoverProps = {}) {
    super(scope, id);
    this.props = props;
    this.monitoring = props.alarms === false ? undefined : (props.monitoring ?? RotationMonitoring.of(this));
    const aspect: IAspect = {
      visit: (node) => {
        if (node === this) this.complete();
      },
    };
    Aspects.of(this).add(aspect, { priority: AspectPriority.MUTATING });
  }

  /** The rollout state machine's name: `<stack name>-rollout` unless given. */
  public get stateMachineName(): string {
    return this.props.stateMachineName ?? `${Stack.of(this).stackName}-rollout`;
  }

  /** The rollout state machine's ARN, known before the state machine is built (from its name). */
  public get stateMachineArn(): string {
    return Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: this.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Lets `grantee` start rollouts of this stack's secrets, emergency rotations included
   * (`states:StartExecution` on the rollout state machine): the one permission an emergency
   * rotation needs.
   */
  public grantStartRollout(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['states:StartExecution'],
      resourceArns: [this.stateMachineArn],
    });
  }

  /** The rollout workflow, once the app is synthesized (`undefined` before, or with no secret). */
  public get rollout(): RolloutWorkflow | undefined {
    return this.built.rollout;
  }

  /** The dashboard, once the app is synthesized. */
  public get dashboard(): HandoverDashboard | undefined {
    return this.built.dashboard;
  }

  /** The break-glass role, once the app is synthesized, when asked for. */
  public get breakGlassRole(): BreakGlassRole | undefined {
    return this.built.breakGlass;
  }

  /**
   * Rotates `secret` with `rotation` (a {@link SecretRotation} in the secret's scope, id
   * `HandoverRotation`) and adds it to the stack's rollout workflow with its consumers. Bad
   * consumers throw one {@link RotationConfigurationError} listing every problem.
   */
  public rotate(
    secret: secretsmanager.ISecret,
    rotation: Rotation,
    options: RotateOptions = {},
  ): SecretRotation {
    const {
      consumers = [],
      grace,
      usageRecheck,
      usageMaxChecks,
      maxConcurrency,
      secretName,
      id,
      ...props
    } = options;
    const entryId = id ?? secret.node.id;
    const problems = consumers.flatMap(consumerProblems);
    const name = secretNameOf(secret, secretName);
    if (name === undefined) {
      problems.push({
        field: 'secretName',
        received: 'nothing, and a secret whose name the stack cannot tell',
        allowed: "the secret's name: give the secret a secretName, or pass secretName here",
      });
    }
    if (this.secrets.some((entry) => entry.id === entryId)) {
      problems.push({
        field: 'id',
        received: entryId,
        allowed: 'an id no other rotated secret of this stack has',
      });
    }
    if (problems.length > 0)
      throw new RotationConfigurationError(`${secret.node.path} (Handover.rotate)`, problems);

    const secretRotation = new SecretRotation(secret, 'HandoverRotation', {
      ...props,
      secret,
      rotation,
      alarms: props.alarms ?? this.monitoring !== undefined,
      monitoring: props.monitoring ?? this.monitoring,
      // The secret is rolled out by this construct's workflow.
      rolloutsTracked: true,
    });
    this.secrets.push({
      id: entryId,
      secret,
      ...(name === undefined ? {} : { secretName: name }),
      credentialType: rotation.type,
      rotationFunction: secretRotation.rotationFunction.function,
      // The policy file's defaults, so a secret rolls out the same from either.
      grace: grace ?? POLICY_DEFAULTS.grace,
      usageRecheck: usageRecheck ?? ROLLOUT_DEFAULTS.usageRecheck,
      usageMaxChecks: usageMaxChecks ?? ROLLOUT_DEFAULTS.usageMaxChecks,
      maxConcurrency: maxConcurrency ?? ROLLOUT_DEFAULTS.consumerConcurrency,
      consumers,
    });
    return secretRotation;
  }

  /** What the secrets share, built once every `rotate` has run (an aspect calls it at synth). */
  private complete(): void {
    if (this.secrets.length === 0 || this.built.rollout !== undefined) return;
    const stack = Stack.of(this);
    const rollout = new RolloutWorkflow(this, 'Rollout', {
      secrets: this.secrets,
      monitoring: this.monitoring,
      stateMachineName: this.stateMachineName,
      eventBusName: this.props.eventBusName,
      logRetention: this.props.logRetention,
      permissionsBoundary: this.props.permissionsBoundary,
    });
    new CfnOutput(this, 'RolloutStateMachineArn', {
      value: rollout.stateMachine.stateMachineArn,
      description:
        'Emergency rotation: handover emergency <secret> --reason "...", or Step Functions console > this state machine > Start execution with {"secretId": "<name or ARN>", "mode": "emergency", "reason": "<why>"}',
    }).overrideLogicalId('HandoverRolloutStateMachineArn');
    this.built = {
      rollout,
      ...(this.props.dashboard === false
        ? {}
        : {
            dashboard: new HandoverDashboard(this, 'Dashboard', {
              dashboardName: this.props.dashboardName ?? `${stack.stackName}-handover`,
              credentialTypes: [...new Set(this.secrets.map((entry) => entry.credentialType))],
              rollout,
              monitoring: this.monitoring,
            }),
          }),
      ...(this.props.breakGlass === undefined
        ? {}
        : {
            breakGlass: new BreakGlassRole(this, 'BreakGlassRole', {
              ...this.props.breakGlass,
              stateMachine: rollout.stateMachine,
              secrets: this.secrets.map((entry) => entry.secret),
              permissionsBoundary:
                this.props.breakGlass.permissionsBoundary ?? this.props.permissionsBoundary,
            }),
          }),
    };
    if (this.built.breakGlass !== undefined) {
      new CfnOutput(this, 'BreakGlassRoleArn', {
        value: this.built.breakGlass.role.roleArn,
        description:
          'Break-glass role: start emergency rotations and read their status (assume it, then run handover emergency)',
      }).overrideLogicalId('HandoverBreakGlassRoleArn');
    }
  }
}
