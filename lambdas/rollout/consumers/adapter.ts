import type { ConsumerConfig, ConsumerKind, ConsumerResult, ConsumerUpdate } from '../contract';

/**
 * One consumer kind. Both operations are idempotent: updating a consumer that is already on the
 * version is a no-op that reports `already-current`. Failures throw a `ConsumerError` whose
 * message names the consumer and says why, never with a secret.
 */
export interface ConsumerAdapter<C extends ConsumerConfig = ConsumerConfig> {
  readonly kind: C['kind'];
  /** Points the consumer at `update.versionId` (for `event`: publishes the event with the task token). */
  update(consumer: C, update: ConsumerUpdate): Promise<ConsumerResult>;
  /** Proves the consumer is healthy on `update.versionId` (waits, bounded, where the kind needs it). */
  verify(consumer: C, update: ConsumerUpdate): Promise<ConsumerResult>;
}

/** Every consumer kind's adapter: an exhaustive map, so a new kind does not compile until it has one. */
export type ConsumerAdapters = {
  readonly [K in ConsumerKind]: ConsumerAdapter<Extract<ConsumerConfig, { kind: K }>>;
};
