import { ROLLOUT_ERRORS, type RolloutErrorCode } from './contract';

/** What a notification says about a named failure: a title and what to do. */
export interface FailureGuide {
  readonly title: string;
  readonly todo: string;
}

/**
 * The short runbook of every named failure, as notifications carry it. `docs/runbook.md` holds the
 * long form under `#runbook-rollout-<name>` ({@link failureAnchor}).
 */
export const FAILURE_GUIDE: Readonly<Record<RolloutErrorCode, FailureGuide>> = {
  [ROLLOUT_ERRORS.refused]: {
    title: 'Rollout refused: another rollout of this secret is running',
    todo: 'Wait for the running rollout (named above) to finish, or stop it in the Step Functions console: its lock is then taken over by the next start (an emergency start takes a scheduled rollout over by itself). A scheduled rotation that was refused is not rolled out: once the other rollout has finished, start one with mode "scheduled" (it rolls out the version that was never rolled out, or rotates once more).',
  },
  [ROLLOUT_ERRORS.invalidInput]: {
    title: 'Invalid input or rollout configuration',
    todo: 'Nothing was changed. Fix the execution input (see the expected shape above) or the policy in infra/policy.ts (then cdk deploy), and start again.',
  },
  [ROLLOUT_ERRORS.preflightFailed]: {
    title: 'Preflight failed',
    todo: "Nothing was changed. The workflow could not read the secret, its rollout configuration or its strategy: check the cause (permissions, the rotation function's logs), fix it, and start again.",
  },
  [ROLLOUT_ERRORS.rotationFailed]: {
    title: 'Rotation failed before any consumer was touched',
    todo: 'AWSCURRENT still holds the old, working credential and no consumer changed. Read the rotation function logs (outcome="failure": step, reason), fix the cause; if AWSPENDING is stuck on a version that is not AWSCURRENT, remove it (aws secretsmanager update-secret-version-stage --secret-id <secret> --version-stage AWSPENDING --remove-from-version-id <version>), then start again.',
  },
  [ROLLOUT_ERRORS.consumerFailed]: {
    title: 'A consumer could not be moved to the new credential',
    todo: 'If the summary says "rolled back", AWSCURRENT is on the old version again and every consumer that moved points back at it: fix the failing consumer and start a new rollout. Otherwise (emergency mode, or a type that cannot roll back) the failing consumers still hold the old credential: fix them and point them at the new version.',
  },
  [ROLLOUT_ERRORS.stillInUse]: {
    title: 'The old credential is still in use after the grace window',
    todo: 'It was NOT revoked. Start from the named stragglers above (database sessions, IAM key callers, verifier callers, CloudTrail readers): restart each, or point it at the new version; declare the undeclared ones in the policy (or ignore them with a reason). Then check and revoke with the commands below (CloudTrail needs its delivery delay to see a re-read).',
  },
  [ROLLOUT_ERRORS.usageCheckFailed]: {
    title: 'The usage check failed',
    todo: "The old credential was NOT revoked. Fix the cause (the rotation function's logs, step=inUse: network, permissions, the target), then check and revoke with the commands below.",
  },
  [ROLLOUT_ERRORS.revokeFailed]: {
    title: 'The old credential could not be revoked',
    todo: "It may still work. Fix the cause (the rotation function's logs, step=revoke), then revoke with the command below.",
  },
  [ROLLOUT_ERRORS.rollbackRefused]: {
    title: 'Rollback refused',
    todo: 'AWSCURRENT stays on the new version (rolling back would hand consumers a credential that no longer works, or undo a newer rotation). Fix the failing consumers and point them at the new version.',
  },
  [ROLLOUT_ERRORS.rollbackFailed]: {
    title: 'Rollback failed',
    todo: 'The rollback did not complete (see the cause). The new credential is not revoked and still works. Finish by hand: put AWSCURRENT back on the old version if the cause says it did not move, and point the consumers listed as failed at the version AWSCURRENT is on.',
  },
};

/** `runbook-rollout-consumer-update-failed`: the runbook anchor of a named failure. */
export function failureAnchor(code: RolloutErrorCode): string {
  const name = code
    .replace(/^Handover\./, '')
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase();
  return `runbook-rollout-${name}`;
}

/** Whether a string is one of the named failures. */
export function isRolloutErrorCode(value: string | undefined): value is RolloutErrorCode {
  return value !== undefined && (Object.values(ROLLOUT_ERRORS) as string[]).includes(value);
}
