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
  /**
   * The IAM principals (role ARNs) that read the secret for the consumer, as its kind knows them (a
   * Lambda's execution role, an ECS service's task and execution roles): the readers check matches
   * CloudTrail's readers against them. Read-only.
   * @default - the kind knows none (the consumer's `principals` setting names them)
   */
  principals?(consumer: C): Promise<readonly string[]>;
}

/** Every consumer kind's adapter: an exhaustive map, so a new kind does not compile until it has one. */
export type ConsumerAdapters = {
  readonly [K in ConsumerKind]: ConsumerAdapter<Extract<ConsumerConfig, { kind: K }>>;
};
