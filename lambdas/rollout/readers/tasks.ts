/**
 * The readers tasks of the rollout state machine: `find-readers` (preflight: who reads this secret,
 * who of them nobody declared) and `check-readers` (the usage gate, the emergency precheck, the
 * report after a rollout that revokes nothing: who still holds the old version).
 */
import { CLOUDTRAIL_DELIVERY } from '../../shared/cloudtrail';
import { describeStraggler, type StragglerRecord, stragglerIdentities } from '../../shared/stragglers';
import { adapterFor, milestoneBase } from '../consumer-tasks';
import type { ConsumerConfig } from '../contract';
import type { RolloutDeps } from '../deps';
import type { ConsumerOutcome, RolloutPlan, RotationProgress } from '../plan';
import { currentVersion, describeSecret } from '../secret-state';
import {
  bounded,
  type KnownPrincipals,
  readerStraggler,
  readersOf,
  stragglersAmong,
  type VersionBoundary,
} from './classify';
import type { Reader, ReadersConfig, ReadersGate, ReadersReport, ReadScan } from './model';
import { readerSourceContract } from './sources/contracts';
import { versionCreated } from './versions';

/** The find-readers task's input. */
export interface FindReadersTask {
  readonly Task: 'find-readers';
  readonly rollout: RolloutPlan;
  readonly rotation?: RotationProgress;
}

/** What check-readers is asked for. */
export type ReadersPhase =
  /** The usage gate: stragglers block the revocation. */
  | 'gate'
  /** Emergency, before revoking: everyone who read the old version will break. */
  | 'emergency'
  /** After a rollout that revokes nothing: who still holds the old (already invalid) value. */
  | 'report';

/** The check-readers task's input. */
export interface CheckReadersTask {
  readonly Task: 'check-readers';
  readonly phase: ReadersPhase;
  readonly rollout: RolloutPlan;
  readonly rotation?: RotationProgress;
  /** Preflight's readers (`$.readers`): the window's start. */
  readonly readers?: ReadersReport;
  readonly results?: {
    readonly canary?: readonly ConsumerOutcome[];
    readonly main?: readonly ConsumerOutcome[];
  };
}

const MAX_LOOKBACK_MS = (CLOUDTRAIL_DELIVERY.retentionDays * 24 - 1) * 3600 * 1000;
const nowOf = (deps: RolloutDeps) => (deps.now ?? (() => new Date()))();
const reasonOf = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
const consumersOf = (plan: RolloutPlan): ConsumerConfig[] => [...plan.waves.canary, ...plan.waves.main];
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The principals of every declared consumer (its kind's, and those it names), and what could not be resolved. */
async function declaredPrincipals(
  deps: RolloutDeps,
  plan: RolloutPlan,
): Promise<{ declared: Map<string, string[]>; unresolved: string[] }> {
  const declared = new Map<string, string[]>();
  const unresolved: string[] = [];
  const note = (principal: string, consumer: string) =>
    declared.set(principal, [...(declared.get(principal) ?? []), consumer]);
  for (const consumer of consumersOf(plan)) {
    for (const principal of consumer.principals ?? []) note(principal, consumer.name);
    const adapter = adapterFor(deps.adapters, consumer);
    if (adapter.principals === undefined) continue;
    try {
      for (const principal of await adapter.principals(consumer)) note(principal, consumer.name);
    } catch (error) {
      unresolved.push(`${consumer.name}: ${reasonOf(error)}`);
    }
  }
  return { declared, unresolved };
}

/** Who is who for this secret. */
function knownPrincipals(config: ReadersConfig, declared: Map<string, string[]>): KnownPrincipals {
  return { handover: config.handover, ignore: config.ignore, declared };
}

/** When the previous rotation happened: the creation of the version this rollout replaces. */
async function windowStart(
  deps: RolloutDeps,
  plan: RolloutPlan,
  rotation: RotationProgress | undefined,
  now: Date,
) {
  const floor = new Date(now.getTime() - MAX_LOOKBACK_MS);
  const replaced = rotation?.versions?.oldVersionId ?? rotation?.previousVersionId;
  let created: Date | undefined;
  if (replaced !== undefined) created = await versionCreated(deps.secretsManager, plan.secretArn, replaced);
  if (replaced === undefined) {
    // Before a manual rotation: the current version is the one it replaces.
    const current = currentVersion(await describeSecret(deps.secretsManager, plan.secretArn));
    if (current !== undefined) created = await versionCreated(deps.secretsManager, plan.secretArn, current);
  }
  return created === undefined || created < floor ? floor : created;
}

function boundaryOf(rotation: RotationProgress | undefined): VersionBoundary {
  const completed = rotation?.status === 'succeeded' ? rotation.completedAt : undefined;
  return {
    ...(completed === undefined ? {} : { boundary: new Date(completed) }),
    ...(rotation?.versions === undefined
      ? {}
      : { oldVersionId: rotation.versions.oldVersionId, newVersionId: rotation.versions.newVersionId }),
  };
}

/** Reads of the secret in the window, from the configured source. */
async function scan(
  deps: RolloutDeps,
  plan: RolloutPlan,
  config: ReadersConfig,
  start: Date,
  end: Date,
  boundary: Date | undefined,
): Promise<ReadScan> {
  if (deps.readerSources === undefined) {
    throw new Error(
      'the rollout function has no reader source (no CloudTrail client): readers cannot be read',
    );
  }
  return deps.readerSources(config.source).reads({
    secretArn: plan.secretArn,
    secretName: plan.secretName,
    start,
    end,
    ...(boundary === undefined ? {} : { boundary }),
  });
}

function sourceWords(config: ReadersConfig | undefined): string {
  return config === undefined ? 'none' : readerSourceContract(config.source.kind).describe;
}

/**
 * Preflight's readers check: every principal that read the secret since the previous rotation (at
 * most 90 days back), and the ones no declared consumer, Handover function or ignore entry accounts
 * for. Undeclared readers are logged, counted (metric `UndeclaredReaders`), published (milestone
 * `UndeclaredReaders`) and sent to the SNS topic. Never throws for the source: a failure is reported
 * as `unavailable` (the usage gate reads again, and does not revoke on readers it cannot see).
 */
export async function findReaders(deps: RolloutDeps, task: FindReadersTask): Promise<ReadersReport> {
  const plan = task.rollout;
  const config = plan.readers;
  const now = nowOf(deps);
  const fields = {
    step: 'find-readers',
    secret_id: plan.secretArn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
  };
  const base = {
    source: sourceWords(config),
    until: now.toISOString(),
    deliveryDelaySeconds: config?.deliveryDelaySeconds ?? 0,
  };
  if (config === undefined) {
    return {
      ...base,
      status: 'off',
      since: now.toISOString(),
      complete: true,
      readers: [],
      omitted: 0,
      undeclared: [],
      evidence: 'no readers check: the policy configures no reader source for this secret',
    };
  }
  let start = now;
  try {
    start = await windowStart(deps, plan, task.rotation, now);
    const found = await scan(deps, plan, config, start, now, boundaryOf(task.rotation).boundary);
    const { declared, unresolved } = await declaredPrincipals(deps, plan);
    const readers = readersOf(found.reads, knownPrincipals(config, declared), boundaryOf(task.rotation));
    const undeclared = readers
      .filter((reader) => reader.role === 'undeclared')
      .map((reader) => readerStraggler(reader, 'reads the secret but matches no declared consumer'));
    const shown = bounded(readers);
    const listed = bounded(undeclared);
    const evidence = [
      `${plural(readers.length, 'principal')} read ${plan.secretName} since ${start.toISOString()}`,
      `${undeclared.length} undeclared${undeclared.length === 0 ? '' : `: ${undeclared.map(describeStraggler).join('; ')}`}`,
      found.complete ? '' : `(incomplete: read back to ${found.readBackTo?.toISOString() ?? 'unknown'} only)`,
      unresolved.length === 0 ? '' : `(consumer principals not resolved: ${unresolved.join('; ')})`,
    ]
      .filter((part) => part !== '')
      .join('; ');
    const report: ReadersReport = {
      ...base,
      status: 'found',
      since: start.toISOString(),
      complete: found.complete,
      readers: shown.items,
      omitted: shown.omitted,
      undeclared: listed.items,
      evidence,
    };
    deps.logger.info('readers found', {
      ...fields,
      outcome: undeclared.length === 0 ? 'all-declared' : 'undeclared-readers',
      readers: readers.length,
      undeclared: undeclared.length,
      stragglers: stragglerIdentities(undeclared),
      calls: found.calls,
      complete: found.complete,
    });
    if (undeclared.length > 0) await announceUndeclared(deps, plan, task.rotation, report, undeclared.length);
    return report;
  } catch (error) {
    deps.logger.warn('readers unavailable', { ...fields, outcome: 'unavailable', reason: reasonOf(error) });
    return {
      ...base,
      status: 'unavailable',
      since: start.toISOString(),
      complete: false,
      readers: [],
      omitted: 0,
      undeclared: [],
      evidence: `readers unknown: ${reasonOf(error)}`,
    };
  }
}

/** Undeclared readers: a metric, an event and a human message. */
async function announceUndeclared(
  deps: RolloutDeps,
  plan: RolloutPlan,
  rotation: RotationProgress | undefined,
  report: ReadersReport,
  count: number,
): Promise<void> {
  deps.metrics.undeclaredReaders(plan.credentialType, count);
  await deps.notifier.milestone('UndeclaredReaders', {
    ...milestoneBase(plan, rotation),
    undeclaredReaders: report.undeclared,
    undeclaredOmitted: Math.max(0, count - report.undeclared.length),
    readersSource: report.source,
    readersSince: report.since,
  });
  const lines = [
    `Handover: ${plural(count, 'undeclared reader')} of ${plan.secretName}.`,
    '',
    `Secret:      ${plan.secretArn}`,
    `Rollout:     ${plan.executionArn} (${plan.mode}, ${plan.trigger === 'event' ? 'scheduled rotation event' : 'started by hand'})`,
    `Source:      ${report.source}, reads since ${report.since}`,
    '',
    'These principals read the secret but match no consumer the policy declares. The rollout will not',
    'update them: each one that keeps the old value breaks when it is revoked. The usage gate does not',
    'revoke while one of them has read the old version and not the new one.',
    '',
    ...report.undeclared.map((straggler) => `  - ${describeStraggler(straggler)}`),
    ...(count > report.undeclared.length ? [`  - and ${count - report.undeclared.length} more`] : []),
    '',
    'What to do: declare each as a consumer in the policy (with `principals` if its kind does not know',
    'its role), or ignore it with a reason (`readers.ignore`), then cdk deploy.',
  ];
  await deps.notifier.summary(
    {
      subject: `Handover: ${plural(count, 'undeclared reader')} of ${plan.secretName}`.slice(0, 100),
      body: lines.join('\n'),
    },
    { step: 'find-readers', secret_id: plan.secretArn, rotation_id: plan.rolloutId },
  );
}

/** The consumers the rollout moved (and verified). */
function updatedConsumers(task: CheckReadersTask): Set<string> {
  const results = [...(task.results?.canary ?? []), ...(task.results?.main ?? [])];
  return new Set(results.filter((result) => result.ok).map((result) => result.consumer));
}

/**
 * The readers check of the usage gate (`gate`), of an emergency (`emergency`) and of a rollout that
 * revokes nothing (`report`): the principals that read the old version and have not read the new one
 * since the rotation, Handover, ignored principals and declared consumers the rollout moved left out.
 *
 * - `gate`: any such straggler blocks the revocation, and so does an absence that cannot be trusted
 *   yet (CloudTrail delivers events minutes late: absence is trusted only `deliveryDelaySeconds` after
 *   the rotation; an incomplete scan, or one that sees no read of the secret at all, is never trusted).
 * - `emergency`: everyone (declared or not) who read the old version: they break when it is revoked.
 * - `report`: the stragglers, who hold a value that no longer works; never blocking.
 * A source failure throws (the gate then fails `Handover.UsageCheckFailed` and revokes nothing).
 */
export async function checkReaders(deps: RolloutDeps, task: CheckReadersTask): Promise<ReadersGate> {
  const plan = task.rollout;
  const config = plan.readers;
  const now = nowOf(deps);
  if (config === undefined) {
    return {
      blocking: false,
      trusted: true,
      stragglers: [],
      omitted: 0,
      evidence: 'no readers check: the policy configures no reader source for this secret',
    };
  }
  const fields = {
    step: `check-readers-${task.phase}`,
    secret_id: plan.secretArn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
  };
  const start =
    task.readers?.status === 'found' || task.readers?.status === 'unavailable'
      ? new Date(task.readers.since)
      : await windowStart(deps, plan, task.rotation, now);
  const versions = boundaryOf(task.rotation);
  const found = await scan(deps, plan, config, start, now, versions.boundary);
  const { declared } = await declaredPrincipals(deps, plan);
  const readers = readersOf(found.reads, knownPrincipals(config, declared), versions);

  let gate: ReadersGate;
  if (task.phase === 'emergency') {
    const breaking = readers.filter(
      (reader) => reader.role !== 'handover' && reader.role !== 'ignored' && reader.readOld,
    );
    const records = breaking.map((reader) =>
      readerStraggler(
        reader,
        reader.role === 'declared'
          ? `will break until the rollout updates ${reader.note ?? 'its consumer'}`
          : 'will break: undeclared, nobody updates it',
      ),
    );
    const listed = bounded(records);
    gate = {
      blocking: false,
      trusted: found.complete,
      stragglers: listed.items,
      omitted: listed.omitted,
      evidence: `${plural(breaking.length, 'reader')} of the old version will break${breaking.length === 0 ? '' : `: ${records.map(describeStraggler).join('; ')}`}`,
    };
  } else {
    const stragglers = stragglersAmong(readers, updatedConsumers(task));
    const records = stragglers.map((reader) =>
      readerStraggler(
        reader,
        task.phase === 'report'
          ? 'holds the old value, which no longer works: it read the old version and not the new one since the rotation'
          : 'still holds the old version: it read it and has not read the new one since the rotation',
      ),
    );
    const listed = bounded(records);
    const untrusted = untrustedBecause(config, found, readers, versions.boundary, now);
    const blocking = task.phase === 'gate' && (stragglers.length > 0 || untrusted !== undefined);
    const named = records.map(describeStraggler).join('; ');
    gate = {
      blocking,
      trusted: untrusted === undefined,
      stragglers: listed.items,
      omitted: listed.omitted,
      evidence:
        stragglers.length > 0
          ? `${plural(stragglers.length, 'reader')} ${stragglers.length === 1 ? 'still holds' : 'still hold'} the old ${task.phase === 'report' ? 'value' : 'version (CloudTrail)'}: ${named}`
          : untrusted !== undefined
            ? `no straggler seen, but ${untrusted}`
            : `no reader holds the old version: every principal that read it has read the new one since the rotation, or is a consumer the rollout moved (CloudTrail events trusted up to ${new Date(now.getTime() - config.deliveryDelaySeconds * 1000).toISOString()}, ${config.deliveryDelaySeconds} s delivery delay)`,
    };
  }
  deps.logger.info('readers checked', {
    ...fields,
    outcome: gate.blocking ? 'blocking' : 'clear',
    readers: readers.length,
    stragglers: stragglerIdentities(gate.stragglers),
    trusted: gate.trusted,
    calls: found.calls,
    reason: gate.evidence,
  });
  return gate;
}

/** Why an absence of stragglers cannot be trusted yet, or `undefined` when it can. */
function untrustedBecause(
  config: ReadersConfig,
  found: ReadScan,
  readers: readonly Reader[],
  boundary: Date | undefined,
  now: Date,
): string | undefined {
  if (!found.complete) {
    return `the scan stopped early (read back to ${found.readBackTo?.toISOString() ?? 'unknown'} only): raise the page budget or use a CloudTrail Lake source`;
  }
  if (readers.length === 0) {
    return "the reader source shows no read of this secret at all, not even Handover's own: it cannot be trusted (check lookupBy, the region, the event data store)";
  }
  if (boundary === undefined) return 'the rotation has not completed';
  const trustedFrom = new Date(boundary.getTime() + config.deliveryDelaySeconds * 1000);
  if (now < trustedFrom) {
    return `CloudTrail delivers events up to ${config.deliveryDelaySeconds} s late: an absence is trusted from ${trustedFrom.toISOString()}`;
  }
  return undefined;
}

export type { StragglerRecord };
