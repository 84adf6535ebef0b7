import type { CredentialType } from '../../lambdas/rotation/constants';
import type { CredentialStrategy, StrategyContext } from '../../lambdas/rotation/strategy';
import { CredentialTestError, SecretFormatError } from '../../lambdas/shared/errors';

/** The value the fake strategy stores: a user and its password, like a database secret. */
export interface KeyringSecret {
  readonly username: string;
  readonly password: string;
}

/**
 * A fake target system with two-user rotation semantics (like alternating-users): each user has
 * one password. It records the order of its side effects and can be told to fail one of them,
 * before or after it takes effect (a lost response).
 */
export class Keyring {
  readonly passwords = new Map<string, string>();
  readonly effects: string[] = [];
  private failure: { readonly effect: string; readonly when: 'before' | 'after'; times: number } | undefined;

  /** Fails the next `times` side effects named `effect` (`set:<user>`), before or after they apply. */
  failNext(effect: string, when: 'before' | 'after', times = 1): void {
    this.failure = { effect, when, times };
  }

  login(user: string, password: string): boolean {
    return this.passwords.get(user) === password;
  }

  setPassword(user: string, password: string): void {
    const effect = `set:${user}`;
    const failure = this.failure?.effect === effect ? this.failure : undefined;
    if (failure !== undefined) {
      failure.times -= 1;
      if (failure.times === 0) this.failure = undefined;
    }
    if (failure?.when === 'before') throw new Error(`injected failure before ${effect}`);
    this.passwords.set(user, password);
    this.effects.push(effect);
    if (failure?.when === 'after') throw new Error(`injected failure after ${effect}`);
  }
}

let counter = 0;

/**
 * A credential strategy over a {@link Keyring}: the pending user alternates between `<base>` and
 * `<base>_clone`, so the current credential keeps working until finishSecret. Its `create` only
 * computes a value; `createIsPure` says so to the engine (as the database strategies do) or not (as
 * the key types, whose `create` makes a key), so both createSecret paths can be tested.
 */
export function createKeyringStrategy(
  keyring: Keyring,
  options: { readonly createIsPure?: boolean } = {},
): CredentialStrategy<KeyringSecret> {
  return {
    type: 'postgres' satisfies CredentialType,
    variant: 'fake-alternating',
    previousStaysValid: true,
    createIsPure: options.createIsPure === true,
    parse(value) {
      let data: unknown;
      try {
        data = JSON.parse(value);
      } catch (error) {
        throw new SecretFormatError('$', 'secret value is not valid JSON', { cause: error });
      }
      const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
      for (const field of ['username', 'password'] as const) {
        if (typeof record[field] !== 'string' || record[field] === '') {
          throw new SecretFormatError(field, `${field} must be a non-empty string`);
        }
      }
      return { username: record.username as string, password: record.password as string };
    },
    serialize: (value) => JSON.stringify(value),
    identify: (value) => value.username,
    secretsOf: (value) => [value.password],
    async create(current) {
      counter += 1;
      const base = current.username.replace(/_clone$/, '');
      const username = current.username === base ? `${base}_clone` : base;
      return { username, password: `pw-${counter}-${Math.random().toString(36).slice(2, 12)}` };
    },
    async set(pending, current, _previous, ctx: StrategyContext) {
      if (keyring.login(pending.username, pending.password)) {
        ctx.logger.info('pending credential already set');
        return;
      }
      if (!keyring.login(current.username, current.password)) {
        throw new CredentialTestError(`current credential of ${current.username} does not log in`);
      }
      keyring.setPassword(pending.username, pending.password);
    },
    async test(pending) {
      if (!keyring.login(pending.username, pending.password)) {
        throw new CredentialTestError(`pending credential of ${pending.username} does not log in`);
      }
    },
  };
}
