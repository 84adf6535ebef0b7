import type { CredentialStrategy } from '../../rotation/strategy';
import { alternatingUsersStrategy } from './alternating-users';
import { dualPasswordStrategy } from './dual-password';
import { type MysqlStrategyOptions, resolveOptions } from './options';
import type { MysqlSecret } from './schema';
import { singleUserStrategy } from './single-user';

/**
 * Creates the MySQL / MariaDB credential strategy the rotation engine drives. MySQL and MariaDB
 * are told apart at run time from the server's `VERSION()`, and each gets its own SQL.
 *
 * - `single-user`: the user changes its own password (`ALTER USER CURRENT_USER() IDENTIFIED BY`
 *   on MySQL, `SET PASSWORD = '<hash>'` on MariaDB). `set` tries the pending password (already
 *   done?), then the current, then the previous one. No `revoke` / `restore` / `inUse`.
 * - `alternating-users`: the master user (secret named by `masterarn`) alternates between
 *   `<base>` and `<base>_clone`, and copies the current user's grants, `REQUIRE` options and
 *   resource limits to the pending one on every rotation (see {@link alternatingUsersStrategy}).
 *   Has `inUse` (sessions in `PROCESSLIST`), `revoke` (`ACCOUNT LOCK`) and `restore` (`ACCOUNT UNLOCK`).
 * - `dual-password` (MySQL 8.0.14+): the user changes its own password with
 *   `RETAIN CURRENT PASSWORD`, so old and new both work until `revoke` (`DISCARD OLD PASSWORD`).
 *   No `restore` / `inUse`. On MariaDB it fails with an error naming the mode and the server.
 *
 * Connections use TLS `verify-full` against the Amazon RDS CA bundle unless `tls` says otherwise;
 * a TLS failure is an error, never a fallback to plaintext. Every value in SQL is escaped with
 * mysql2's `escape` for the session's SQL mode. Errors name the step, user, host and server error,
 * and never contain a password or the statement that carried one.
 *
 * With `rds` (each `handler.ts` passes one built from module-scope SDK clients), a secret may name
 * `dbInstanceIdentifier` / `dbClusterIdentifier` instead of `host` and `port` (looked up in RDS on
 * every invocation, never written into the secret), an RDS-managed master secret (only `username`
 * and `password`) is located through its RDS tags, and a secret whose host is a read replica or an
 * Aurora reader has its password changed on the writer, then waits (`replicationWaitMs`) until the
 * replica accepts it. See `../shared/rds`.
 *
 * @example
 * ```ts
 * const strategy = createMysqlStrategy({ mode: 'alternating-users' });
 * const current = strategy.parse(currentSecretString);
 * const pending = await strategy.create(current, ctx);
 * await strategy.set(pending, current, noPrevious, ctx);
 * await strategy.test(pending, ctx);
 * ```
 *
 * @example
 * ```ts
 * // A self-managed server with its own CA, counting database round trips:
 * let roundTrips = 0;
 * const strategy = createMysqlStrategy({
 *   mode: 'single-user',
 *   tls: { mode: 'verify-full', ca: readFileSync('ca.pem', 'utf8') },
 *   onRoundTrip: () => roundTrips++,
 * });
 * ```
 */
export function createMysqlStrategy(options: MysqlStrategyOptions): CredentialStrategy<MysqlSecret> {
  const resolved = resolveOptions(options);
  switch (resolved.mode) {
    case 'single-user':
      return singleUserStrategy(resolved);
    case 'alternating-users':
      return alternatingUsersStrategy(resolved);
    case 'dual-password':
      return dualPasswordStrategy(resolved);
  }
}
