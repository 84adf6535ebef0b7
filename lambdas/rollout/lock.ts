import { TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ROLLOUT_TAG } from './contract';
import { describeSecret, type SecretState, type SecretsManagerSend } from './secret-state';

/** The Step Functions operation the lock calls (DescribeExecution), and nothing else. */
export type StepFunctionsSend = Pick<SFNClient, 'send'>;

/** The lock as the secret's tags hold it. */
export interface LockState {
  /** The execution ARN holding the lock. */
  readonly holder?: string;
  /** ISO 8601 expiry of the lease. */
  readonly leaseUntil?: string;
  /** The version the holder rolls out, once known. */
  readonly version?: string;
  /** The last version a rollout completed. */
  readonly done?: string;
}

/** Reads the lock from a secret's tags. */
export function lockOf(state: SecretState): LockState {
  const tag = (key: string) => {
    const value = state.tags[key];
    return value === undefined || value === '' ? undefined : value;
  };
  const holder = tag(ROLLOUT_TAG.holder);
  const leaseUntil = tag(ROLLOUT_TAG.lease);
  const version = tag(ROLLOUT_TAG.version);
  const done = tag(ROLLOUT_TAG.done);
  return {
    ...(holder === undefined ? {} : { holder }),
    ...(leaseUntil === undefined ? {} : { leaseUntil }),
    ...(version === undefined ? {} : { version }),
    ...(done === undefined ? {} : { done }),
  };
}

/**
 * Whether an execution still runs: `running`, `ended` (any terminal status, or it does not exist),
 * or `unknown` (the status could not be read: the lock is then respected).
 */
export type HolderStatus = 'running' | 'ended' | 'unknown';

/** Reads a lock holder's status through DescribeExecution. */
export async function holderStatus(sfn: StepFunctionsSend, executionArn: string): Promise<HolderStatus> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE' ? 'running' : 'ended';
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return 'ended';
    return 'unknown';
  }
}

/** Why another execution's lock does not block this one, or `undefined` when it does. */
export function staleReason(lock: LockState, status: HolderStatus, now: Date): string | undefined {
  if (lock.leaseUntil !== undefined) {
    const until = Date.parse(lock.leaseUntil);
    if (!Number.isNaN(until) && until <= now.getTime()) return `its lease expired at ${lock.leaseUntil}`;
  }
  if (status === 'ended')
    return 'that execution is no longer running (stopped, timed out, or ended without releasing)';
  return undefined;
}

/** Puts this execution's lock on the secret (TagResource: one call, all tags). */
export async function takeLock(
  client: SecretsManagerSend,
  secretArn: string,
  lock: { holder: string; leaseUntil: Date; version?: string },
): Promise<void> {
  await client.send(
    new TagResourceCommand({
      SecretId: secretArn,
      Tags: [
        { Key: ROLLOUT_TAG.holder, Value: lock.holder },
        { Key: ROLLOUT_TAG.lease, Value: lock.leaseUntil.toISOString() },
        ...(lock.version === undefined ? [] : [{ Key: ROLLOUT_TAG.version, Value: lock.version }]),
      ],
    }),
  );
}

/** Records the version the lock holder rolls out (manual mode, once the token is chosen). */
export async function tagLockVersion(
  client: SecretsManagerSend,
  secretArn: string,
  version: string,
): Promise<void> {
  await client.send(
    new TagResourceCommand({ SecretId: secretArn, Tags: [{ Key: ROLLOUT_TAG.version, Value: version }] }),
  );
}

/**
 * Releases the lock when `holder` holds it (never someone else's), recording `doneVersion` first
 * when the rollout completed. Idempotent: a lock already released is left alone.
 * @returns whether this call released it
 */
export async function releaseLock(
  client: SecretsManagerSend,
  secretArn: string,
  holder: string,
  doneVersion?: string,
): Promise<boolean> {
  const state = await describeSecret(client, secretArn);
  if (doneVersion !== undefined && lockOf(state).done !== doneVersion) {
    await client.send(
      new TagResourceCommand({ SecretId: secretArn, Tags: [{ Key: ROLLOUT_TAG.done, Value: doneVersion }] }),
    );
  }
  if (lockOf(state).holder !== holder) return false;
  await client.send(
    new UntagResourceCommand({
      SecretId: secretArn,
      TagKeys: [ROLLOUT_TAG.holder, ROLLOUT_TAG.lease, ROLLOUT_TAG.version],
    }),
  );
  return true;
}
