import { DEFAULT_RUNBOOK_URL } from '../../lambdas/shared/runbook-location';

export { DEFAULT_RUNBOOK_URL };

/**
 * Alarm ids, and the text every alarm carries: what happened, what to do, and the runbook section
 * (`docs/runbook.md#runbook-<alarm-id>`) that says it at length. The ids are a public contract: the
 * runbook's anchors are built from them.
 */
export const ALARM = {
  lambdaErrors: 'rotation-lambda-errors',
  rotationFailedMetric: 'rotation-failed-metric',
  rotationFailedEvent: 'rotation-failed-event',
  secretOlderThanPolicy: 'secret-older-than-policy',
  rotationOverdue: 'rotation-overdue',
  rolloutFailed: 'rollout-failed',
  rolloutTimedOut: 'rollout-timed-out',
  rolloutAborted: 'rollout-aborted',
  oldCredentialStillInUse: 'old-credential-still-in-use',
} as const;
export type AlarmId = (typeof ALARM)[keyof typeof ALARM];

/** CloudWatch's limit on `AlarmDescription`. */
export const MAX_ALARM_DESCRIPTION = 1024;

interface RunbookEntry {
  readonly title: string;
  readonly happened: string;
  readonly todo: string;
}

/** The short form of each runbook section, as alarm descriptions carry it. */
export const RUNBOOK: Readonly<Record<AlarmId, RunbookEntry>> = {
  [ALARM.lambdaErrors]: {
    title: 'Rotation Lambda errors',
    happened:
      'the rotation function threw in one of createSecret / setSecret / testSecret / finishSecret (or failed to start: bad configuration, timeout, no network route).',
    todo: 'open the function log group, filter on outcome="failure" and read secret_id, step and reason; fix the cause (permissions, network, database reachability, secret format), then rotate again with "Rotate secret immediately". AWSCURRENT still holds the old, working credential.',
  },
  [ALARM.rotationFailedMetric]: {
    title: 'Rotation failed (engine metric)',
    happened:
      'the rotation engine reported RotationFailed for this credential type: a step failed and Secrets Manager will retry, then give up.',
    todo: 'find the failing secret in the function logs (outcome="failure": secret_id, step, reason), fix the cause, and rotate again. If AWSPENDING is left on a version that is not AWSCURRENT, remove it (update-secret-version-stage --remove-from-version-id) before rotating again.',
  },
  [ALARM.rotationFailedEvent]: {
    title: 'Secrets Manager RotationFailed event',
    happened:
      'Secrets Manager recorded a RotationFailed event (CloudTrail) for a secret in this account and region.',
    todo: 'the event names the secret: check its rotation function logs, fix the cause, then "Rotate secret immediately". Consumers keep the old credential (AWSCURRENT did not move).',
  },
  [ALARM.secretOlderThanPolicy]: {
    title: 'Secret older than its policy',
    happened: 'AWS Config found a secret that has not rotated within the maximum age its policy allows.',
    todo: 'check whether rotation is enabled and when it last succeeded (describe-secret), look for RotationFailed alarms of the same secret, fix the cause and rotate now.',
  },
  [ALARM.rotationOverdue]: {
    title: 'Scheduled rotation did not happen',
    happened:
      'AWS Config found a secret whose scheduled rotation did not complete: typically AWSPENDING is stuck on a version that is not AWSCURRENT, so every new rotation is refused.',
    todo: 'list the secret versions (list-secret-version-ids --include-deprecated); if AWSPENDING sits on a non-current version, find why the last rotation failed in the function logs, remove the stuck label, and rotate again.',
  },
  [ALARM.rolloutFailed]: {
    title: 'Rollout failed',
    happened:
      'a rollout execution ended in one of its named failure states (Handover.RotationFailed, ConsumerUpdateFailed, OldCredentialStillInUse, RevokeFailed, RollbackRefused, ...). Its SNS summary names the secret, the versions, the consumers done and failed, and the failure.',
    todo: 'open the failed execution in the Step Functions console (or read the summary), look up its error in the runbook (#runbook-rollout-<error>) and follow it. The workflow never revokes a credential it could not prove unused, and rolls back where the credential type allows it.',
  },
  [ALARM.rolloutTimedOut]: {
    title: 'Rollout timed out',
    happened:
      'a rollout execution ran longer than the state machine timeout (grace window plus every usage re-check) and was stopped by Step Functions. No cleanup state ran: its lock is taken over by the next rollout of the secret.',
    todo: "open the execution to see the last state it reached (usually an event consumer that never acknowledged). Check the secret's versions, move any consumer still on the old version, and revoke the old credential with the rotation function's revoke action (runbook: old-credential-still-in-use) once it is unused.",
  },
  [ALARM.rolloutAborted]: {
    title: 'Rollout aborted',
    happened:
      'someone stopped a rollout execution. No cleanup state ran: consumers may be split between versions and the old credential may be unrevoked. Its lock is taken over by the next rollout of the secret.',
    todo: 'if it was stopped on purpose (e.g. to start an emergency rotation), nothing to do. Otherwise open the execution, check which consumers moved, and finish by hand or start a new rollout.',
  },
  [ALARM.oldCredentialStillInUse]: {
    title: 'Old credential still in use at the end of grace',
    happened:
      'after the grace window and every re-check, the strategy still saw the old credential in use (database sessions of the old user, IAM last use, verifier accepts of the previous key). It was NOT revoked.',
    todo: "read the rollout summary: its evidence names who still uses it. Move that client to the new version and add it to the consumers in the policy, then revoke with the rotation function's revoke action (the summary prints the exact command).",
  },
};

/** The runbook anchor of an alarm's section. */
export function runbookAnchor(id: AlarmId): string {
  return `runbook-${id}`;
}

/** `<runbookUrl>#runbook-<id>`. */
export function runbookLink(id: AlarmId, runbookUrl: string = DEFAULT_RUNBOOK_URL): string {
  return `${runbookUrl}#${runbookAnchor(id)}`;
}

/**
 * An alarm description: `[subject] What happened: ... What to do: ... Runbook: <link>`, cut to
 * CloudWatch's limit without ever cutting the runbook link.
 */
export function alarmDescription(id: AlarmId, subject: string, runbookUrl?: string): string {
  const entry = RUNBOOK[id];
  const link = `Runbook: ${runbookLink(id, runbookUrl)}`;
  const body = `${entry.title} (${subject}). What happened: ${entry.happened} What to do: ${entry.todo}`;
  const room = MAX_ALARM_DESCRIPTION - link.length - 1;
  const cut = body.length > room ? `${body.slice(0, room - 1)}…` : body;
  return `${cut} ${link}`;
}
