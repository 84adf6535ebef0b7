import type { PreviousReader, StrategyContext } from '../../rotation/strategy';
import { CredentialTestError, SecretFormatError } from '../../shared/errors';
import {
  at,
  changeOnWriter,
  describeEndpoint,
  type Endpoint,
  type ReadOnlyServer,
  sameEndpoint,
} from '../shared/rds';
import { assertSameDatabase, logsIn, readOnlyServer, who } from './common';
import { isLoginRejected, Session } from './connection';
import type { ResolvedOptions } from './options';
import type { MysqlSecret } from './schema';
import { assertUsernameFits } from './server';

/** Changes the password of the session's own account to `pending.password`. */
export type ChangeOwnPassword = (session: Session, pending: MysqlSecret) => Promise<void>;

/**
 * `set` of the modes where the user changes its own password (single-user, dual-password), on the
 * server the secret points at (its `host`, or its RDS instance's or cluster's endpoint):
 *
 * 1. Log in with the pending password. If that works, a previous run already finished: done.
 * 2. Otherwise log in with the current password, else the previous one (read only then), and
 *    change the password with `change`.
 *
 * A network or TLS failure stops at once; only a rejected login moves on to the next password.
 * When the server is read-only (a read replica or Aurora reader), the same is done on the writer
 * (see `changeOnWriter`), then setSecret waits until the new password logs in on the secret's own
 * host, where consumers and testSecret log in.
 */
export async function setOwnPassword(
  options: Pick<ResolvedOptions, 'connection' | 'locator'>,
  pending: MysqlSecret,
  current: MysqlSecret,
  previous: PreviousReader<MysqlSecret>,
  ctx: StrategyContext,
  change: ChangeOwnPassword,
): Promise<void> {
  const { connection: settings, locator } = options;
  if (pending.username !== current.username) {
    throw new SecretFormatError('username', 'this mode keeps the username: pending and current differ');
  }
  assertSameDatabase(pending, current);
  const secrets = [pending.password, current.password];
  const where = await locator.locate(current, ctx.logger);

  const setOn = async (endpoint: Endpoint): Promise<ReadOnlyServer | undefined> => {
    if (await logsIn(settings, at(pending, endpoint), 'setSecret: probing the pending password', secrets)) {
      ctx.logger.info('pending password already set', {
        ...who('setSecret', pending.username),
        host: endpoint.host,
        outcome: 'skipped',
      });
      return undefined;
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
          at(credentials, endpoint),
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
        const refused = await readOnlyServer(session, 'setSecret');
        if (refused !== undefined) return refused;
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
  if (sameEndpoint(changedOn, where)) return;
  await locator.waitForReplication(
    {
      replica: where,
      writer: changedOn,
      username: pending.username,
      probe: () => logsIn(settings, at(pending, where), 'setSecret: checking the read replica', secrets),
    },
    ctx.logger,
  );
}
