import { randomInt } from 'node:crypto';
import { invalidParameter } from './errors';

/** Options of GetRandomPassword, by their API names. */
export interface RandomPasswordOptions {
  /** @default 32 */
  readonly PasswordLength?: number;
  /** @default - no character excluded */
  readonly ExcludeCharacters?: string;
  /** @default false */
  readonly ExcludeNumbers?: boolean;
  /** @default false */
  readonly ExcludePunctuation?: boolean;
  /** @default false */
  readonly ExcludeUppercase?: boolean;
  /** @default false */
  readonly ExcludeLowercase?: boolean;
  /** @default false */
  readonly IncludeSpace?: boolean;
  /** @default true */
  readonly RequireEachIncludedType?: boolean;
}

const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NUMBERS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

function pick(characters: string): string {
  return characters.charAt(randomInt(characters.length));
}

/**
 * Generates a password the way Secrets Manager's GetRandomPassword does, with `node:crypto`
 * randomness: the character classes that are not excluded, minus `ExcludeCharacters`, and (by
 * default) at least one character of each class that is left.
 */
export function generateRandomPassword(options: RandomPasswordOptions = {}): string {
  const length = options.PasswordLength ?? 32;
  const excluded = new Set(options.ExcludeCharacters ?? '');
  const keep = (characters: string) => [...characters].filter((c) => !excluded.has(c)).join('');
  const classes = [
    options.ExcludeLowercase ? '' : keep(LOWERCASE),
    options.ExcludeUppercase ? '' : keep(UPPERCASE),
    options.ExcludeNumbers ? '' : keep(NUMBERS),
    options.ExcludePunctuation ? '' : keep(PUNCTUATION),
    options.IncludeSpace ? keep(' ') : '',
  ].filter((characters) => characters.length > 0);
  const all = classes.join('');
  if (all.length === 0) {
    throw invalidParameter(
      'The options you specified exclude every character; no password can be generated.',
    );
  }
  const required = (options.RequireEachIncludedType ?? true) ? classes.map(pick) : [];
  if (required.length > length) {
    throw invalidParameter(
      `PasswordLength must be at least ${required.length} to include each character type, got ${length}`,
    );
  }
  const characters = [...required];
  while (characters.length < length) characters.push(pick(all));
  for (let i = characters.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    const swap = characters[i] as string;
    characters[i] = characters[j] as string;
    characters[j] = swap;
  }
  return characters.join('');
}
