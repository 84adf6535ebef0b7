/**
 * The interlock between a rotation and a rollout of the same secret, as the rotation function sees
 * it. Pure: no SDK, no I/O (the CDK constructs and the CLI import the tag names from here through
 * `lambdas/rollout/contract.ts`).
 *
 * The rollout workflow holds a per-secret lock (a conditional write in its DynamoDB table) and
 * mirrors it into the secret's tags right after taking it, BEFORE it does anything to a consumer.
 * The rotation engine reads those tags from the DescribeSecret it already makes in createSecret and
 * setSecret (no extra call, no DynamoDB client in the rotation functions), and refuses a rotation
 * that would take away the credential a live rollout is keeping valid for its consumers. A
 * rollout's own rotation (the version it rolls out, `handover:rollout-version`) passes.
 */
import { RotationRefusedError } from '../shared/errors';

/**
 * Tags on the secret: the mirror of the rollout lock (holder, lease expiry, mode, the version it
 * carries) and the last version a rollout completed. Visible in the console and read by the CLI;
 * read by the rotation engine (the interlock). The lock itself is the rollout's DynamoDB item.
 */
export const ROLLOUT_TAG = {
  /** The execution ARN holding the lock. */
  holder: 'handover:rollout',
  /** ISO 8601: after this instant the lock is stale (the next rollout takes it over; rotations pass). */
  lease: 'handover:rollout-lease',
  /** The version id the holder rolls out: its own rotation passes the interlock. */
  version: 'handover:rollout-version',
  /** `scheduled` or `emergency`: an emergency's rotation may reset a user still in use. */
  mode: 'handover:rollout-mode',
  /** The last version id a rollout completed. */
  done: 'handover:rolled-out',
} as const;

/**
 * The prefix of the `handover:rolled-out` value a rollout that ended with consumers split between
 * versions (or an old credential still in use) leaves: `incomplete:<execution name>`. No version
 * equals it, so rotations are refused until a rollout completes.
 */
export const INCOMPLETE_ROLLOUT = 'incomplete:';

/**
 * The rotation function's environment variable saying that every secret it rotates is rolled out
 * by a Handover rollout workflow (`tracked`; the constructs set it when they wire the workflow). For
 * such a secret, a rotation is refused while it has an AWSPREVIOUS and no rollout has ever recorded
 * what it rolled out: that AWSCURRENT may have reached no consumer yet.
 */
export const ROLLOUTS_ENV = 'HANDOVER_ROLLOUTS';

/** The value of {@link ROLLOUTS_ENV} for functions whose secrets are rolled out. */
export const ROLLOUTS_TRACKED = 'tracked';

/** A rollout that holds a secret's lock, as its tags say. */
export interface LiveRollout {
  /** The execution ARN. */
  readonly holder: string;
  readonly mode: 'scheduled' | 'emergency';
  /** The version it rolls out, when known. */
  readonly version?: string;
  /** ISO 8601. */
  readonly leaseUntil: string;
}

/**
 * The rollout holding the secret's lock, from its tags; `undefined` when there is none, or its
 * lease has expired (a rollout that ran past its worst case is presumed gone: rotations pass, and
 * the next rollout takes its lock over).
 *
 * @example
 * ```ts
 * const live = liveRollout(meta.tags, new Date());
 * if (live?.mode === 'emergency') { ... }
 * ```
 */
export function liveRollout(tags: Readonly<Record<string, string>>, now: Date): LiveRollout | undefined {
  const holder = tags[ROLLOUT_TAG.holder];
  if (holder === undefined || holder === '') return undefined;
  const leaseUntil = tags[ROLLOUT_TAG.lease] ?? '';
  const until = Date.parse(leaseUntil);
  // A lock without a readable lease is respected: only an expired lease makes it stale.
  if (!Number.isNaN(until) && until <= now.getTime()) return undefined;
  const version = tags[ROLLOUT_TAG.version];
  return {
    holder,
    mode: tags[ROLLOUT_TAG.mode] === 'emergency' ? 'emergency' : 'scheduled',
    ...(version === undefined || version === '' ? {} : { version }),
    leaseUntil,
  };
}

/**
 * The interlock of createSecret and setSecret: throws {@link RotationRefusedError} when a live
 * rollout of the secret is not the one this rotation belongs to (its version is not `token`), or,
 * with no live rollout, when the secret's rollouts are tracked and its AWSCURRENT was never rolled
 * out (the previous rotation's rollout failed or has not run yet).
 * Returns the live rollout this rotation belongs to, if any (setSecret hands it to the strategy:
 * an emergency's rotation may reset a user still in use).
 */
export function checkInterlock(
  secret: {
    readonly arn: string;
    readonly name: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly versions: Readonly<Record<string, readonly string[]>>;
  },
  token: string,
  step: 'createSecret' | 'setSecret',
  now: Date,
  rolloutsTracked = false,
): LiveRollout | undefined {
  const live = liveRollout(secret.tags, now);
  if (live?.version === token) return live;
  if (live === undefined) {
    // A secret whose rollouts are tracked (it carries `handover:rolled-out`) and whose AWSCURRENT
    // was never rolled out (its rollout failed, or has not started yet): consumers may still hold
    // the previous credential, the very one this rotation would take away.
    const done = secret.tags[ROLLOUT_TAG.done];
    const current = Object.keys(secret.versions).find((id) => secret.versions[id]?.includes('AWSCURRENT'));
    const previous = Object.keys(secret.versions).find((id) => secret.versions[id]?.includes('AWSPREVIOUS'));
    if (
      (done === undefined || done === '') &&
      rolloutsTracked &&
      current !== undefined &&
      previous !== undefined
    ) {
      // Rolled out by a workflow, rotated before, and no rollout ever recorded anything: the last
      // rotation's rollout has not run yet (or failed before it could record), or the secret was
      // rotated before Handover managed it. Either way its consumers may hold AWSPREVIOUS.
      throw new RotationRefusedError(
        secret.arn,
        'not-rolled-out',
        `${step} refused: version ${current} (AWSCURRENT) of secret ${secret.name} has no record of being rolled out to its consumers (no rollout has completed for this secret, and it has an AWSPREVIOUS version: its last rotation's rollout has not run or did not record, or it was rotated before Handover managed it); they may still hold the previous credential, which this rotation (version ${token}) would take away. Nothing was changed. Roll it out first: start a rollout with mode "scheduled" (handover rotate ${secret.name}: it carries AWSCURRENT to the consumers instead of rotating, and records it); Secrets Manager retries this rotation later and it passes once that rollout has completed. To rotate at once, start an emergency rollout.`,
      );
    }
    if (done === undefined || done === '' || current === undefined || current === done) return undefined;
    const last = done.startsWith(INCOMPLETE_ROLLOUT)
      ? `the last rollout, ${done.slice(INCOMPLETE_ROLLOUT.length)}, ended with consumers not all on AWSCURRENT`
      : `the last rollout completed version ${done}`;
    throw new RotationRefusedError(
      secret.arn,
      'not-rolled-out',
      `${step} refused: version ${current} (AWSCURRENT) of secret ${secret.name} has not been rolled out to its consumers (${last}); they may still hold the previous credential, which this rotation (version ${token}) would take away. Nothing was changed. Roll it out first: start a rollout with mode "scheduled" (it carries AWSCURRENT to the consumers instead of rotating again, see its runbook entry); Secrets Manager retries this rotation later and it passes once that rollout has completed. To rotate at once, start an emergency rollout.`,
    );
  }
  throw new RotationRefusedError(
    secret.arn,
    'rollout-in-progress',
    `${step} refused: rollout ${live.holder} of secret ${secret.name} (${live.mode}) is keeping the previous credential valid for its consumers until it finishes (lock lease until ${live.leaseUntil || 'unknown'}); rotating now (version ${token}) would take it away from the consumers that still hold it. Nothing was changed. Secrets Manager retries this rotation later and it passes once the rollout has finished; to rotate at once, start an emergency rollout (it takes the running one over). If that execution is no longer running, release its lock (runbook: rotation refused).`,
  );
}
