import type { PreviousReader, StrategyContext } from '../../rotation/strategy';
import { CredentialTestError, SecretFormatError } from '../../shared/errors';
import { assertSameDatabase, who } from './common';
import { type ConnectionSettings, isLoginRejected, Session, withSession } from './connection';
import type { MysqlSecret } from './schema';
import { assertUsernameFits } from './server';

/** Changes the password of the session's own account to `pending.password`. */
export type ChangeOwnPassword = (session: Session, pending: MysqlSecret) => Promise<void>;

/**
 * `set` of the modes where the user changes its own password (single-user, dual-password):
 *
 * 1. Log in with the pending password. If that works, a previous run already finished: done.
 * 2. Otherwise log in with the current password, else the previous one (read only then), and
 *    change the password with `change`.
 *
 * A network or TLS failure stops at once; only a rejected login moves on to the next password.
 */
export async function setOwnPassword(
  settings: ConnectionSettings,
  pending: MysqlSecret,
  current: MysqlSecret,
  previous: PreviousReader<MysqlSecret>,
  ctx: StrategyContext,
  change: ChangeOwnPassword,
): Promise<void> {
  if (pending.username !== current.username) {
    throw new SecretFormatError('username', 'this mode keeps the username: pending and current differ');
  }
  assertSameDatabase(pending, current);
  const secrets = [pending.password, current.password];
  try {
    await withSession(settings, pending, 'setSecret: probing the pending password', secrets, async () => {});
    ctx.logger.info('pending password already set', {
      ...who('setSecret', pending.username),
      outcome: 'skipped',
    });
    return;
  } catch (error) {
    if (!isLoginRejected(error)) throw error;
  }
  const candidates: [string, () => Promise<MysqlSecret | undefined>][] = [
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
      session = await Session.open(
        settings,
        credentials,
        `setSecret: logging in with the ${label} password`,
        secrets,
      );
    } catch (error) {
      if (isLoginRejected(error)) {
        ctx.logger.info(`${label} password rejected`, who('setSecret', credentials.username));
        continue;
      }
      throw error;
    }
    try {
      assertUsernameFits(pending.username, session.server, 'username');
      await change(session, pending);
    } finally {
      await session.close();
    }
    ctx.logger.info('pending password set', {
      ...who('setSecret', pending.username),
      via: label,
      account: `${session.account.user}@${session.account.host}`,
      server: session.server.variant,
      outcome: 'changed',
    });
    return;
  }
  throw new CredentialTestError(
    `setSecret: neither the pending, the current nor the previous password of user "${pending.username}" ` +
      `can log in on ${pending.host}:${pending.port}`,
  );
}
