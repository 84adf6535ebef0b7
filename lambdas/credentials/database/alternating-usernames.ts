import { SecretFormatError } from '../../shared/errors';

/** The suffix of the second user in the alternating-users scheme (as in AWS's rotation templates). */
export const CLONE_SUFFIX = '_clone';

/** The base user of an alternating pair: the username without its `_clone` suffix. */
export function baseUsername(username: string): string {
  return username.endsWith(CLONE_SUFFIX) && username.length > CLONE_SUFFIX.length
    ? username.slice(0, -CLONE_SUFFIX.length)
    : username;
}

/** The clone user of an alternating pair. */
export function cloneUsername(username: string): string {
  return `${baseUsername(username)}${CLONE_SUFFIX}`;
}

/** The other user of an alternating pair: `app` -> `app_clone`, `app_clone` -> `app`. */
export function toggleUsername(username: string): string {
  const base = baseUsername(username);
  return username === base ? cloneUsername(base) : base;
}

/** Refuses to act on a user that is not the other half of the current user's pair. */
export function assertPartner(
  other: { username: string },
  current: { username: string },
  what: string,
): void {
  const expected = toggleUsername(current.username);
  if (other.username !== expected) {
    throw new SecretFormatError(
      'username',
      `${what} user "${other.username}" is not the alternate of the current user "${current.username}" ` +
        `(expected "${expected}")`,
    );
  }
}
