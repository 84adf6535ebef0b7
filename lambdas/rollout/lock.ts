import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { TagResourceCommand, UntagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { LOCK_ATTRIBUTE, ROLLOUT_TAG, ROLLOUT_TAKEN_OVER, type RolloutMode } from './contract';

export { LOCK_ATTRIBUTE } from './contract';

import type { SecretsManagerSend } from './secret-state';

/**
 * The per-secret rollout lock: one item per secret in the stack's DynamoDB table, written only by
 * conditional writes (compare-and-set), with a holder (the execution ARN), a lease, the mode and
 * the version the holder rolls out. The secret's tags mirror it (`ROLLOUT_TAG`): written after the
 * lock is taken and before the rollout does anything to a consumer, for humans, the CLI and the
 * rotation functions' interlock. The item is the truth; the mirror follows it.
 */

/** The DynamoDB operations the lock calls (GetItem, UpdateItem), and nothing else. */
export type DynamoDbSend = Pick<DynamoDBClient, 'send'>;
/** The Step Functions operations the lock calls (DescribeExecution, StopExecution). */
export type StepFunctionsSend = Pick<SFNClient, 'send'>;

type Attribute = (typeof LOCK_ATTRIBUTE)[keyof typeof LOCK_ATTRIBUTE];

/** The lock of one secret, as its item holds it. */
export interface LockState {
  readonly holder?: string;
  readonly mode?: RolloutMode;
  readonly leaseUntil?: string;
  readonly takenAt?: string;
  readonly version?: string;
  readonly done?: string;
  readonly releasedBy?: string;
  readonly takenOverFrom?: string;
  readonly takeoverReason?: string;
}

/** Where the lock lives. */
export interface LockTable {
  readonly dynamodb: DynamoDbSend;
  readonly tableName: string;
}

/** What a holder writes when it takes the lock. */
export interface LockClaim {
  readonly secretArn: string;
  readonly holder: string;
  readonly mode: RolloutMode;
  readonly leaseUntil: Date;
  readonly version: string;
  readonly now: Date;
}

const NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(LOCK_ATTRIBUTE).map((name) => [`#${name}`, name]),
);

/** `ExpressionAttributeNames` for exactly the attributes `expressions` mention (DynamoDB refuses unused ones). */
function namesFor(...expressions: string[]): Record<string, string> {
  const text = expressions.join(' ');
  return Object.fromEntries(
    Object.entries(NAMES).filter(([placeholder]) => new RegExp(`${placeholder}\\b`).test(text)),
  );
}

const s = (value: string): AttributeValue => ({ S: value });

function lockOfItem(item: Record<string, AttributeValue> | undefined): LockState {
  const text = (name: Attribute): string | undefined => {
    const value = item?.[name];
    return value !== undefined && 'S' in value && typeof value.S === 'string' && value.S !== ''
      ? value.S
      : undefined;
  };
  const mode = text(LOCK_ATTRIBUTE.mode);
  const fields: Record<string, string | undefined> = {
    holder: text(LOCK_ATTRIBUTE.holder),
    mode: mode === 'scheduled' || mode === 'emergency' ? mode : undefined,
    leaseUntil: text(LOCK_ATTRIBUTE.leaseUntil),
    takenAt: text(LOCK_ATTRIBUTE.takenAt),
    version: text(LOCK_ATTRIBUTE.version),
    done: text(LOCK_ATTRIBUTE.done),
    releasedBy: text(LOCK_ATTRIBUTE.releasedBy),
    takenOverFrom: text(LOCK_ATTRIBUTE.takenOverFrom),
    takeoverReason: text(LOCK_ATTRIBUTE.takeoverReason),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as LockState;
}

const isConditionFailure = (error: unknown): error is Error & { Item?: Record<string, AttributeValue> } =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * The lock as the secret's tags mirror it (what the console, the CLI and the rotation functions
 * see): holder, lease, mode, version, and the last version rolled out.
 *
 * @example
 * ```ts
 * const { holder, leaseUntil } = lockOf(await describeSecret(client, 'orders/db/app'));
 * ```
 */
export function lockOf(secret: { readonly tags: Readonly<Record<string, string>> }): LockState {
  const tag = (key: string) => {
    const value = secret.tags[key];
    return value === undefined || value === '' ? undefined : value;
  };
  const mode = tag(ROLLOUT_TAG.mode);
  const fields: Record<string, string | undefined> = {
    holder: tag(ROLLOUT_TAG.holder),
    mode: mode === 'scheduled' || mode === 'emergency' ? mode : undefined,
    leaseUntil: tag(ROLLOUT_TAG.lease),
    version: tag(ROLLOUT_TAG.version),
    done: tag(ROLLOUT_TAG.done),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as LockState;
}

/** Reads the lock (a strongly consistent GetItem). */
export async function readLock(table: LockTable, secretArn: string): Promise<LockState> {
  const out = await table.dynamodb.send(
    new GetItemCommand({
      TableName: table.tableName,
      Key: { [LOCK_ATTRIBUTE.secretArn]: s(secretArn) },
      ConsistentRead: true,
    }),
  );
  return lockOfItem(out.Item);
}

/** SET clauses and values of a claim (holder, mode, lease, version, when). */
function claimOf(claim: LockClaim) {
  return {
    set: '#holder = :me, #mode = :mode, #leaseUntil = :lease, #takenAt = :now, #version = :version',
    values: {
      ':me': s(claim.holder),
      ':mode': s(claim.mode),
      ':lease': s(claim.leaseUntil.toISOString()),
      ':now': s(claim.now.toISOString()),
      ':version': s(claim.version),
    },
  };
}

/**
 * One conditional write to a secret's lock item (UpdateItem): the expression attribute names are
 * derived from the expressions; a refusal throws `ConditionalCheckFailedException`, carrying the
 * item as it was (`ALL_OLD`) so no second read is needed.
 */
function updateLock(
  table: LockTable,
  secretArn: string,
  write: {
    readonly update: string;
    readonly condition: string;
    readonly values: Record<string, AttributeValue>;
    /** Return the item as written. @default false */
    readonly returnNew?: boolean;
  },
) {
  return table.dynamodb.send(
    new UpdateItemCommand({
      TableName: table.tableName,
      Key: { [LOCK_ATTRIBUTE.secretArn]: s(secretArn) },
      UpdateExpression: write.update,
      ConditionExpression: write.condition,
      ExpressionAttributeNames: namesFor(write.update, write.condition),
      ExpressionAttributeValues: write.values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      ...(write.returnNew === true ? { ReturnValues: 'ALL_NEW' as const } : {}),
    }),
  );
}

/** What {@link acquireLock} found. */
export type AcquireResult =
  | { readonly outcome: 'taken'; readonly lock: LockState }
  | { readonly outcome: 'held'; readonly lock: LockState }
  | { readonly outcome: 'done'; readonly lock: LockState };

/**
 * Takes the lock if it is free or already this holder's (a re-run), in ONE conditional write. With
 * `unlessDone`, it also refuses when a rollout already completed that version (a duplicate
 * RotationSucceeded event). When the write is refused, the item as it was is returned with the
 * refusal (`ReturnValuesOnConditionCheckFailure: ALL_OLD`): no second read.
 */
export async function acquireLock(
  table: LockTable,
  claim: LockClaim,
  unlessDone?: string,
): Promise<AcquireResult> {
  const { set, values } = claimOf(claim);
  const condition = `(attribute_not_exists(#holder) OR #holder = :me)${unlessDone === undefined ? '' : ' AND (attribute_not_exists(#done) OR #done <> :current)'}`;
  const update = `SET ${set} REMOVE #takenOverFrom, #takeoverReason`;
  try {
    const out = await updateLock(table, claim.secretArn, {
      update,
      condition,
      values: { ...values, ...(unlessDone === undefined ? {} : { ':current': s(unlessDone) }) },
      returnNew: true,
    });
    return { outcome: 'taken', lock: lockOfItem(out.Attributes) };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const lock = lockOfItem(error.Item);
    const heldByOther = lock.holder !== undefined && lock.holder !== claim.holder;
    return { outcome: heldByOther ? 'held' : 'done', lock };
  }
}

/**
 * Takes the lock over from `previous` (a stale holder, or a scheduled rollout an emergency
 * replaces): a conditional write that succeeds only while the item is exactly as read (same holder,
 * same lease), so two starts taking over at once cannot both win. Returns `false` when the item
 * changed meanwhile (someone else took it); a retry that finds the lock already this holder's (its
 * first attempt's response was lost) returns `true`.
 */
export async function takeOverLock(
  table: LockTable,
  claim: LockClaim,
  previous: LockState,
  reason: string,
): Promise<boolean> {
  const { set, values } = claimOf(claim);
  const condition =
    previous.leaseUntil === undefined
      ? '#holder = :previous AND attribute_not_exists(#leaseUntil)'
      : '#holder = :previous AND #leaseUntil = :previousLease';
  const update = `SET ${set}, #takenOverFrom = :previous, #takeoverReason = :reason`;
  try {
    await updateLock(table, claim.secretArn, {
      update,
      condition,
      values: {
        ...values,
        ':previous': s(previous.holder ?? ''),
        ':reason': s(reason.slice(0, 1000)),
        ...(previous.leaseUntil === undefined ? {} : { ':previousLease': s(previous.leaseUntil) }),
      },
    });
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // A retry of a write whose response was lost finds the lock already this holder's.
    return lockOfItem(error.Item).holder === claim.holder;
  }
}

/**
 * Records the version the holder rolls out (an emergency that adopts a rotation in flight).
 * Returns `false` when `holder` no longer holds the lock: nothing was written.
 */
export async function setLockVersion(
  table: LockTable,
  secretArn: string,
  holder: string,
  version: string,
): Promise<boolean> {
  try {
    await updateLock(table, secretArn, {
      update: 'SET #version = :version',
      condition: '#holder = :me',
      values: { ':version': s(version), ':me': s(holder) },
    });
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** What {@link releaseLock} did. */
export type ReleaseResult =
  | { readonly outcome: 'released' }
  /** A re-run: this holder had released it already. */
  | { readonly outcome: 'already-released' }
  /** Someone else holds it now, or nobody and not by this holder's release: the lock was lost. */
  | { readonly outcome: 'lost'; readonly lock: LockState };

/**
 * Releases the lock when `holder` holds it (a conditional write), recording `doneVersion` as the
 * last version rolled out when the rollout completed. A release that finds the lock released by
 * this holder already is a re-run and succeeds; any other refusal means the lock was lost (taken
 * over, or removed by hand): it is returned, for the caller to report, never ignored.
 */
export async function releaseLock(
  table: LockTable,
  secretArn: string,
  holder: string,
  doneVersion?: string,
): Promise<ReleaseResult> {
  const update = `SET #releasedBy = :me${doneVersion === undefined ? '' : ', #done = :done'} REMOVE #holder, #mode, #leaseUntil, #takenAt, #version, #takenOverFrom, #takeoverReason`;
  const condition = '#holder = :me';
  try {
    await updateLock(table, secretArn, {
      update,
      condition,
      values: { ':me': s(holder), ...(doneVersion === undefined ? {} : { ':done': s(doneVersion) }) },
    });
    return { outcome: 'released' };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const lock = lockOfItem(error.Item);
    if (lock.holder === undefined && lock.releasedBy === holder) return { outcome: 'already-released' };
    return { outcome: 'lost', lock };
  }
}

/**
 * Records that `current` (AWSCURRENT, made by a rotation whose rollout ended before it planned, e.g.
 * a preflight that failed) was not rolled out: `done` becomes `marker` when nobody holds the lock
 * and no rollout completed `current` (a conditional write), then the `handover:rolled-out` tag
 * alone is written (never the holder tags, which another execution may be writing). Rotations are
 * then refused (`not-rolled-out`) until a rollout carries AWSCURRENT, even for a secret no rollout
 * had tracked before. Returns whether it recorded.
 */
export async function markNotRolledOut(
  table: LockTable,
  client: SecretsManagerSend,
  secretArn: string,
  current: string,
  marker: string,
): Promise<boolean> {
  const update = 'SET #done = :marker';
  const condition = 'attribute_not_exists(#holder) AND (attribute_not_exists(#done) OR #done <> :current)';
  try {
    await updateLock(table, secretArn, {
      update,
      condition,
      values: { ':marker': s(marker), ':current': s(current) },
    });
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
  await client.send(
    new TagResourceCommand({ SecretId: secretArn, Tags: [{ Key: ROLLOUT_TAG.done, Value: marker }] }),
  );
  return true;
}

/**
 * Writes the lock's mirror into the secret's tags (TagResource: one call): holder, lease, mode and
 * version, or (`lock.holder` unset) removes them (UntagResource), recording `done` first.
 */
export async function mirrorLock(
  client: SecretsManagerSend,
  secretArn: string,
  lock: LockState,
): Promise<void> {
  if (lock.holder !== undefined) {
    await client.send(
      new TagResourceCommand({
        SecretId: secretArn,
        Tags: [
          { Key: ROLLOUT_TAG.holder, Value: lock.holder },
          { Key: ROLLOUT_TAG.lease, Value: lock.leaseUntil ?? '' },
          { Key: ROLLOUT_TAG.mode, Value: lock.mode ?? 'scheduled' },
          { Key: ROLLOUT_TAG.version, Value: lock.version ?? '' },
          ...(lock.done === undefined ? [] : [{ Key: ROLLOUT_TAG.done, Value: lock.done }]),
        ],
      }),
    );
    return;
  }
  if (lock.done !== undefined) {
    await client.send(
      new TagResourceCommand({ SecretId: secretArn, Tags: [{ Key: ROLLOUT_TAG.done, Value: lock.done }] }),
    );
  }
  await client.send(
    new UntagResourceCommand({
      SecretId: secretArn,
      TagKeys: [ROLLOUT_TAG.holder, ROLLOUT_TAG.lease, ROLLOUT_TAG.mode, ROLLOUT_TAG.version],
    }),
  );
}

/** Updates the version of the lock's mirror (TagResource of that one tag). */
export async function mirrorVersion(
  client: SecretsManagerSend,
  secretArn: string,
  version: string,
): Promise<void> {
  await client.send(
    new TagResourceCommand({ SecretId: secretArn, Tags: [{ Key: ROLLOUT_TAG.version, Value: version }] }),
  );
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

/**
 * Stops an execution that lost the lock (StopExecution with the named error
 * `Handover.RolloutTakenOver` and `cause`). An execution that already ended is left alone.
 * Returns whether it was running and is now stopped.
 */
export async function stopHolder(
  sfn: StepFunctionsSend,
  executionArn: string,
  cause: string,
): Promise<boolean> {
  try {
    await sfn.send(
      new StopExecutionCommand({ executionArn, error: ROLLOUT_TAKEN_OVER, cause: cause.slice(0, 32_768) }),
    );
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}
