import type { CredentialStrategy } from '../../rotation/strategy';
import { alternatingUsersStrategy } from './alternating-users';
import { type PostgresStrategyOptions, resolveOptions } from './options';
import type { PostgresSecret } from './schema';
import { singleUserStrategy } from './single-user';

/**
 * Creates the PostgreSQL credential strategy the rotation engine drives.
 *
 * - `single-user`: the user changes its own password. `set` tries the pending password (already
 *   done?), then the current, then the previous one, and sends a SCRAM-SHA-256 verifier computed
 *   here, so the plaintext never reaches the server's logs. No `revoke` / `restore`.
 * - `alternating-users`: the master user (secret named by `masterarn`) alternates between `<base>`
 *   and `<base>_clone`; the clone always acts as the base role, so privileges and object ownership
 *   are shared (see {@link alternatingUsersStrategy}). Has `inUse`, `revoke` (`NOLOGIN`) and
 *   `restore` (`LOGIN`).
 *
 * Connections use TLS `verify-full` against the Amazon RDS CA bundle unless `tls` says otherwise; a
 * TLS failure is an error, never a fallback to plaintext. Errors name the step, user, host and
 * SQLSTATE, and never contain a password.
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
 * const strategy = createPostgresStrategy({ mode: 'alternating-users' });
 * const current = strategy.parse(currentSecretString);
 * const pending = await strategy.create(current, ctx);
 * await strategy.set(pending, current, undefined, ctx);
 * await strategy.test(pending, ctx);
 * ```
 *
 * @example
 * ```ts
 * // A self-managed server with its own CA, counting database round trips:
 * let roundTrips = 0;
 * const strategy = createPostgresStrategy({
 *   mode: 'single-user',
 *   tls: { mode: 'verify-full', ca: readFileSync('ca.pem', 'utf8') },
 *   onRoundTrip: () => roundTrips++,
 * });
 * ```
 */
export function createPostgresStrategy(options: PostgresStrategyOptions): CredentialStrategy<PostgresSecret> {
  const resolved = resolveOptions(options);
  return resolved.mode === 'single-user' ? singleUserStrategy(resolved) : alternatingUsersStrategy(resolved);
}
