import type { StructuredLogger } from '../../shared/observability';
import type { ConsumerAdapter, ConsumerAdapters } from './adapter';
import type { ConsumerShape } from './consumer-contract';
import type { CONSUMER_CONTRACTS, ConsumerKind } from './contracts';
import { createEcsServiceAdapter, type EcsPort, type EcsServiceAdapterOptions } from './ecs-service';
import { ecsServiceConfig } from './ecs-service.contract';
import { createEventAdapter, type EventBridgePort } from './event';
import { eventConfig } from './event.contract';
import { createLambdaAdapter, type LambdaAdapterOptions, type LambdaPort } from './lambda';
import { lambdaConfig } from './lambda.contract';
import { createSsmParameterAdapter, type SecretsManagerPort, type SsmPort } from './ssm-parameter';
import { ssmParameterConfig } from './ssm-parameter.contract';
import type { ConsumerClock } from './support';
import {
  createSigningKeyReader,
  createWebhookAdapter,
  type SigningKeyReader,
  type WebhookAdapterOptions,
} from './webhook';
import { webhookConfig } from './webhook.contract';

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

/** A kind as the rollout function runs it: the configuration it reads, and its adapter. */
interface ConsumerRuntime<K extends ConsumerKind> {
  /** The kind contract's `config`. */
  readonly config: (typeof CONSUMER_CONTRACTS)[K]['config'] & ConsumerShape;
  /** Builds the kind's adapter from the ports. */
  readonly adapter: (deps: ConsumerAdapterDeps) => ConsumerAdapters[K];
}

/** `clock` and `logger` when given: what every adapter takes. */
const observing = (deps: ConsumerAdapterDeps) => ({
  ...(deps.clock === undefined ? {} : { clock: deps.clock }),
  ...(deps.logger === undefined ? {} : { logger: deps.logger }),
});

/**
 * Every consumer kind as the rollout function runs it, by kind: the ONE registration of a kind's
 * adapter (its contract's is in `./contracts.ts`). An exhaustive record: a kind with a contract
 * does not compile until it is here.
 */
export const CONSUMER_RUNTIMES: { readonly [K in ConsumerKind]: ConsumerRuntime<K> } = {
  lambda: {
    config: lambdaConfig,
    adapter: (deps) =>
      createLambdaAdapter({
        ...observing(deps),
        lambda: deps.lambda,
        ...(deps.options?.lambda === undefined ? {} : { options: deps.options.lambda }),
      }),
  },
  'ecs-service': {
    config: ecsServiceConfig,
    adapter: (deps) =>
      createEcsServiceAdapter({
        ...observing(deps),
        ecs: deps.ecs,
        ...(deps.options?.ecsService === undefined ? {} : { options: deps.options.ecsService }),
      }),
  },
  'ssm-parameter': {
    config: ssmParameterConfig,
    adapter: (deps) =>
      createSsmParameterAdapter({ ...observing(deps), ssm: deps.ssm, secretsManager: deps.secretsManager }),
  },
  event: {
    config: eventConfig,
    adapter: (deps) => createEventAdapter({ ...observing(deps), eventBridge: deps.eventBridge }),
  },
  webhook: {
    config: webhookConfig,
    adapter: (deps) =>
      createWebhookAdapter({
        ...observing(deps),
        readSigningKey: deps.readSigningKey ?? createSigningKeyReader(deps.secretsManager),
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
        ...(deps.options?.webhook === undefined ? {} : { options: deps.options.webhook }),
      }),
  },
};

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
  const adapters: Partial<Record<ConsumerKind, ConsumerAdapter>> = {};
  for (const kind of Object.keys(CONSUMER_RUNTIMES) as ConsumerKind[]) {
    adapters[kind] = CONSUMER_RUNTIMES[kind].adapter(deps) as unknown as ConsumerAdapter;
  }
  return adapters as ConsumerAdapters;
}
