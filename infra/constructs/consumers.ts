import { type Duration, Token } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type { IConstruct } from 'constructs';
import type { SecretReference } from '../../lambdas/rollout/consumers/consumer-contract';
import { CONSUMER_NAME } from '../../lambdas/rollout/consumers/consumer-contract';
import type { ConsumerSettings, ConsumerSettingsOf } from '../../lambdas/rollout/consumers/contracts';

/** Options every consumer takes. */
export interface ConsumerOptions {
  /**
   * The consumer's name in logs, metrics, events, notifications and the dashboard (unique per
   * secret; 1 to 128 of A-Z a-z 0-9 . _ -).
   * @default - the target's name when it is known at synth, else the construct's id
   */
  readonly name?: string;
  /**
   * Part of the canary wave: updated and verified before every other consumer.
   * @default false
   */
  readonly canary?: boolean;
}

/** Options of {@link Consumer.lambda}. */
export interface LambdaConsumerOptions extends ConsumerOptions {
  /**
   * The environment variable set to the new version id (new execution environments read the new value).
   * @default 'HANDOVER_SECRET_VERSION'
   */
  readonly environmentVariable?: string;
}

/** Options of {@link Consumer.ssmParameter}. */
export interface SsmParameterConsumerOptions extends ConsumerOptions {
  /**
   * The customer-managed KMS key (key ARN) encrypting the parameter.
   * @default - the AWS managed key `alias/aws/ssm`
   */
  readonly kmsKeyArn?: string;
}

/** Options of {@link Consumer.event}. */
export interface EventConsumerOptions extends Omit<ConsumerOptions, 'name'> {
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

/** Options of {@link Consumer.webhook}. */
export interface WebhookConsumerOptions extends ConsumerOptions {
  /**
   * The secret whose value is the HMAC signing key (32 characters at least); the receiver verifies
   * every request with it (`handover/webhooks`, or any Standard Webhooks library).
   * @default - a secret the stack creates with a random 64-character key (`handover/webhook-signing/<entry id>/<consumer name>`)
   */
  readonly signingSecret?: SecretReference;
  /**
   * The deadline for a 2xx answer, 100 ms to 60 seconds.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
}

/** A name from a target that may be a token: the target's own name when known at synth, else the construct id. */
function nameOf(target: string, construct: IConstruct, given: string | undefined): string | undefined {
  if (given !== undefined) return given;
  if (!Token.isUnresolved(target)) return undefined; // the kind's contract derives it
  const id = construct.node.id.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 128);
  return CONSUMER_NAME.test(id) ? id : undefined;
}

/** `{ name?, canary? }` without undefined fields. */
function base(name: string | undefined, canary: boolean | undefined) {
  return { ...(name === undefined ? {} : { name }), ...(canary === undefined ? {} : { canary }) };
}

/**
 * Who holds a credential, for the rollout workflow: each factory makes one consumer from the
 * construct that holds it (the same settings a policy writes, `docs/consumers.md`), or pass the
 * settings object itself (`{ kind: 'webhook', url }`).
 *
 * @example
 * ```ts
 * Handover.rotate(this, secret, Rotation.postgresAlternatingUsers({ masterSecret }), {
 *   network: { vpc, secretsManagerEndpoint },
 *   consumers: [Consumer.ecsService(service, { canary: true }), Consumer.lambda(exportFunction)],
 * });
 * ```
 */
export class Consumer {
  /** A Lambda function: its environment variable is set to the new version id, so new environments read it. */
  public static lambda(
    fn: lambda.IFunction,
    options: LambdaConsumerOptions = {},
  ): ConsumerSettingsOf<'lambda'> {
    return {
      kind: 'lambda',
      ...base(nameOf(fn.functionName, fn, options.name), options.canary),
      functionName: fn.functionName,
      ...(options.environmentVariable === undefined
        ? {}
        : { environmentVariable: options.environmentVariable }),
    };
  }

  /** An ECS service: a new deployment is forced and must reach steady state. */
  public static ecsService(
    service: ecs.IBaseService,
    options: ConsumerOptions = {},
  ): ConsumerSettingsOf<'ecs-service'> {
    return {
      kind: 'ecs-service',
      ...base(nameOf(service.serviceName, service, options.name), options.canary),
      cluster: service.cluster.clusterName,
      service: service.serviceName,
    };
  }

  /** An SSM SecureString parameter that mirrors the secret value. */
  public static ssmParameter(
    parameter: ssm.IParameter,
    options: SsmParameterConsumerOptions = {},
  ): ConsumerSettingsOf<'ssm-parameter'> {
    return {
      kind: 'ssm-parameter',
      ...base(nameOf(parameter.parameterName, parameter, options.name), options.canary),
      parameterName: parameter.parameterName,
      ...(options.kmsKeyArn === undefined ? {} : { kmsKeyArn: options.kmsKeyArn }),
    };
  }

  /**
   * Anything else (CI pipelines, Kubernetes, other teams): an EventBridge event carrying a task
   * token, acknowledged with SendTaskSuccess.
   */
  public static event(name: string, options: EventConsumerOptions = {}): ConsumerSettingsOf<'event'> {
    return {
      kind: 'event',
      ...base(name, options.canary),
      ...(options.eventBusName === undefined ? {} : { eventBusName: options.eventBusName }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    } as ConsumerSettingsOf<'event'>;
  }

  /** A signed webhook (Standard Webhooks): POST that must answer 2xx within the timeout. */
  public static webhook(url: string, options: WebhookConsumerOptions = {}): ConsumerSettingsOf<'webhook'> {
    return {
      kind: 'webhook',
      ...base(options.name, options.canary),
      url,
      ...(options.signingSecret === undefined ? {} : { signingSecret: options.signingSecret }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    };
  }

  /** Any consumer from its settings, as a policy writes it. */
  public static of(settings: ConsumerSettings): ConsumerSettings {
    return settings;
  }

  private constructor() {}
}
