/**
 * Alarm ids, and the text every alarm carries: what happened, what to do, and the README runbook
 * section (`README.md#runbook-<alarm-id>`) that says it at length. The ids are a public contract:
 * the README anchors are built from them.
 */
export const ALARM = {
  lambdaErrors: 'rotation-lambda-errors',
  rotationFailedMetric: 'rotation-failed-metric',
  rotationFailedEvent: 'rotation-failed-event',
  secretOlderThanPolicy: 'secret-older-than-policy',
  rotationOverdue: 'rotation-overdue',
} as const;
export type AlarmId = (typeof ALARM)[keyof typeof ALARM];

/** The default runbook location: the README at the root of the repository the stack was deployed from. */
export const DEFAULT_RUNBOOK_URL = 'README.md';

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
};

/** The README anchor of an alarm's runbook section. */
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
