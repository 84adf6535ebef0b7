/**
 * How long a rollout of one secret can take at worst: the ONE computation the policy validation
 * (a rollout must fit between two rotations) and the rollout lock's lease (a lock outlives its
 * rollout's worst case by a margin, then it is stale) both use. Pure: no SDK, no I/O.
 */

/**
 * How the state machine retries a consumer update that is not ready yet (`ConsumerNotReadyError`:
 * a Lambda update in progress, an ECS deployment rolling out). The state machine's definition and
 * the worst case below both read it.
 */
export const CONSUMER_NOT_READY_RETRY = { intervalSeconds: 30, maxAttempts: 10, backoffRate: 1.5 } as const;

/** The longest a consumer the workflow updates (not waits on) can keep it waiting: every not-ready retry. */
export const CONSUMER_UPDATE_WORST_SECONDS = Math.ceil(
  Array.from(
    { length: CONSUMER_NOT_READY_RETRY.maxAttempts },
    (_, retry) => CONSUMER_NOT_READY_RETRY.intervalSeconds * CONSUMER_NOT_READY_RETRY.backoffRate ** retry,
  ).reduce((sum, seconds) => sum + seconds, 0),
);

/** One consumer, as far as its duration goes. */
export interface ConsumerDuration {
  /** Part of the canary wave. */
  readonly canary?: boolean;
  /**
   * For a kind the workflow waits on (an acknowledgement): the longest wait, in seconds.
   * @default - updated and verified: {@link CONSUMER_UPDATE_WORST_SECONDS}
   */
  readonly waitSeconds?: number;
}

/** What the worst case depends on: a secret's rollout settings. */
export interface RolloutDurationInput {
  readonly graceSeconds: number;
  readonly usageRecheckSeconds: number;
  readonly usageMaxChecks: number;
  /** Consumers updated at once in a wave. */
  readonly maxConcurrency: number;
  readonly consumers: readonly ConsumerDuration[];
  /** How long the rotation a manual start begins may take. */
  readonly rotationTimeoutSeconds: number;
}

/** A rollout's worst case, in seconds, with its parts. */
export interface RolloutWorstCase {
  readonly totalSeconds: number;
  readonly graceSeconds: number;
  /** Every usage check, each `usageRecheckSeconds` after the previous one. */
  readonly usageSeconds: number;
  /** Both waves, each in batches of `maxConcurrency`, each batch as long as its slowest consumer. */
  readonly consumerSeconds: number;
  readonly rotationSeconds: number;
}

function waveSeconds(consumers: readonly ConsumerDuration[], maxConcurrency: number): number {
  if (consumers.length === 0) return 0;
  const slowest = Math.max(...consumers.map((c) => c.waitSeconds ?? CONSUMER_UPDATE_WORST_SECONDS));
  return Math.ceil(consumers.length / Math.max(1, maxConcurrency)) * slowest;
}

/**
 * The worst case of a scheduled rollout: grace + usage checks x re-check interval + both consumer
 * waves (acknowledgement and update timeouts) + the rotation timeout (manual starts rotate first).
 *
 * @example
 * ```ts
 * rolloutWorstCase({ graceSeconds: 86_400, usageRecheckSeconds: 3600, usageMaxChecks: 24, maxConcurrency: 4,
 *   consumers: [{ waitSeconds: 3600 }], rotationTimeoutSeconds: 900 }).totalSeconds; // 176_400
 * ```
 */
export function rolloutWorstCase(input: RolloutDurationInput): RolloutWorstCase {
  const canary = input.consumers.filter((consumer) => consumer.canary === true);
  const main = input.consumers.filter((consumer) => consumer.canary !== true);
  const graceSeconds = input.graceSeconds;
  const usageSeconds = input.usageMaxChecks * input.usageRecheckSeconds;
  const consumerSeconds = waveSeconds(canary, input.maxConcurrency) + waveSeconds(main, input.maxConcurrency);
  const rotationSeconds = input.rotationTimeoutSeconds;
  return {
    totalSeconds: graceSeconds + usageSeconds + consumerSeconds + rotationSeconds,
    graceSeconds,
    usageSeconds,
    consumerSeconds,
    rotationSeconds,
  };
}

/**
 * The lease of a rollout's lock: its worst case plus a margin (an hour, or a tenth of the worst
 * case when that is longer), for the tasks' own time and retries. A lock past its lease is stale:
 * the next rollout takes it over and rotations pass the interlock.
 */
export function leaseSecondsFor(worstCase: RolloutWorstCase): number {
  return worstCase.totalSeconds + Math.max(3600, Math.ceil(worstCase.totalSeconds / 10));
}
