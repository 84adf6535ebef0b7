import type { PreviousReader, StrategyContext } from '../../rotation/strategy';
import { CredentialTestError, SecretFormatError } from '../../shared/errors';
import { assertSameDatabase, type DatabaseLocation, who } from './location';
import {
  at,
  awaitReplica,
  changeOnWriter,
  type DatabaseLocator,
  describeEndpoint,
  type Endpoint,
  type ReadOnlyServer,
} from './rds';
import { type ClosableSession, logsInWith } from './session';

/** The fields of a database secret the own-password steps read. */
export interface OwnPasswordSecret extends DatabaseLocation {
  readonly username: string;
  readonly password: string;
}

/** What {@link setOwnPassword} needs from an engine. */
export interface OwnPasswordDialect<S extends OwnPasswordSecret, Session extends ClosableSession> {
  readonly locator: DatabaseLocator;
  /** Logs in as `credentials` at `endpoint` (`secrets` are redacted from any error). */
  open(credentials: S, endpoint: Endpoint, purpose: string, secrets: readonly string[]): Promise<Session>;
  /** Whether a failure of {@link open} is the server rejecting the credentials. */
  isLoginRejected(error: unknown): boolean;
  /** Whether `credentials` log in at `endpoint` (a rejected login is `false`). */
  logsIn(credentials: S, endpoint: Endpoint, purpose: string, secrets: readonly string[]): Promise<boolean>;
  /**
   * Changes the password of the session's own account to `pending.password`; on a read-only
   * server changes nothing and returns why.
   */
  change(session: Session, pending: S): Promise<ReadOnlyServer | undefined>;
  /**
   * Extra fields for the "pending password set" log line (public identity only).
   * @default - none
   */
  describe?(session: Session): Record<string, unknown>;
}

/**
 * The login members of an {@link OwnPasswordDialect} from the engine's `Session.open` (bound to its
 * connection settings) and its `isLoginRejected`.
 *
 * @example
 * ```ts
 * const dialect = { locator, ...loginsAt((t, p, s) => Session.open(settings, t, p, s), isLoginRejected), change };
 * ```
 */
export function loginsAt<S extends OwnPasswordSecret, Session extends ClosableSession>(
  open: (
    target: Omit<S, 'host' | 'port'> & Endpoint,
    purpose: string,
    secrets: readonly string[],
  ) => Promise<Session>,
  isLoginRejected: (error: unknown) => boolean,
): Pick<OwnPasswordDialect<S, Session>, 'open' | 'isLoginRejected' | 'logsIn'> {
  return {
    open: (credentials, endpoint, purpose, secrets) => open(at(credentials, endpoint), purpose, secrets),
    isLoginRejected,
    logsIn: (credentials, endpoint, purpose, secrets) =>
      logsInWith(() => open(at(credentials, endpoint), purpose, secrets), isLoginRejected),
  };
}

/**
 * `set` of the modes where the user changes its own password, on the server the secret points at
 * (its `host`, or its RDS instance's or cluster's endpoint):
 *
 * 1. Log in with the pending password. If that works, a previous run already finished: done.
 * 2. Otherwise log in with the current password, else the previous one (read only then), and
 *    change the password with `dialect.change`.
 *
 * A network or TLS failure stops at once; only a rejected login moves on to the next password.
 * When the server is read-only (a read replica or Aurora reader), the same is done on the writer
 * (see `changeOnWriter`), then setSecret waits until the new password logs in on the secret's own
 * host, where consumers and testSecret log in. `mode` names the mode in the error of a pending
 * value for another user.
 *
 * @example
 * ```ts
 * await setOwnPassword(dialect, pending, current, previous, ctx, 'single-user rotation');
 * ```
 */
export async function setOwnPassword<S extends OwnPasswordSecret, Session extends ClosableSession>(
  dialect: OwnPasswordDialect<S, Session>,
  pending: S,
  current: S,
  previous: PreviousReader<S>,
  ctx: StrategyContext,
  mode: string,
): Promise<void> {
  const { locator } = dialect;
  if (pending.username !== current.username) {
    throw new SecretFormatError('username', `${mode} keeps the username: pending and current differ`);
  }
  assertSameDatabase(pending, current);
  const secrets = [pending.password, current.password];
  const where = await locator.locate(current, ctx.logger);

  const setOn = async (endpoint: Endpoint): Promise<ReadOnlyServer | undefined> => {
    if (await dialect.logsIn(pending, endpoint, 'setSecret: probing the pending password', secrets)) {
      ctx.logger.info('pending password already set', {
        ...who('setSecret', pending.username),
        host: endpoint.host,
        outcome: 'skipped',
      });
      return undefined;
    }
    // The previous value is read only if the current password is rejected too.
    const candidates: [string, () => Promise<S | undefined>][] = [
      ['current', async () => current],
      [
        'previous',
        async () => {
          const value = await previous();
          if (value !== undefined) secrets.push(value.password);
          return value;
        },
      ],
    ];
    for (const [label, load] of candidates) {
      const credentials = await load();
      if (credentials === undefined) continue;
      if (credentials.username !== pending.username) {
        ctx.logger.warn('skipping credentials of another user', {
          ...who('setSecret', credentials.username),
          label,
        });
        continue;
      }
      let session: Session;
      try {
        session = await dialect.open(
          credentials,
          endpoint,
          `setSecret: logging in with the ${label} password`,
          secrets,
        );
      } catch (error) {
        if (dialect.isLoginRejected(error)) {
          ctx.logger.info(`${label} password rejected`, who('setSecret', credentials.username));
          continue;
        }
        throw error;
      }
      let refused: ReadOnlyServer | undefined;
      try {
        refused = await dialect.change(session, pending);
      } finally {
        await session.close();
      }
      if (refused !== undefined) return refused;
      ctx.logger.info('pending password set', {
        ...who('setSecret', pending.username),
        via: label,
        ...dialect.describe?.(session),
        host: endpoint.host,
        outcome: 'changed',
      });
      return undefined;
    }
    throw new CredentialTestError(
      `setSecret: neither the pending, the current nor the previous password of user "${pending.username}" ` +
        `can log in on ${describeEndpoint(endpoint)}`,
    );
  };

  const changedOn = await changeOnWriter(locator, where, { secret: current }, setOn, ctx.logger);
  await awaitReplica(
    locator,
    changedOn,
    where,
    pending.username,
    () => dialect.logsIn(pending, where, 'setSecret: checking the read replica', secrets),
    ctx.logger,
  );
}
