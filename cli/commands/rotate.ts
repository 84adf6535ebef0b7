import { withWorkflowDefaults } from '../../lambdas/rollout/config';
import type { RolloutMode } from '../../lambdas/rollout/contract';
import { parseRolloutInput } from '../../lambdas/rollout/input';
import { currentVersion } from '../../lambdas/rollout/secret-state';
import { planWaves } from '../../lambdas/rollout/waves';
import { STAGE } from '../../lambdas/rotation/constants';
import { versionWith } from '../../lambdas/rotation/versions';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { describe, rolloutConfig, rolloutLock, type SecretView } from '../secrets';
import {
  describeExecution,
  exitOf,
  followRollout,
  type RolloutEnd,
  startRollout,
  whoWillBreak,
} from '../workflow';

/** Options of `rotate` and `emergency <secret>`. */
export interface RotateOptions {
  readonly reason?: string;
  readonly yes?: boolean;
  readonly follow?: boolean;
}

/** The rollout input, validated by the workflow's own parser: a bad reason is a usage error. */
export function rolloutInput(secretId: string, mode: RolloutMode, reason: string) {
  try {
    const request = parseRolloutInput({ secretId, mode, reason });
    return { secretId: request.secretId, mode: request.mode, reason: request.reason };
  } catch (error) {
    throw new CliError(
      EXIT.usage,
      error instanceof Error
        ? error.message.replace(/^the execution input/, 'the rollout input')
        : String(error),
      mode === 'emergency' ? 'Give --reason "<why, for the audit trail>"' : undefined,
    );
  }
}

/**
 * What would make the workflow refuse or fail before it touches anything, checked first so that
 * "nothing changed" holds: another rollout holding the lock (an emergency takes a scheduled one
 * over instead: docs/interlock.md), rotation off, AWSPENDING left by an unfinished rotation (an
 * emergency adopts it instead). `takesOver` names the running scheduled rollout an emergency stops.
 */
export async function refusal(
  ctx: CliContext,
  secret: SecretView,
  mode: RolloutMode,
): Promise<{ readonly refused?: CliError; readonly takesOver?: string }> {
  const lock = rolloutLock(secret);
  let takesOver: string | undefined;
  if (lock.holder !== undefined) {
    const expired = lock.leaseUntil !== undefined && Date.parse(lock.leaseUntil) <= ctx.now().getTime();
    const status = expired
      ? undefined
      : (await describeExecution(ctx, lock.holder).catch(() => undefined))?.status;
    if (status === 'RUNNING' && mode === 'emergency' && lock.mode !== 'emergency') {
      takesOver = lock.holder;
    } else if (status === 'RUNNING') {
      return {
        refused: new CliError(
          EXIT.refused,
          `another ${lock.mode === 'emergency' ? 'emergency ' : ''}rollout of ${secret.name} is running: ${lock.holder}`,
          mode === 'emergency'
            ? 'An emergency rollout already replaces the credential: follow it (handover status shows it)'
            : 'Wait for it (handover status shows it), or start an emergency rollout (it takes a scheduled one over)',
        ),
      };
    }
  }
  if (!secret.rotationEnabled) {
    return {
      refused: new CliError(
        EXIT.refused,
        `rotation is not enabled on ${secret.name}`,
        'Its policy entry is paused or its schedule was removed: deploy the policy with rotation on',
      ),
    };
  }
  const pending = versionWith(secret.versions, STAGE.pending);
  if (pending !== undefined && pending !== currentVersion(secret) && mode !== 'emergency') {
    return {
      refused: new CliError(
        EXIT.refused,
        `an earlier rotation of ${secret.name} did not complete: AWSPENDING is on version ${pending}`,
        `Find why in the rotation function's logs; for an operator-assisted key run handover provide ${secret.name}; otherwise remove the label (aws secretsmanager update-secret-version-stage --secret-id ${secret.arn} --version-stage AWSPENDING --remove-from-version-id ${pending}), or start an emergency rollout (it resumes that rotation)`,
      ),
    };
  }
  return takesOver === undefined ? {} : { takesOver };
}

/** `handover rotate <secret>` and `handover emergency <secret>`. */
export async function rotateCommand(
  ctx: CliContext,
  secretId: string,
  mode: RolloutMode,
  options: RotateOptions,
): Promise<number> {
  const { out } = ctx;
  const reason =
    options.reason ?? (mode === 'scheduled' ? 'manual rotation requested with handover rotate' : undefined);
  if (reason === undefined) {
    throw new CliError(EXIT.usage, 'emergency needs --reason', 'Give --reason "<why, for the audit trail>"');
  }
  rolloutInput(secretId, mode, reason);
  const secret = await describe(ctx, secretId);
  const config = await rolloutConfig(ctx, secret);
  const { refused, takesOver } = await refusal(ctx, secret, mode);
  if (refused !== undefined) throw refused;
  const input = rolloutInput(secret.arn, mode, reason);

  let preview: ReturnType<typeof whoWillBreak> | undefined;
  if (mode === 'emergency') {
    // The rollout's own plan: every consumer moves in one wave, after the old credential is revoked.
    preview = whoWillBreak({
      rollout: { waves: planWaves(config.consumers.map(withWorkflowDefaults), 'emergency') },
    });
    out.note(
      `Emergency rotation of ${secret.name} (${config.credentialType}): the old credential is revoked as soon as the new one is verified, BEFORE consumers move.`,
    );
    out.note(
      preview.consumers.length === 0
        ? 'Declared consumers that break until they are updated: none.'
        : `Declared consumers that break until they are updated (${preview.consumers.length}): ${preview.consumers.join(', ')}.`,
    );
    out.note(
      'Anyone else still using it breaks for good; the rollout checks its usage right before revoking and this command prints what it finds.',
    );
    if (takesOver !== undefined) {
      out.note(
        `A scheduled rollout of ${secret.name} is running (${takesOver}): the emergency stops it (Handover.RolloutTakenOver, notified) and takes its lock over.`,
      );
    }
    if (
      options.yes !== true &&
      !(await ctx.prompt.confirm(`Revoke the current credential of ${secret.name}?`))
    ) {
      throw new CliError(
        EXIT.declined,
        'not confirmed: nothing was started',
        'Run it again and answer yes, or pass --yes',
      );
    }
  }

  if (mode === 'scheduled') {
    // As the rollout's lock claim decides (lambdas/rollout/claim.ts): a version never rolled out is
    // carried to the consumers instead of rotating again.
    const current = currentVersion(secret);
    const done = rolloutLock(secret).done;
    if (
      current !== undefined &&
      versionWith(secret.versions, STAGE.previous) !== undefined &&
      done !== current
    ) {
      out.note(
        `AWSCURRENT of ${secret.name} (version ${current}) has no record of being rolled out to its consumers: this rollout carries it to them instead of rotating (docs/interlock.md). Run handover rotate again once it has completed to rotate.`,
      );
    }
  }
  const { executionArn } = await startRollout(ctx, input);
  out.note(`Started ${mode} rollout of ${secret.name}: ${executionArn}`);
  if (options.follow === false) {
    out.line(executionArn);
    out.result({ secret: secret.name, secretArn: secret.arn, mode, executionArn, status: 'RUNNING' });
    return EXIT.ok;
  }
  const started = ctx.now().getTime();
  let reportedUsage = false;
  const end: RolloutEnd = await followRollout(
    ctx,
    executionArn,
    {
      onState: (name, at) =>
        out.line(`  +${Math.max(0, Math.round((at.getTime() - started) / 1000))}s  ${name}`),
      onConsumer: (consumer, ok, detail) =>
        out.line(`         ${ok ? 'ok    ' : 'FAILED'} ${consumer}: ${detail}`),
      onStateDocument: (state) => {
        if (mode !== 'emergency' || reportedUsage || state.precheck === undefined) return;
        reportedUsage = true;
        const usage = whoWillBreak(state).usage;
        if (usage !== undefined) {
          out.note(
            `Usage of the compromised credential before revoking: ${usage.observable ? (usage.inUse ? 'IN USE' : 'not in use') : 'not observable'}: ${usage.evidence}`,
          );
        }
      },
    },
    ctx.pollMs,
  );
  const breaks = mode === 'emergency' ? whoWillBreak(end.progress.state) : undefined;
  out.line();
  out.line(
    end.status === 'SUCCEEDED'
      ? `Rollout of ${secret.name} succeeded: ${end.progress.done.length} consumer(s) on the new version.`
      : `Rollout of ${secret.name} ${end.status}: ${end.error ?? ''}${end.cause === undefined ? '' : `: ${end.cause}`}`,
  );
  for (const failed of end.progress.failed) out.line(`  failed consumer ${failed.consumer}: ${failed.error}`);
  out.result({
    secret: secret.name,
    secretArn: secret.arn,
    mode,
    executionArn,
    status: end.status,
    ...(end.error === undefined ? {} : { error: end.error }),
    ...(end.cause === undefined ? {} : { cause: end.cause }),
    consumers: { done: end.progress.done, failed: end.progress.failed },
    ...(breaks === undefined
      ? {}
      : { whoWillBreak: preview === undefined ? breaks : { ...preview, ...breaks } }),
  });
  return exitOf(end);
}
