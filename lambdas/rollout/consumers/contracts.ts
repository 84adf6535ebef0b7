/**
 * Every consumer kind, by kind: the ONE registration of a kind's contract (its adapter is the
 * other, in `./index.ts`). The kinds, the rollout configuration's types, the policy's consumer
 * entries and the construct's grants all derive from this record. Pure: the CDK constructs
 * import it; the rollout function uses only the kinds' `config` (through `./index.ts`), so its
 * bundle leaves the rest out.
 */
import type * as z from 'zod/mini';
import type { CommonConsumerConfig, CommonConsumerSettings, ConsumerContract } from './consumer-contract';
import { ecsServiceConsumer } from './ecs-service.contract';
import { eventConsumer } from './event.contract';
import { lambdaConsumer } from './lambda.contract';
import { ssmParameterConsumer } from './ssm-parameter.contract';
import { webhookConsumer } from './webhook.contract';

export const CONSUMER_CONTRACTS = {
  lambda: lambdaConsumer,
  'ecs-service': ecsServiceConsumer,
  'ssm-parameter': ssmParameterConsumer,
  event: eventConsumer,
  webhook: webhookConsumer,
} as const satisfies Readonly<Record<string, Pick<ConsumerContract, 'kind' | 'config' | 'settings'>>>;

/** A consumer kind. */
export type ConsumerKind = keyof typeof CONSUMER_CONTRACTS;

/** Every consumer kind, in registry order. */
export const CONSUMER_KINDS = /* @__PURE__ */ Object.keys(CONSUMER_CONTRACTS) as readonly ConsumerKind[];

// A registry entry under another kind's key does not compile.
type KindsMatchKeys = { [K in ConsumerKind]: (typeof CONSUMER_CONTRACTS)[K]['kind'] extends K ? K : never };
const kindsMatchKeys: { [K in ConsumerKind]: K } = {} as KindsMatchKeys;
void kindsMatchKeys;

/** Fields every consumer has, whatever its kind. */
interface ConsumerBase<K extends ConsumerKind> {
  readonly kind: K;
  /**
   * Part of the canary wave: updated and verified before every other consumer.
   * @default false
   */
  readonly canary?: boolean;
}

/** A consumer of kind `K` as the rollout function reads it (the SSM configuration). */
export type ConsumerConfigOf<K extends ConsumerKind> = ConsumerBase<K> & {
  /** Unique within the secret; appears in logs, metrics and notifications. */
  readonly name: string;
} & CommonConsumerConfig &
  Readonly<z.output<z.ZodMiniObject<(typeof CONSUMER_CONTRACTS)[K]['config']>>>;

/** A consumer as the rollout function reads it. */
export type ConsumerConfig = { [K in ConsumerKind]: ConsumerConfigOf<K> }[ConsumerKind];

/** A consumer of kind `K` as a deployment writes it: a policy entry, a construct's consumer. */
export type ConsumerSettingsOf<K extends ConsumerKind> = ConsumerBase<K> & {
  /**
   * The consumer's name in logs, metrics, events and notifications (unique per secret; 1 to 128
   * of A-Z a-z 0-9 . _ -). Event consumers must name themselves.
   * @default - from the target: the function name, the service name, the parameter name with "/"
   * as ".", the webhook's host name
   */
  readonly name?: string;
} & CommonConsumerSettings &
  Readonly<z.input<z.ZodMiniObject<ReturnType<(typeof CONSUMER_CONTRACTS)[K]['settings']>>>>;

/** A consumer as a deployment writes it. */
export type ConsumerSettings = { [K in ConsumerKind]: ConsumerSettingsOf<K> }[ConsumerKind];

/** The contract of a kind (typed for generic code). */
export function consumerContract(kind: ConsumerKind): ConsumerContract {
  return CONSUMER_CONTRACTS[kind] as unknown as ConsumerContract;
}
