import { randomInt } from 'node:crypto';
import { HandoverError } from '../shared/errors';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
/**
 * RFC 3986 "unreserved" punctuation: never needs escaping in a URL, a libpq / JDBC connection
 * string, a MySQL option file or a shell word, so a generated password is safe wherever a
 * consumer pastes it.
 */
const PUNCTUATION = '-._~';

/** Options for {@link generatePassword}. */
export interface PasswordOptions {
  /**
   * Number of characters.
   * @default 32
   */
  readonly length?: number;
  /**
   * Characters never to use, on top of everything outside the connection-string-safe alphabet.
   * @default - none
   */
  readonly excludeCharacters?: string;
}

export const PASSWORD_LIMITS = { min: 16, max: 128, default: 32 } as const;

/**
 * Generates a password with the local CSPRNG (`crypto.randomInt`, unbiased), from an alphabet that
 * is safe in connection strings, with at least one upper-case letter, lower-case letter and digit.
 *
 * @example
 * ```ts
 * const password = generatePassword({ length: 40 });
 * ```
 */
export function generatePassword(options: PasswordOptions = {}): string {
  const length = options.length ?? PASSWORD_LIMITS.default;
  if (!Number.isInteger(length) || length < PASSWORD_LIMITS.min || length > PASSWORD_LIMITS.max) {
    throw new HandoverError(
      `password length must be an integer from ${PASSWORD_LIMITS.min} to ${PASSWORD_LIMITS.max}, got ${length}`,
    );
  }
  const excluded = new Set(options.excludeCharacters ?? '');
  const keep = (set: string) => [...set].filter((c) => !excluded.has(c)).join('');
  const required = [keep(UPPER), keep(LOWER), keep(DIGITS)];
  if (required.some((set) => set.length === 0)) {
    throw new HandoverError(
      'excludeCharacters must leave at least one upper-case letter, lower-case letter and digit',
    );
  }
  const classes = [...required, keep(PUNCTUATION)];
  const alphabet = classes.join('');
  const chars = Array.from({ length }, () => alphabet[randomInt(alphabet.length)] as string);
  // Guarantee one character of each required class at distinct random positions.
  const positions = shuffle(Array.from({ length }, (_, i) => i)).slice(0, required.length);
  required.forEach((set, i) => {
    chars[positions[i] as number] = set[randomInt(set.length)] as string;
  });
  return chars.join('');
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
