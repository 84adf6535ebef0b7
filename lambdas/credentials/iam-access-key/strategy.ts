import { setTimeout as sleepFor } from 'node:timers/promises';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import {
  type CredentialStrategy,
  noPrevious,
  type PreviousReader,
  type StrategyContext,
  type UsageReport,
} from '../../rotation/strategy';
import { type CloudTrailSend, lookupTrail, type TrailEvent } from '../../shared/cloudtrail';
import { CredentialTestError, RotationStateError, SecretFormatError, TargetError } from '../../shared/errors';
import { fingerprint } from '../../shared/redaction';
import type { Straggler } from '../../shared/stragglers';
import {
  awsErrorCode,
  createIamApi,
  describeAwsError,
  type IamApi,
  type KeyInfo,
  targetError,
} from './iam-api';
import { type IamAccessKeyStrategyOptions, type ResolvedIamOptions, resolveIamOptions } from './options';
import {
  type AccessKeySecret,
  maskAccessKeyId,
  parseAccessKeySecret,
  serializeAccessKeySecret,
} from './schema';

/** STS answers for a key it does not accept (yet): new keys get these until IAM has propagated them. */
const REJECTED_KEY_CODES = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch']);

/** Fields of a log line about one access key: the user name, the masked key id and its fingerprint. */
function about(step: string, username: string, accessKeyId: string): Record<string, unknown> {
  const masked = maskAccessKeyId(accessKeyId);
  return { step, username, access_key: masked, key_fingerprint: fingerprint(masked) };
}

const isCode = (error: unknown, code: string) => awsErrorCode(error) === code;

/**
 * Creates the IAM access key strategy the rotation engine drives. The secret holds one IAM user's
 * access key: `{ "username", "accessKeyId", "secretAccessKey" }` (the PascalCase spellings of the
 * IAM API are accepted too, and written back as they were).
 *
 * - `create` (createSecret): IAM allows two keys per user. Before CreateAccessKey it deletes the
 *   user's keys other than AWSCURRENT's that are Inactive (the previous rotation's key, revoked by
 *   the rollout workflow) or are Active, held by no version of the secret and never used (an orphan
 *   left by an attempt that failed between CreateAccessKey and PutSecretValue), so a re-run never
 *   hits `LimitExceeded`. It never deletes AWSCURRENT's key; it refuses to delete an Active
 *   AWSPREVIOUS key (unless `activePreviousKey: 'delete'`) or a used key the secret does not hold,
 *   and refuses to create a key for a user AWSCURRENT's key does not belong to.
 * - `set` (setSecret): the key already exists; it checks that it still does and is Active.
 * - `test` (testSecret): STS GetCallerIdentity signed with the key under test, retried with bounded
 *   exponential backoff while STS rejects a key IAM has not propagated yet; the caller must be the
 *   secret's IAM user (its exact ARN, from GetUser).
 * - `inUse`: GetAccessKeyLastUsed after `since`. `revoke`: UpdateAccessKey Inactive (never the key
 *   AWSCURRENT holds). `restore`: UpdateAccessKey Active. The revoked key is deleted by the next
 *   rotation's createSecret.
 *
 * Log lines carry the user name and the key id masked (`AKIA…WXYZ`) or fingerprinted; errors mask
 * key ids too. The secret access key never leaves the secret.
 *
 * @example
 * ```ts
 * const strategy = createIamAccessKeyStrategy({ testTimeoutMs: 30_000 });
 * export const handler = createRotationLambda(strategy);
 * ```
 *
 * @example
 * ```ts
 * // Tests and benchmarks: injected clients, a fast retry policy, and a call counter.
 * const calls: string[] = [];
 * const strategy = createIamAccessKeyStrategy({
 *   iam: new IAMClient({ endpoint }),
 *   sts: (credentials) => new STSClient({ endpoint, credentials }),
 *   testTimeoutMs: 2000,
 *   testInitialDelayMs: 50,
 *   onCall: ({ service, operation }) => calls.push(`${service}:${operation}`),
 * });
 * ```
 */
export function createIamAccessKeyStrategy(
  options: IamAccessKeyStrategyOptions = {},
): CredentialStrategy<AccessKeySecret> {
  const resolved = resolveIamOptions(options);
  const api = createIamApi(
    options.iam ?? new IAMClient({}),
    options.sts ?? ((credentials) => new STSClient({ credentials })),
    options.onCall,
  );
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms));
  const now = options.now ?? (() => performance.now());
  let cloudTrail: CloudTrailSend | undefined = options.cloudTrail;
  // Created on first use only: only inUse needs it.
  const trail = () => {
    cloudTrail ??= new CloudTrailClient({});
    return cloudTrail;
  };
  const callerPages = options.callerLookupMaxPages ?? 20;

  return {
    type: 'iam-access-key',
    variant: 'access-key',
    previousStaysValid: true,
    parse: parseAccessKeySecret,
    serialize: serializeAccessKeySecret,
    identify: (value) => maskAccessKeyId(value.accessKeyId),
    // The key id is not a secret, but it is logged only masked: redact it from errors as well.
    secretsOf: (value) => [value.secretAccessKey, value.accessKeyId],

    async create(current, ctx, previous = noPrevious) {
      const { username } = current;
      await makeRoom(api, resolved, current, previous, ctx);
      let created: Awaited<ReturnType<IamApi['createKey']>>;
      try {
        created = await api.createKey(username);
      } catch (error) {
        if (isCode(error, 'LimitExceeded')) {
          throw new TargetError(
            `iam:CreateAccessKey for IAM user "${username}" failed: the user has two access keys again ` +
              '(another process created one meanwhile); the next attempt cleans up and retries',
          );
        }
        throw targetError(`iam:CreateAccessKey for IAM user "${username}"`, error);
      }
      ctx.logger.info('created access key', {
        ...about('createSecret', username, created.accessKeyId),
        outcome: 'created',
      });
      return { ...current, ...created };
    },

    async set(pending, current, _previous, ctx) {
      if (pending.username !== current.username) {
        throw new SecretFormatError(
          'username',
          `pending and current secret name different IAM users ("${pending.username}", "${current.username}"): ` +
            'a rotation changes the key, not the user',
        );
      }
      const keys = await listKeys(api, pending.username, 'setSecret');
      const key = keys.find((k) => k.id === pending.accessKeyId);
      const masked = maskAccessKeyId(pending.accessKeyId);
      if (key === undefined) {
        throw new TargetError(
          `setSecret: the pending access key ${masked} of IAM user "${pending.username}" no longer exists. ` +
            `Remove AWSPENDING from version ${ctx.rotationId} and rotate again`,
        );
      }
      if (key.status !== 'Active') {
        throw new TargetError(
          `setSecret: the pending access key ${masked} of IAM user "${pending.username}" is ${key.status}, ` +
            'not Active: activate it (iam:UpdateAccessKey) and retry, or remove AWSPENDING and rotate again',
        );
      }
      ctx.logger.info('pending access key exists and is active', {
        ...about('setSecret', pending.username, pending.accessKeyId),
        outcome: 'verified',
      });
    },

    async test(pending, ctx) {
      await proveKey(api, resolved, { sleep, now }, pending, ctx);
    },

    async inUse(old, since, ctx): Promise<UsageReport> {
      const masked = maskAccessKeyId(old.accessKeyId);
      const subject = `access key ${masked} of IAM user "${old.username}"`;
      let use: Awaited<ReturnType<IamApi['lastUse']>>;
      try {
        use = await api.lastUse(old.accessKeyId);
      } catch (error) {
        if (isCode(error, 'NoSuchEntity')) return { inUse: false, evidence: `${subject} no longer exists` };
        throw targetError(`iam:GetAccessKeyLastUsed for ${subject}`, error);
      }
      const callers = await keyCallers(trail(), old.accessKeyId, masked, since, callerPages, ctx);
      const usedAfter = use.date !== undefined && use.date.getTime() > since.getTime();
      const inUse = usedAfter || callers.stragglers.length > 0;
      const when =
        use.date === undefined
          ? undefined
          : `${use.date.toISOString()} (${use.service ?? 'unknown service'} in ${use.region ?? 'unknown region'})`;
      const verdict =
        when === undefined
          ? `${subject} has never been used`
          : usedAfter
            ? `${subject} was last used ${when}, after ${since.toISOString()}`
            : `${subject} has not been used since ${since.toISOString()}; last used ${when}`;
      const onlyTrail = inUse && !usedAfter ? ', but ' : '; ';
      return {
        inUse,
        evidence: `${verdict}${onlyTrail}${callers.evidence}`,
        ...(use.date === undefined ? {} : { lastUsed: use.date }),
        ...(callers.stragglers.length === 0 ? {} : { stragglers: callers.stragglers }),
      };
    },

    async revoke(old, ctx) {
      const current = parseAccessKeySecret(await ctx.secrets.getSecretString(ctx.secretId));
      const masked = maskAccessKeyId(old.accessKeyId);
      if (current.accessKeyId === old.accessKeyId) {
        throw new RotationStateError(
          `revoke: access key ${masked} of IAM user "${old.username}" is the one AWSCURRENT of ${ctx.secretId} ` +
            'holds: refusing to deactivate it',
        );
      }
      try {
        await api.setStatus(old.username, old.accessKeyId, 'Inactive');
      } catch (error) {
        if (!isCode(error, 'NoSuchEntity')) {
          throw targetError(`revoke: iam:UpdateAccessKey Inactive for ${masked} of "${old.username}"`, error);
        }
        ctx.logger.info('access key already deleted', { ...about('revoke', old.username, old.accessKeyId) });
        return;
      }
      ctx.logger.info('deactivated access key', {
        ...about('revoke', old.username, old.accessKeyId),
        outcome: 'revoked',
      });
    },

    async restore(old, ctx) {
      const masked = maskAccessKeyId(old.accessKeyId);
      try {
        await api.setStatus(old.username, old.accessKeyId, 'Active');
      } catch (error) {
        if (isCode(error, 'NoSuchEntity')) {
          throw new TargetError(
            `restore: access key ${masked} of IAM user "${old.username}" no longer exists and cannot be restored`,
          );
        }
        throw targetError(`restore: iam:UpdateAccessKey Active for ${masked} of "${old.username}"`, error);
      }
      ctx.logger.info('reactivated access key', {
        ...about('restore', old.username, old.accessKeyId),
        outcome: 'restored',
      });
    },
  };
}

async function listKeys(api: IamApi, username: string, step: string): Promise<KeyInfo[]> {
  try {
    return await api.listKeys(username);
  } catch (error) {
    if (isCode(error, 'NoSuchEntity')) {
      throw new TargetError(`${step}: IAM user "${username}" does not exist`);
    }
    throw targetError(`${step}: iam:ListAccessKeys for IAM user "${username}"`, error);
  }
}

/**
 * Frees a key slot for CreateAccessKey. Every key of the user other than AWSCURRENT's is
 * examined: Inactive keys are deleted; an Active key is deleted only when no version holds it and
 * it was never used (an orphan of a failed attempt), or when it is AWSPREVIOUS's and the policy
 * says `delete`. Anything else stops the rotation with the reason.
 */
async function makeRoom(
  api: IamApi,
  options: ResolvedIamOptions,
  current: AccessKeySecret,
  previous: PreviousReader<AccessKeySecret>,
  ctx: StrategyContext,
): Promise<void> {
  const { username } = current;
  const keys = await listKeys(api, username, 'createSecret');
  const held = keys.find((key) => key.id === current.accessKeyId);
  if (held === undefined) {
    // The confused-deputy check: whoever wrote the secret must name a user the key belongs to, or
    // the Lambda would create (and hand out) keys for any user its role may manage.
    throw new TargetError(
      `createSecret: the AWSCURRENT access key ${maskAccessKeyId(current.accessKeyId)} is not a key of IAM user ` +
        `"${username}": refusing to create a key for a user the secret does not hold a key of. ` +
        'Fix "username" or the key in the secret',
    );
  }
  if (held.status !== 'Active') {
    ctx.logger.warn('the AWSCURRENT access key is not active', {
      ...about('createSecret', username, held.id),
      status: held.status,
    });
  }
  for (const key of keys) {
    if (key.id === current.accessKeyId) continue;
    const reason = await disposal(api, options, current, key, previous);
    try {
      await api.deleteKey(username, key.id);
    } catch (error) {
      // Deleted meanwhile (e.g. by the attempt whose response was lost): the slot is free.
      if (!isCode(error, 'NoSuchEntity')) {
        throw targetError(
          `createSecret: iam:DeleteAccessKey for ${maskAccessKeyId(key.id)} of IAM user "${username}"`,
          error,
        );
      }
    }
    ctx.logger.info(`deleted ${reason} access key`, { ...about('createSecret', username, key.id), reason });
  }
}

/** Why `key` may be deleted (`inactive`, `orphan`, `previous`), or the error that forbids it. */
async function disposal(
  api: IamApi,
  options: ResolvedIamOptions,
  current: AccessKeySecret,
  key: KeyInfo,
  previous: PreviousReader<AccessKeySecret>,
): Promise<string> {
  const { username } = current;
  const masked = maskAccessKeyId(key.id);
  if (key.status === 'Inactive') return 'inactive';
  if ((await previous())?.accessKeyId === key.id) {
    if (options.activePreviousKey === 'delete') return 'previous';
    throw new TargetError(
      `createSecret: IAM user "${username}" has two access keys and the one besides AWSCURRENT's, ` +
        `${masked} (AWSPREVIOUS), is still Active: the previous rollout has not revoked it, so consumers may ` +
        'still use it. Let the rollout revoke it (or deactivate it once unused), or set ' +
        'HANDOVER_IAM_ACTIVE_PREVIOUS_KEY=delete to delete it anyway',
    );
  }
  let use: Awaited<ReturnType<IamApi['lastUse']>>;
  try {
    use = await api.lastUse(key.id);
  } catch (error) {
    if (isCode(error, 'NoSuchEntity')) return 'orphan';
    throw targetError(
      `createSecret: iam:GetAccessKeyLastUsed for ${masked} of IAM user "${username}"`,
      error,
    );
  }
  if (use.date === undefined) return 'orphan';
  throw new TargetError(
    `createSecret: access key ${masked} of IAM user "${username}" is Active, is held by neither AWSCURRENT ` +
      `nor AWSPREVIOUS, and was last used ${use.date.toISOString()} (${use.service ?? '?'} in ${use.region ?? '?'}): ` +
      'it is not an orphan of a failed rotation, so Handover leaves it alone. Deactivate or delete it if it is ' +
      'not needed; IAM allows two keys per user',
  );
}

/**
 * testSecret: GetCallerIdentity signed with the key, retried with exponential backoff while STS
 * rejects it; the caller must be the secret's user. On the first rejection, ListAccessKeys tells a
 * key that is gone or Inactive (fail at once) from one IAM has not propagated yet (wait).
 */
async function proveKey(
  api: IamApi,
  options: ResolvedIamOptions,
  clock: { sleep: (ms: number) => Promise<void>; now: () => number },
  value: AccessKeySecret,
  ctx: StrategyContext,
): Promise<void> {
  const { username } = value;
  const masked = maskAccessKeyId(value.accessKeyId);
  let expectedArn: string;
  try {
    expectedArn = await api.userArn(username);
  } catch (error) {
    if (isCode(error, 'NoSuchEntity')) {
      throw new CredentialTestError(`testSecret: IAM user "${username}" does not exist`);
    }
    throw targetError(`testSecret: iam:GetUser for IAM user "${username}"`, error);
  }
  const started = clock.now();
  let delay = options.testInitialDelayMs;
  let checkedStatus = false;
  for (let attempt = 1; ; attempt++) {
    let identity: Awaited<ReturnType<IamApi['callerIdentity']>>;
    try {
      identity = await api.callerIdentity(value);
    } catch (error) {
      const code = awsErrorCode(error);
      if (code === undefined || !REJECTED_KEY_CODES.has(code)) {
        throw targetError(`testSecret: sts:GetCallerIdentity with access key ${masked}`, error);
      }
      if (!checkedStatus) {
        checkedStatus = true;
        const key = (await listKeys(api, username, 'testSecret')).find((k) => k.id === value.accessKeyId);
        if (key === undefined || key.status !== 'Active') {
          throw new CredentialTestError(
            `testSecret: STS rejects access key ${masked} (${describeAwsError(error)}): it is ` +
              `${key === undefined ? 'not a key of' : `${key.status} for`} IAM user "${username}"`,
          );
        }
      }
      const elapsed = clock.now() - started;
      const remaining = options.testTimeoutMs - elapsed;
      if (remaining <= 0) {
        throw new CredentialTestError(
          `testSecret: STS still rejects access key ${masked} of IAM user "${username}" after ${Math.round(elapsed)} ms ` +
            `and ${attempt} attempts (${describeAwsError(error)}). The key exists and is Active, so IAM has not ` +
            'propagated it yet; Secrets Manager retries the step (or raise HANDOVER_IAM_TEST_TIMEOUT_MS)',
        );
      }
      ctx.logger.debug('STS rejects the key (not propagated yet); retrying', {
        ...about('testSecret', username, value.accessKeyId),
        attempt,
        retry_in_ms: Math.min(delay, remaining),
      });
      await clock.sleep(Math.min(delay, remaining));
      delay = Math.min(delay * 2, options.testMaxDelayMs);
      continue;
    }
    if (identity.arn !== expectedArn) {
      throw new CredentialTestError(
        `testSecret: access key ${masked} authenticates as ${identity.arn ?? 'an unknown caller'}, not as IAM user ` +
          `"${username}" (${expectedArn}): the secret's key and username do not belong together`,
      );
    }
    ctx.logger.info('access key works', {
      ...about('testSecret', username, value.accessKeyId),
      outcome: 'passed',
      attempts: attempt,
      waited_ms: Math.round(clock.now() - started),
    });
    return;
  }
}

/**
 * Who still calls AWS with an old key: CloudTrail's management events signed with it since `since`
 * (LookupEvents by `AccessKeyId`), one straggler per source address and user agent, with the calls
 * they made. CloudTrail delivers events minutes late and records management events only (data
 * events such as S3 object reads are not in event history): GetAccessKeyLastUsed stays the
 * decision, this names the callers. A CloudTrail failure (a missing permission, throttling) leaves
 * the callers unnamed and says so; it does not fail the check.
 */
async function keyCallers(
  cloudTrail: CloudTrailSend,
  accessKeyId: string,
  masked: string,
  since: Date,
  maxPages: number,
  ctx: StrategyContext,
): Promise<{ stragglers: Straggler[]; evidence: string }> {
  let found: Awaited<ReturnType<typeof lookupTrail>>;
  try {
    found = await lookupTrail(cloudTrail, {
      attribute: { key: 'AccessKeyId', value: accessKeyId },
      start: since,
      end: new Date(),
      maxPages,
      // After `since`, as GetAccessKeyLastUsed is judged.
      keep: (event) => event.time > since,
    });
  } catch (error) {
    const reason = describeAwsError(error);
    ctx.logger.warn('callers of the old key not named: CloudTrail LookupEvents failed', {
      step: 'inUse',
      access_key: masked,
      reason,
    });
    return { stragglers: [], evidence: `callers unknown: CloudTrail LookupEvents failed (${reason})` };
  }
  const groups = new Map<string, { sourceIp?: string; userAgent?: string; events: TrailEvent[] }>();
  for (const event of found.events) {
    const key = `${event.sourceIp ?? ''}\u0000${event.userAgent ?? ''}`;
    const group = groups.get(key) ?? {
      ...(event.sourceIp === undefined ? {} : { sourceIp: event.sourceIp }),
      ...(event.userAgent === undefined ? {} : { userAgent: event.userAgent }),
      events: [],
    };
    group.events.push(event);
    groups.set(key, group);
  }
  const stragglers = [...groups.values()].map((group): Straggler => {
    const calls = [
      ...new Set(
        group.events.map(
          (event) => `${event.eventSource.replace(/\.amazonaws\.com$/, '')}:${event.eventName}`,
        ),
      ),
    ];
    const last = group.events.reduce(
      (latest, event) => (event.time > latest ? event.time : latest),
      new Date(0),
    );
    return {
      identity: `key ${masked} caller${group.userAgent === undefined ? '' : ` (user agent ${group.userAgent})`}`,
      ...(group.sourceIp === undefined ? {} : { from: group.sourceIp }),
      lastSeen: last,
      evidence: `${group.events.length} call${group.events.length === 1 ? '' : 's'} signed with key ${masked} since ${since.toISOString()} (CloudTrail): ${calls.slice(0, 5).join(', ')}${calls.length > 5 ? ', ...' : ''}`,
    };
  });
  const partial = found.complete ? '' : `, read back to ${found.oldest?.toISOString() ?? 'unknown'} only`;
  return {
    stragglers,
    evidence:
      stragglers.length === 0
        ? `CloudTrail shows no call signed with it since ${since.toISOString()}${partial} (events arrive minutes late; management events only)`
        : `CloudTrail names ${stragglers.length} caller${stragglers.length === 1 ? '' : 's'}${partial}`,
  };
}
