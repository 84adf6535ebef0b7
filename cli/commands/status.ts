import type { RolloutConfig } from '../../lambdas/rollout/contract';
import { currentVersion } from '../../lambdas/rollout/secret-state';
import { STAGE } from '../../lambdas/rotation/constants';
import { versionWith } from '../../lambdas/rotation/versions';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { formatDuration, table } from '../output';
import { describeSchedule, maxAgeMs, scheduleOfRules } from '../schedule';
import { describe, managedSecrets, rolloutConfig, rolloutLock, versions } from '../secrets';
import { describeExecution, executionHistory, progressOf } from '../workflow';

/** One secret's status, as `--json` prints it. */
export interface SecretStatus {
  readonly secret: string;
  readonly arn: string;
  readonly credentialType?: string;
  readonly managed: boolean;
  readonly rotationEnabled: boolean;
  readonly schedule?: string;
  readonly versions: ReadonlyArray<{ versionId: string; stages: readonly string[]; created?: string }>;
  readonly lastRotated?: string;
  readonly nextRotation?: string;
  readonly age: { readonly ms: number; readonly maxMs?: number; readonly overdue: boolean };
  readonly lastRollout: { readonly version?: string; readonly currentRolledOut: boolean };
  readonly runningRollout?: {
    readonly executionArn: string;
    readonly status: string;
    readonly state?: string;
    readonly wave?: string;
    readonly consumers: {
      readonly done: readonly string[];
      readonly failed: ReadonlyArray<{ consumer: string; error: string }>;
    };
    readonly leaseUntil?: string;
    readonly startedAt?: string;
  };
  readonly stuckPending?: { readonly versionId: string; readonly since?: string };
  /** What `--check` counts. */
  readonly findings: readonly string[];
}

/** Reads one secret's status. */
export async function secretStatus(
  ctx: CliContext,
  secretId: string,
  known?: RolloutConfig,
): Promise<SecretStatus> {
  const secret = await describe(ctx, secretId);
  let config = known;
  if (config === undefined) {
    try {
      config = await rolloutConfig(ctx, secret);
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== EXIT.notManaged) throw error;
    }
  }
  const now = ctx.now();
  const info = secret.description;
  const labelled = await versions(ctx, secret);
  const schedule = scheduleOfRules(info.RotationRules);
  const rotatedAt = info.LastRotatedDate ?? info.CreatedDate;
  const ageMs = rotatedAt === undefined ? 0 : now.getTime() - rotatedAt.getTime();
  const maxMs = schedule === undefined ? undefined : maxAgeMs(schedule, now);
  const overdue = maxMs !== undefined && ageMs > maxMs;
  const lock = rolloutLock(secret);
  const current = currentVersion(secret);
  const pending = versionWith(secret.versions, STAGE.pending);
  const stuck =
    pending !== undefined && pending !== current ? labelled.find((v) => v.versionId === pending) : undefined;

  let running: SecretStatus['runningRollout'];
  if (lock.holder !== undefined) {
    const execution = await describeExecution(ctx, lock.holder).catch(() => undefined);
    if (execution?.status === 'RUNNING') {
      const progress = progressOf(await executionHistory(ctx, lock.holder));
      running = {
        executionArn: lock.holder,
        status: execution.status,
        ...(progress.currentState === undefined ? {} : { state: progress.currentState }),
        ...(progress.wave === undefined ? {} : { wave: progress.wave }),
        consumers: { done: progress.done, failed: progress.failed },
        ...(lock.leaseUntil === undefined ? {} : { leaseUntil: lock.leaseUntil }),
        ...(execution.startDate === undefined ? {} : { startedAt: execution.startDate.toISOString() }),
      };
    }
  }
  const findings: string[] = [];
  if (stuck !== undefined) findings.push(`AWSPENDING stuck on version ${stuck.versionId}`);
  if (overdue)
    findings.push(
      `older than its schedule allows (${formatDuration(ageMs)} > ${formatDuration(maxMs ?? 0)})`,
    );
  if (config !== undefined && !secret.rotationEnabled)
    findings.push('rotation is disabled although a policy covers it');
  return {
    secret: secret.name,
    arn: secret.arn,
    ...(config === undefined ? {} : { credentialType: config.credentialType }),
    managed: config !== undefined,
    rotationEnabled: secret.rotationEnabled,
    ...(schedule === undefined ? {} : { schedule: describeSchedule(schedule) }),
    versions: labelled.map((v) => ({
      versionId: v.versionId,
      stages: v.stages,
      ...(v.created === undefined ? {} : { created: v.created.toISOString() }),
    })),
    ...(info.LastRotatedDate === undefined ? {} : { lastRotated: info.LastRotatedDate.toISOString() }),
    ...(info.NextRotationDate === undefined ? {} : { nextRotation: info.NextRotationDate.toISOString() }),
    age: { ms: ageMs, ...(maxMs === undefined ? {} : { maxMs }), overdue },
    lastRollout: {
      ...(lock.done === undefined ? {} : { version: lock.done }),
      currentRolledOut: lock.done !== undefined && lock.done === current,
    },
    ...(running === undefined ? {} : { runningRollout: running }),
    ...(stuck === undefined
      ? {}
      : {
          stuckPending: {
            versionId: stuck.versionId,
            ...(stuck.created === undefined ? {} : { since: stuck.created.toISOString() }),
          },
        }),
    findings,
  };
}

function printStatus(ctx: CliContext, status: SecretStatus): void {
  const { out } = ctx;
  const now = ctx.now().getTime();
  out.line(`${status.secret}${status.credentialType === undefined ? '' : ` (${status.credentialType})`}`);
  out.line(`  arn:            ${status.arn}`);
  out.line(
    `  policy:         ${status.managed ? 'covered' : 'outside every Handover policy'}; rotation ${status.rotationEnabled ? 'enabled' : 'DISABLED'}${status.schedule === undefined ? '' : `, ${status.schedule}`}`,
  );
  out.line(
    `  last rotation:  ${status.lastRotated ?? 'never'}${status.nextRotation === undefined ? '' : `; next ${status.nextRotation}`}`,
  );
  out.line(
    `  age:            ${formatDuration(status.age.ms)}${status.age.maxMs === undefined ? '' : ` of at most ${formatDuration(status.age.maxMs)}`}${status.age.overdue ? '  OVERDUE' : ''}`,
  );
  out.line(
    `  last rollout:   ${status.lastRollout.version === undefined ? 'none recorded' : `version ${status.lastRollout.version}`}${status.lastRollout.currentRolledOut ? ' (the current version)' : ''}`,
  );
  const running = status.runningRollout;
  if (running === undefined) {
    out.line('  rollout:        none running');
  } else {
    const age =
      running.startedAt === undefined
        ? ''
        : `, running for ${formatDuration(now - Date.parse(running.startedAt))}`;
    out.line(`  rollout:        ${running.executionArn}${age}`);
    out.line(
      `                  state ${running.state ?? '?'}${running.wave === undefined ? '' : `, ${running.wave} wave`}; consumers done ${running.consumers.done.length}, failed ${running.consumers.failed.length}`,
    );
    for (const failed of running.consumers.failed)
      out.line(`                  failed ${failed.consumer}: ${failed.error}`);
  }
  if (status.stuckPending !== undefined) {
    const since = status.stuckPending.since;
    out.line(
      `  STUCK:          AWSPENDING on ${status.stuckPending.versionId}${since === undefined ? '' : ` for ${formatDuration(now - Date.parse(since))}`}: run handover provide (operator-assisted keys) or read the rotation function's logs`,
    );
  }
  out.line('  versions:');
  for (const line of table(
    status.versions.map((v) => [
      '   ',
      v.versionId,
      v.stages.join(','),
      v.created === undefined ? '' : v.created,
    ]),
  )) {
    out.line(line);
  }
}

/** `handover status [secret...]`. */
export async function statusCommand(
  ctx: CliContext,
  secretIds: readonly string[],
  options: { readonly check?: boolean },
): Promise<number> {
  const targets: Array<{ id: string; config?: RolloutConfig }> =
    secretIds.length > 0
      ? secretIds.map((id) => ({ id }))
      : (await managedSecrets(ctx)).map(({ config }) => ({ id: config.secretArn, config }));
  if (targets.length === 0) {
    ctx.out.line('No secret is covered by a deployed Handover policy in this account and region.');
  }
  const statuses: SecretStatus[] = [];
  for (const target of targets) {
    const status = await secretStatus(ctx, target.id, target.config);
    statuses.push(status);
    printStatus(ctx, status);
    ctx.out.line();
  }
  ctx.out.result({ secrets: statuses });
  const findings = statuses.some((status) => status.findings.length > 0);
  return options.check === true && findings ? EXIT.findings : EXIT.ok;
}
