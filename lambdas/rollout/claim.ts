import { STAGE } from '../rotation/constants';
import { versionWith } from '../rotation/versions';
import { consumerContract } from './consumers/contracts';
import { ROLLOUT_ERRORS, ROLLOUT_TAKEN_OVER, type RolloutConfig, type RolloutMode } from './contract';
import type { RolloutDeps } from './deps';
import { RolloutError } from './errors';
import type { RolloutRequest } from './input';
import {
  acquireLock,
  holderStatus,
  type LockClaim,
  type LockState,
  type LockTable,
  mirrorLock,
  readLock,
  releaseLock,
  setLockVersion,
  staleReason,
  stopHolder,
  takeOverLock,
} from './lock';
import type { RolloutPlan } from './plan';
import { rotationToken } from './rotate-secret';
import { currentVersion, describeSecret, type SecretState } from './secret-state';
import { leaseSecondsFor, rolloutWorstCase } from './worst-case';

/** What claiming the lock decided. */
export type ClaimResult =
  /**
   * The lock is this execution's, mirrored into the tags; `secret` is the secret as read after that;
   * `carries`: the rollout carries AWSCURRENT (the event's rotation, or a version never rolled out)
   * rather than rotating.
   */
  | {
      readonly outcome: 'claimed';
      readonly secret: SecretState;
      readonly lock: LockState;
      readonly carries: boolean;
    }
  /** A RotationSucceeded event for a version another execution carries or a rollout completed. */
  | { readonly outcome: 'skip'; readonly reason: string };

/** Where the rollout function keeps the locks. */
export const lockTableOf = (deps: RolloutDeps): LockTable => ({
  dynamodb: deps.dynamodb,
  tableName: deps.settings.lockTable,
});

/** The version an execution rolls out: the event's (AWSCURRENT), or its own rotation's token. */
export function versionOf(
  request: RolloutRequest,
  executionArn: string,
  current: string | undefined,
): string {
  return request.trigger === 'event' && current !== undefined ? current : rotationToken(executionArn);
}

/** The lease of this rollout: its worst case plus a margin, at most the state machine's timeout. */
export function leaseUntil(deps: RolloutDeps, config: RolloutConfig, now: Date): Date {
  const worst = rolloutWorstCase({
    graceSeconds: config.graceSeconds,
    usageRecheckSeconds: config.usageRecheckSeconds,
    usageMaxChecks: config.usageMaxChecks,
    maxConcurrency: config.maxConcurrency,
    consumers: config.consumers.map((consumer) => ({
      ...(consumer.canary === undefined ? {} : { canary: consumer.canary }),
      ...waitOf(consumer),
    })),
    rotationTimeoutSeconds: deps.settings.rotationTimeoutSeconds,
  });
  const seconds = Math.min(leaseSecondsFor(worst), deps.settings.leaseSeconds);
  return new Date(now.getTime() + seconds * 1000);
}

function waitOf(consumer: RolloutConfig['consumers'][number]): { waitSeconds?: number } {
  const wait = consumerContract(consumer.kind).waitSeconds;
  return wait === undefined ? {} : { waitSeconds: wait(consumer as never) };
}

/**
 * Claims the secret's rollout lock for this execution (preflight), the compare-and-set way:
 *
 * 1. One conditional write takes the lock when it is free or already this execution's (a re-run),
 *    and, for a RotationSucceeded event, unless a rollout already completed that version.
 * 2. Held by another execution: a duplicate event for the version it carries is skipped; a stale
 *    holder (lease expired, or the execution ended) is taken over explicitly, logged; an emergency
 *    start takes over a live scheduled rollout: StopExecution with `Handover.RolloutTakenOver` and
 *    the reason, recorded on the lock item, logged, notified (its `Failed` milestone and an SNS
 *    message). A takeover is itself conditional on the item being as read, so two starts cannot
 *    both win. Anything else is refused with `Handover.RolloutRefused`, naming the holder.
 * 3. Mirrors the lock into the secret's tags (BEFORE anything is done to a consumer): from then on
 *    every rotation step that reads the secret sees it (the interlock). Then reads the secret once
 *    more, for the caller to see a rotation that was already in flight before the mirror.
 */
export async function claimLock(
  deps: RolloutDeps,
  context: {
    readonly request: RolloutRequest;
    readonly secret: SecretState;
    readonly config: RolloutConfig;
    readonly plan: RolloutPlan;
    readonly now: Date;
  },
): Promise<ClaimResult> {
  const { request, secret, config, plan, now } = context;
  const table = lockTableOf(deps);
  const current = currentVersion(secret);
  const claim: LockClaim = {
    secretArn: secret.arn,
    holder: plan.executionArn,
    mode: request.mode,
    leaseUntil: leaseUntil(deps, config, now),
    version: versionOf(request, plan.executionArn, current),
    now,
  };
  const unlessDone = request.trigger === 'event' ? current : undefined;
  const fields = {
    step: 'preflight',
    secret_id: secret.arn,
    rotation_id: plan.rolloutId,
    credential_type: config.credentialType,
  };

  try {
    return await claimOrSkip(deps, { secret, request, plan, now, table, claim, unlessDone, current, fields });
  } catch (error) {
    // Whatever failed (a lock write whose answer was lost, the mirror), nothing stays held.
    await giveBack(deps, plan).catch(() => undefined);
    throw error;
  }
}

async function claimOrSkip(
  deps: RolloutDeps,
  context: {
    readonly secret: SecretState;
    readonly request: RolloutRequest;
    readonly plan: RolloutPlan;
    readonly now: Date;
    readonly table: LockTable;
    readonly claim: LockClaim;
    readonly unlessDone: string | undefined;
    readonly current: string | undefined;
    readonly fields: Record<string, string>;
  },
): Promise<ClaimResult> {
  const { secret, request, plan, now, table, claim, unlessDone, current, fields } = context;
  const attempt = await acquireLock(table, claim, unlessDone);
  let lock: LockState = attempt.lock;
  if (attempt.outcome === 'done') {
    return { outcome: 'skip', reason: `version ${current} of ${secret.name} was already rolled out` };
  }
  if (attempt.outcome === 'held') {
    const existing = attempt.lock;
    const holder = existing.holder ?? '';
    if (unlessDone !== undefined && existing.done === unlessDone) {
      return { outcome: 'skip', reason: `version ${current} of ${secret.name} was already rolled out` };
    }
    const status = await holderStatus(deps.sfn, holder);
    const stale = staleReason(existing, status, now);
    if (stale === undefined && request.trigger === 'event' && existing.version === current) {
      return {
        outcome: 'skip',
        reason: `rollout ${holder} already carries version ${current} of ${secret.name} (it started this rotation)`,
      };
    }
    const emergency = stale === undefined && request.mode === 'emergency' && existing.mode !== 'emergency';
    if (stale === undefined && !emergency) {
      throw new RolloutError(
        ROLLOUT_ERRORS.refused,
        `another rollout of ${secret.name} is running: ${holder} (${existing.mode ?? 'scheduled'}${existing.leaseUntil === undefined ? '' : `, lock held until ${existing.leaseUntil}`})${status === 'unknown' ? '; its status could not be read, so its lock is respected' : ''}. Only one rollout per secret runs at a time: wait for it to finish, or stop it in the Step Functions console and start again${request.mode === 'emergency' ? ' (an emergency rollout is running: it already replaces the credential)' : '; an emergency start takes a scheduled rollout over'}.`,
      );
    }
    const reason = emergency
      ? `emergency rollout ${plan.executionArn} takes over: ${request.reason}`
      : `stale lock: ${stale}`;
    // A holder still running (an emergency's target, or one past its lease) is stopped FIRST, so
    // two rollouts never act on one secret at once; when it cannot be stopped, nothing is taken.
    const stopped =
      status !== 'ended' && (await stopHolder(deps.sfn, holder, `${ROLLOUT_TAKEN_OVER}: ${reason}`));
    if (!(await takeOverLock(table, claim, existing, reason))) {
      throw new RolloutError(
        ROLLOUT_ERRORS.refused,
        `another rollout of ${secret.name} took its lock at the same moment (the lock of ${holder} changed while this start took it over). Wait for it to finish.`,
      );
    }
    lock = {
      ...claim,
      leaseUntil: claim.leaseUntil.toISOString(),
      ...(existing.done === undefined ? {} : { done: existing.done }),
      takenOverFrom: holder,
      takeoverReason: reason,
    };
    deps.logger.warn(
      emergency ? 'emergency rollout takes over a scheduled rollout' : 'taking over a stale rollout lock',
      {
        ...fields,
        outcome: 'taken-over',
        previous_holder: holder,
        previous_mode: existing.mode ?? 'scheduled',
        reason,
      },
    );
    if (stopped) {
      await reportTakeover(deps, {
        plan,
        holder,
        mode: existing.mode ?? 'scheduled',
        reason,
        version: existing.version,
      });
    }
  }

  // A manual scheduled start on a secret whose AWSCURRENT was never rolled out (its rollout failed,
  // or never ran) carries it instead of rotating again: a rotation now would alternate back onto
  // the credential its consumers may still hold.
  const previous = versionWith(secret.versions, STAGE.previous);
  // A followed secret is rotated by someone else: every start of its rollout carries AWSCURRENT.
  const followed = plan.followed !== undefined;
  const carries =
    request.trigger === 'event' ||
    followed ||
    (request.mode === 'scheduled' &&
      current !== undefined &&
      previous !== undefined &&
      lock.done !== current);
  if (carries && request.trigger === 'manual' && current !== undefined) {
    if (!(await setLockVersion(table, secret.arn, plan.executionArn, current))) {
      throw new RolloutError(
        ROLLOUT_ERRORS.refused,
        `another rollout of ${secret.name} took its lock over while this one started. Wait for it to finish.`,
      );
    }
    lock = { ...lock, version: current };
    if (!followed) {
      deps.logger.warn('AWSCURRENT was never rolled out: carrying it instead of rotating again', {
        ...fields,
        outcome: 'carry-current',
        version_id: current,
        ...(lock.done === undefined ? {} : { rolled_out: lock.done }),
      });
    }
  }

  // The mirror, before anything is done to a consumer: rotations read it (the interlock).
  await mirrorLock(deps.secretsManager, secret.arn, lock);
  return {
    outcome: 'claimed',
    secret: await describeSecret(deps.secretsManager, secret.arn),
    lock,
    carries,
  };
}

/** A failed preflight gives back a lock it took (its mirror first); a lock it never took is left alone. */
async function giveBack(deps: RolloutDeps, plan: RolloutPlan): Promise<void> {
  const table = lockTableOf(deps);
  if ((await readLock(table, plan.secretArn)).holder !== plan.executionArn) return;
  await mirrorLock(deps.secretsManager, plan.secretArn, {});
  await releaseLock(table, plan.secretArn, plan.executionArn);
}

/** The stopped rollout's `Failed` milestone and an SNS message: who took over, and why. */
async function reportTakeover(
  deps: RolloutDeps,
  stopped: {
    readonly plan: RolloutPlan;
    readonly holder: string;
    readonly mode: RolloutMode;
    readonly reason: string;
    readonly version: string | undefined;
  },
): Promise<void> {
  const { plan, holder, mode, reason, version } = stopped;
  const rolloutId = holder.split(':').at(-1) ?? holder;
  await deps.notifier.milestone('Failed', {
    secretArn: plan.secretArn,
    secretName: plan.secretName,
    credentialType: plan.credentialType,
    rolloutId,
    executionArn: holder,
    mode,
    ...(version === undefined ? {} : { newVersionId: version }),
    error: ROLLOUT_TAKEN_OVER,
    cause: reason,
    takenOverBy: plan.executionArn,
  });
  await deps.notifier.summary(
    {
      subject: `Handover: rollout of ${plan.secretName} stopped: taken over`.slice(0, 100),
      body: [
        `Handover: the ${mode} rollout ${holder} of ${plan.secretName} was stopped (${ROLLOUT_TAKEN_OVER}).`,
        '',
        `Secret:       ${plan.secretArn}`,
        `Taken over by: ${plan.executionArn} (${plan.mode})`,
        `Why:          ${reason}`,
        '',
        'The new rollout carries the secret from here: its own summary follows when it ends. Consumers the',
        'stopped rollout had moved stay where they are until the new one moves them.',
        `Runbook:      ${deps.notifier.runbookUrl}#runbook-rollout-taken-over`,
      ].join('\n'),
    },
    { step: 'preflight', secret_id: plan.secretArn, rotation_id: plan.rolloutId, outcome: 'taken-over' },
  );
}

/**
 * A rotation in flight that is not this rollout's: AWSPENDING on a version that is neither
 * AWSCURRENT nor the version this execution rolls out. It may have read the secret before the
 * lock's mirror was written, so its setSecret may still be changing the target.
 */
export function rotationInFlight(secret: SecretState, ownVersion: string | undefined): string | undefined {
  const pending = versionWith(secret.versions, STAGE.pending);
  if (pending === undefined || pending === currentVersion(secret) || pending === ownVersion) return undefined;
  return pending;
}

/**
 * Releases this execution's lock on every terminal path (finish), recording `doneVersion` as rolled
 * out when the rollout completed. The tags' mirror is cleared first, while the lock is still this
 * execution's (no other holder can have written it), then the item is released conditionally. A
 * lock this execution no longer holds (taken over, removed by hand) is an error that is reported,
 * never ignored: the `RolloutLockLost` metric, an error log line and an SNS message; the mirror is
 * then rewritten from the item (the truth). Returns whether it was released (or already was).
 */
export async function releaseRolloutLock(
  deps: RolloutDeps,
  plan: RolloutPlan,
  doneVersion: string | undefined,
): Promise<boolean> {
  const table = lockTableOf(deps);
  const holder = plan.executionArn;
  const before = await readLock(table, plan.secretArn);
  if (before.holder === undefined && before.releasedBy === holder) return true;
  if (before.holder === holder) {
    await mirrorLock(
      deps.secretsManager,
      plan.secretArn,
      doneVersion === undefined ? {} : { done: doneVersion },
    );
    const result = await releaseLock(table, plan.secretArn, holder, doneVersion);
    if (result.outcome !== 'lost') return true;
    await reportLockLost(deps, plan, result.lock);
    return false;
  }
  await reportLockLost(deps, plan, before);
  return false;
}

async function reportLockLost(deps: RolloutDeps, plan: RolloutPlan, now: LockState): Promise<void> {
  const holderNow = now.holder ?? 'nobody';
  deps.metrics.lockLost(plan.credentialType);
  deps.logger.error('rollout lock lost: this execution no longer held it when it ended', {
    step: 'finish',
    outcome: 'lock-lost',
    secret_id: plan.secretArn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
    holder_now: holderNow,
    ...(now.takeoverReason === undefined ? {} : { reason: now.takeoverReason }),
  });
  await deps.notifier.summary(
    {
      subject: `Handover: rollout lock of ${plan.secretName} lost`.slice(0, 100),
      body: [
        `Handover: rollout ${plan.executionArn} of ${plan.secretName} ended without holding its lock.`,
        '',
        `Secret:      ${plan.secretArn}`,
        `Lock holder: ${holderNow}${now.takeoverReason === undefined ? '' : ` (${now.takeoverReason})`}`,
        '',
        'Another execution took the lock over (this one ran past its lease, or an emergency took over)',
        'or the lock was removed by hand: two rollouts may have acted on this secret. Check that every',
        'consumer is on the version AWSCURRENT holds, and that the holder above (if any) completes.',
        `Runbook:     ${deps.notifier.runbookUrl}#runbook-rollout-lock-lost`,
      ].join('\n'),
    },
    { step: 'finish', secret_id: plan.secretArn, rotation_id: plan.rolloutId, outcome: 'lock-lost' },
  );
  await mirrorLock(deps.secretsManager, plan.secretArn, now);
}
