import type { CredentialStrategy } from '../../rotation/strategy';
import { SecretFormatError, TargetError } from '../../shared/errors';
import { readCurrent, who } from '../database/location';
import { at, changeOnWriter } from '../database/rds';
import { withSession } from './connection';
import type { ResolvedOptions } from './options';
import { ownPasswordMembers, setOwnPassword } from './own-password';
import { type MysqlSecret, parseMysqlSecret } from './schema';
import { assertDualPassword } from './server';
import type { SqlMode } from './sql';
import { literal } from './sql';
import { readOnlyServer } from './standby';

/** `ALTER USER CURRENT_USER() IDENTIFIED BY '<new>' RETAIN CURRENT PASSWORD` (pure, for unit tests). */
export function retainStatement(password: string, mode: SqlMode): string {
  return `ALTER USER CURRENT_USER() IDENTIFIED BY ${literal(password, mode)} RETAIN CURRENT PASSWORD`;
}

/** The statement `revoke` runs: the secondary (old) password stops working. */
export const DISCARD_STATEMENT = 'ALTER USER CURRENT_USER() DISCARD OLD PASSWORD';

/**
 * Dual password (MySQL 8.0.14+): one user, two valid passwords during the rollout.
 *
 * - `set`: the user logs in (pending? current? previous?) and runs
 *   `ALTER USER CURRENT_USER() IDENTIFIED BY '<new>' RETAIN CURRENT PASSWORD`: the new password
 *   becomes primary, the current one secondary, and both log in.
 * - `revoke`: `ALTER USER CURRENT_USER() DISCARD OLD PASSWORD`, logged in with AWSCURRENT.
 *   Existing sessions stay; new logins with the old password fail.
 * - No `restore`: a discarded password cannot be brought back by the server.
 * - No `inUse`: old and new share the username, and MySQL records neither which password a session
 *   used nor when it logged in, so no query can tell whether the old password is still used.
 *
 * The user needs the `APPLICATION_PASSWORD_ADMIN` privilege (for its own account). The server's
 * capability is checked when connected: on MariaDB, or MySQL before 8.0.14, it fails with an error
 * naming the mode and the server.
 */
export function dualPasswordStrategy(options: ResolvedOptions): CredentialStrategy<MysqlSecret> {
  const settings = options.connection;
  return {
    type: 'mysql',
    variant: 'dual-password',
    previousStaysValid: true,
    ...ownPasswordMembers(options),

    async set(pending, current, previous, ctx) {
      await setOwnPassword(options, pending, current, previous, ctx, async (session, next) => {
        assertDualPassword(session.server);
        await session.query(
          retainStatement(next.password, session.sqlMode),
          'setSecret: ALTER USER ... RETAIN CURRENT PASSWORD',
        );
      });
    },

    async revoke(old, ctx) {
      const current = await readCurrent(ctx, parseMysqlSecret);
      if (old.username !== current.username) {
        throw new SecretFormatError(
          'username',
          `revoke: the old value is for user "${old.username}", the current secret for "${current.username}"`,
        );
      }
      if (old.password === current.password) {
        throw new TargetError(
          `revoke: refusing to discard a password of "${old.username}": it is the current one`,
        );
      }
      // On a read replica the password is discarded on the writer (and replicates from there).
      const where = await options.locator.locate(current, ctx.logger);
      await changeOnWriter(
        options.locator,
        where,
        { secret: current },
        (endpoint) =>
          withSession(
            settings,
            at(current, endpoint),
            'revoke: logging in with the current password',
            [old.password],
            async (session) => {
              const refused = await readOnlyServer(session, 'revoke');
              if (refused !== undefined) return refused;
              assertDualPassword(session.server);
              await session.query(DISCARD_STATEMENT, 'revoke: ALTER USER ... DISCARD OLD PASSWORD');
              return undefined;
            },
          ),
        ctx.logger,
      );
      ctx.logger.info('old password discarded', { ...who('revoke', old.username), outcome: 'revoked' });
    },
  };
}
