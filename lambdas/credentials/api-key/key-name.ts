import { createHash } from 'node:crypto';

/** Longest key name Handover makes: Twilio's `FriendlyName` limit (64 characters). */
export const MAX_KEY_NAME_LENGTH = 64;
/** Length of the rotation tag at the end of every key name. */
export const ROTATION_TAG_LENGTH = 12;

/** The secret's name from its ARN (without the 6-character suffix Secrets Manager adds). */
export function secretNameOf(secretId: string): string {
  const match = /^arn:aws[a-z-]*:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(secretId);
  if (match === null) return secretId;
  const name = match[1] ?? secretId;
  return /-[A-Za-z0-9]{6}$/.test(name) ? name.slice(0, -7) : name;
}

/**
 * The tag that ties a key to one rotation of one secret: the first 12 hex digits of
 * SHA-256(secret ARN, newline, ClientRequestToken). A hash, not the token's first characters:
 * tokens are chosen by whoever calls RotateSecret and need not be random (`rotation-0001`,
 * `rotation-0002` share their first 8), and a shared prefix would make one rotation treat the
 * previous rotation's key as its own orphan.
 */
export function rotationTag(secretId: string, rotationId: string): string {
  return createHash('sha256')
    .update(`${secretId}\n${rotationId}`)
    .digest('hex')
    .slice(0, ROTATION_TAG_LENGTH);
}

/**
 * The deterministic provider-side name of the key a rotation creates:
 * `<prefix>-<rotation tag>`, where the prefix is the secret's `keyNamePrefix` or
 * `handover-<secret name>` (characters outside `A-Za-z0-9._-` become `-`), cut so the whole name
 * fits 64 characters. Every attempt of the same rotation computes the same name, which is how an
 * orphan left by an earlier attempt is found.
 *
 * @example
 * ```ts
 * keyNameFor('arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/mail-AbCdEf', token);
 * // 'handover-prod-mail-3f9a0c5b21de'
 * ```
 */
export function keyNameFor(secretId: string, rotationId: string, prefix?: string): string {
  const base = (prefix ?? `handover-${secretNameOf(secretId)}`).replace(/[^A-Za-z0-9._-]/g, '-');
  const room = MAX_KEY_NAME_LENGTH - ROTATION_TAG_LENGTH - 1;
  return `${base.slice(0, room)}-${rotationTag(secretId, rotationId)}`;
}
