import { rolloutConfigParameterName } from '../../lambdas/rollout/contract';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { table } from '../output';
import { loadPolicy, scheduleOf, secretIdOf } from '../policy-file';
import { describeSchedule, nextWindows, scheduleOfRules } from '../schedule';
import { describe, rolloutConfig } from '../secrets';

/** What deploying a policy would do to one secret. */
export interface SecretPlan {
  readonly id: string;
  readonly secret: string;
  /** `create`, `change`, `unchanged`, `paused`, `missing`. */
  readonly action: string;
  readonly changes: readonly string[];
  readonly schedule: string;
  readonly nextWindows: ReadonlyArray<{ readonly start: string; readonly end: string }>;
}

/**
 * `handover plan`: for each entry of a policy, what a deploy would create or change in this
 * account (the secret, its rotation schedule, its rollout configuration and consumers), read
 * against what is deployed, and its next rotation windows.
 */
export async function planCommand(
  ctx: CliContext,
  options: { policy: string; windows: number },
): Promise<number> {
  const policy = await loadPolicy(options.policy);
  const now = ctx.now();
  const plans: SecretPlan[] = [];
  for (const entry of policy.secrets) {
    const id = secretIdOf(entry) ?? entry.id;
    const schedule = scheduleOf(entry);
    const changes: string[] = [];
    let action = 'unchanged';
    const secret = await describe(ctx, id).catch((error: unknown) => {
      if (error instanceof CliError && error.exitCode === EXIT.notFound) return undefined;
      throw error;
    });
    const creates = 'create' in entry.source;
    if (secret === undefined) {
      action = creates ? 'create' : 'missing';
      changes.push(
        creates ? `create secret ${id}` : `secret ${id} does not exist: the deploy fails until it does`,
      );
    }
    if (entry.paused) {
      action = secret === undefined ? action : 'paused';
      changes.push('rotation stays off (paused)');
    } else if (secret !== undefined) {
      const deployed = scheduleOfRules(secret.description.RotationRules);
      const wanted = describeSchedule(schedule);
      if (!secret.rotationEnabled || deployed === undefined) {
        changes.push(`turn rotation on: ${wanted}`);
      } else if (describeSchedule(deployed) !== wanted) {
        changes.push(`schedule ${describeSchedule(deployed)} -> ${wanted}`);
      }
      const names = entry.rollout.consumers.map((consumer) => consumer.name);
      const config = await rolloutConfig(ctx, secret).catch((error: unknown) => {
        if (error instanceof CliError && error.exitCode === EXIT.notManaged) return undefined;
        throw error;
      });
      if (config === undefined) {
        changes.push(
          `create rollout configuration ${rolloutConfigParameterName(secret.name)} (consumers: ${names.join(', ') || 'none'})`,
        );
      } else {
        const deployedNames = config.consumers.map((consumer) => consumer.name);
        const added = names.filter((name) => !deployedNames.includes(name));
        const removed = deployedNames.filter((name) => !names.includes(name));
        if (added.length + removed.length > 0) {
          changes.push(
            `consumers ${[...added.map((n) => `+${n}`), ...removed.map((n) => `-${n}`)].join(' ')}`,
          );
        }
      }
      if (changes.length > 0) action = 'change';
    } else if (!entry.paused) {
      changes.push(`turn rotation on: ${describeSchedule(schedule)}`);
    }
    const lastRotated = secret?.description.LastRotatedDate ?? secret?.description.CreatedDate;
    const windows = entry.paused ? [] : nextWindows(schedule, now, options.windows, lastRotated);
    plans.push({
      id: entry.id,
      secret: secret?.name ?? id,
      action,
      changes,
      schedule: entry.paused ? 'paused' : describeSchedule(schedule),
      nextWindows: windows.map((w) => ({ start: w.start.toISOString(), end: w.end.toISOString() })),
    });
  }
  for (const line of table([
    ['ENTRY', 'SECRET', 'ACTION', 'SCHEDULE'],
    ...plans.map((plan) => [plan.id, plan.secret, plan.action, plan.schedule]),
  ])) {
    ctx.out.line(line);
  }
  for (const plan of plans) {
    ctx.out.line();
    ctx.out.line(`${plan.id}: ${plan.action}`);
    for (const change of plan.changes) ctx.out.line(`  - ${change}`);
    for (const window of plan.nextWindows) ctx.out.line(`  next window ${window.start} .. ${window.end}`);
  }
  ctx.out.result({ policy: options.policy, stackName: policy.stackName, secrets: plans });
  return EXIT.ok;
}
