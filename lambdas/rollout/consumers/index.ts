import type { StructuredLogger } from '../../shared/observability';
import type { ConsumerAdapters } from './adapter';
import { createEcsServiceAdapter, type EcsPort, type EcsServiceAdapterOptions } from './ecs-service';
import { createEventAdapter, type EventBridgePort } from './event';
import { createLambdaAdapter, type LambdaAdapterOptions, type LambdaPort } from './lambda';
import { createSsmParameterAdapter, type SecretsManagerPort, type SsmPort } from './ssm-parameter';
import type { ConsumerClock } from './support';
import {
  createSigningKeyReader,
  createWebhookAdapter,
  type SigningKeyReader,
  type WebhookAdapterOptions,
} from './webhook';

export type { ConsumerAdapter, ConsumerAdapters } from './adapter';
export type { EcsPort, EcsServiceAdapterDeps, EcsServiceAdapterOptions } from './ecs-service';
export { createEcsServiceAdapter } from './ecs-service';
export type { EventAdapterDeps, EventBridgePort, RotationEventDetail } from './event';
export {
  createEventAdapter,
  DEFAULT_ACK_TIMEOUT_SECONDS,
  DEFAULT_EVENT_BUS,
  ROTATION_EVENT_DETAIL_TYPE,
  ROTATION_EVENT_SOURCE,
  rotationEventDetail,
} from './event';
export type { LambdaAdapterDeps, LambdaAdapterOptions, LambdaPort } from './lambda';
export { createLambdaAdapter, DEFAULT_VERSION_VARIABLE } from './lambda';
export type { SecretsManagerPort, SsmParameterAdapterDeps, SsmPort } from './ssm-parameter';
export { createSsmParameterAdapter, versionLabel } from './ssm-parameter';
export type { ConsumerClock } from './support';
export { ConsumerNotReadyError, systemClock } from './support';
export type {
  SigningKeyReader,
  WebhookAdapterDeps,
  WebhookAdapterOptions,
  WebhookPayload,
  WebhookPhase,
  WebhookReply,
} from './webhook';
export {
  createSigningKeyReader,
  createWebhookAdapter,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  IDEMPOTENCY_HEADER,
  WEBHOOK_EVENT_TYPE,
  webhookMessageId,
} from './webhook';

/** Timing and retry settings of every adapter. */
export interface ConsumerAdapterOptions {
  /** @default - see {@link LambdaAdapterOptions} */
  readonly lambda?: LambdaAdapterOptions;
  /** @default - see {@link EcsServiceAdapterOptions} */
  readonly ecsService?: EcsServiceAdapterOptions;
  /** @default - see {@link WebhookAdapterOptions} */
  readonly webhook?: WebhookAdapterOptions;
}

/** The narrow ports every adapter together needs. */
export interface ConsumerAdapterDeps {
  readonly lambda: LambdaPort;
  readonly ecs: EcsPort;
  readonly ssm: SsmPort;
  readonly eventBridge: EventBridgePort;
  /** Reads secret values (SSM mirror) and, by default, webhook signing keys. */
  readonly secretsManager: SecretsManagerPort;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default - the system clock */
  readonly clock?: ConsumerClock;
  /** @default - {@link createSigningKeyReader} over `secretsManager` */
  readonly readSigningKey?: SigningKeyReader;
  /** @default - nothing is logged */
  readonly logger?: StructuredLogger;
  /** @default - each adapter's defaults */
  readonly options?: ConsumerAdapterOptions;
}

/**
 * Every consumer kind's adapter, built from narrow SDK ports: the exhaustive map the rollout task
 * handlers dispatch on (`adapters[consumer.kind]`).
 *
 * @example
 * ```ts
 * const adapters = createConsumerAdapters({
 *   lambda: new LambdaClient({}),
 *   ecs: new ECSClient({}),
 *   ssm: new SSMClient({}),
 *   eventBridge: new EventBridgeClient({}),
 *   secretsManager: new SecretsManagerClient({}),
 *   logger: createLogger(),
 * });
 * const result = await adapters.lambda.update(consumer, update);
 * ```
 */
export function createConsumerAdapters(deps: ConsumerAdapterDeps): ConsumerAdapters {
  const common = {
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
  };
  return {
    lambda: createLambdaAdapter({
      ...common,
      lambda: deps.lambda,
      ...(deps.options?.lambda === undefined ? {} : { options: deps.options.lambda }),
    }),
    'ecs-service': createEcsServiceAdapter({
      ...common,
      ecs: deps.ecs,
      ...(deps.options?.ecsService === undefined ? {} : { options: deps.options.ecsService }),
    }),
    'ssm-parameter': createSsmParameterAdapter({
      ...common,
      ssm: deps.ssm,
      secretsManager: deps.secretsManager,
    }),
    event: createEventAdapter({ ...common, eventBridge: deps.eventBridge }),
    webhook: createWebhookAdapter({
      ...common,
      readSigningKey: deps.readSigningKey ?? createSigningKeyReader(deps.secretsManager),
      ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      ...(deps.options?.webhook === undefined ? {} : { options: deps.options.webhook }),
    }),
  };
}
