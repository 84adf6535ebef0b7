import type { CredentialStrategy } from '../../rotation/strategy';
import type { Session } from './connection';
import type { ResolvedOptions } from './options';
import { ownPasswordMembers, setOwnPassword } from './own-password';
import type { MysqlSecret } from './schema';
import { assertAlterUser } from './server';
import { nativePasswordHash } from './sql';

/**
 * The statement that changes the session's own password:
 *
 * - MySQL: `ALTER USER CURRENT_USER() IDENTIFIED BY '<password>'` (no privilege needed; keeps the
 *   account's authentication plugin; MySQL rewrites the password out of its logs).
 * - MariaDB: `SET PASSWORD = '<mysql_native_password hash>'` (MariaDB's `ALTER USER` needs the
 *   `CREATE USER` privilege even for oneself, and MariaDB logs statements as sent, so only the
 *   hash is sent).
 *
 * Pure, so unit tests can read it.
 */
export function ownPasswordStatement(session: Pick<Session, 'server' | 'literal'>, password: string): string {
  return session.server.variant === 'mariadb'
    ? `SET PASSWORD = ${session.literal(nativePasswordHash(password))}`
    : `ALTER USER CURRENT_USER() IDENTIFIED BY ${session.literal(password)}`;
}

/**
 * Single user: the user changes its own password, so it needs no privileges. Consumers holding the
 * old password fail from that moment, so there is no `revoke` and no `restore` (a password change
 * cannot be undone without the old value), and no `inUse`: old and new credentials share the
 * username, and MySQL does not record which password or when a session logged in.
 */
export function singleUserStrategy(options: ResolvedOptions): CredentialStrategy<MysqlSecret> {
  return {
    type: 'mysql',
    variant: 'single-user',
    previousStaysValid: false,
    ...ownPasswordMembers(options),

    async set(pending, current, previous, ctx) {
      await setOwnPassword(options, pending, current, previous, ctx, async (session, next) => {
        if (session.server.variant === 'mysql') assertAlterUser(session.server, 'single-user');
        await session.query(ownPasswordStatement(session, next.password), 'setSecret: changing the password');
      });
    },
  };
}
