/**
 * Secrets the workflow follows but does not rotate: an RDS-managed master user secret (RDS rotates it
 * every 7 days by default, with no function of Handover's), or a secret another rotation function
 * rotates. A rollout starts on the secret's `RotationSucceeded` event, moves and verifies its
 * consumers and names who still holds the old value; it never rotates or revokes: by the time the
 * event arrives, the old password no longer works.
 */
import type { FollowedBy } from './contract';

/** Who rotated a followed secret, in words. */
export function rotatorOf(rotatedBy: FollowedBy): string {
  return rotatedBy === 'rds'
    ? 'Amazon RDS (a managed master user secret)'
    : "a rotation function that is not Handover's";
}

/** Why an emergency rollout of a followed secret is refused. */
export function followedEmergencyRefusal(secretName: string, rotatedBy: FollowedBy): string {
  return (
    `secret ${secretName} is followed, not rotated, by Handover (rotated by ${rotatorOf(rotatedBy)}): an emergency ` +
    `rollout cannot rotate it. Rotate it with its owner (aws secretsmanager rotate-secret --secret-id ${secretName}` +
    `${rotatedBy === 'rds' ? ', or modify-db-instance --rotate-master-user-password' : ''}); its RotationSucceeded ` +
    'event starts the rollout that moves its consumers. A "scheduled" start by hand rolls out the last rotation again.'
  );
}

/** What a followed rollout says instead of revoking. */
export function followedNothingToRevoke(rotatedBy: FollowedBy): string {
  return `followed secret: rotated by ${rotatorOf(rotatedBy)}, which replaced the old password itself, so the old value is already gone and Handover revokes nothing`;
}
