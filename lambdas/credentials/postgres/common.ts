import type { UsageReport } from '../../rotation/strategy';
import { CredentialTestError } from '../../shared/errors';
import { asCredentialTestError, logsInWith } from '../shared/database-session';
import type { ReadOnlyServer } from '../shared/rds';
import {
  ConnectionError,
  type ConnectionSettings,
  isLoginRejected,
  type LoginTarget,
  Session,
  withSession,
} from './connection';

export { assertSameDatabase, readCurrent, who } from '../shared/database-common';

/**
 * Logs in with `target` and checks the session user, as `testSecret` and the confused-deputy
 * check do. A failure is a `CredentialTestError`. Returns `current_user` (the role the session acts as).
 */
export async function proveLogin(
  settings: ConnectionSettings,
  target: LoginTarget,
  purpose: string,
  secrets: readonly string[],
): Promise<string> {
  try {
    return await withSession(settings, target, purpose, secrets, async (session) => {
      const [row] = await session.query(
        'SELECT 1 AS ok, session_user::text AS session_user, current_user::text AS current_user',
        `${purpose}: SELECT 1`,
      );
      if (row?.ok !== 1 || row.session_user !== target.username) {
        throw new CredentialTestError(
          `${purpose}: logged in on ${target.host}:${target.port} but the session user is not "${target.username}"`,
        );
      }
      return String(row.current_user);
    });
  } catch (error) {
    throw asCredentialTestError(error, [target.password, ...secrets]);
  }
}

const SESSIONS_SQL = `SELECT count(*)::int AS sessions,
  max(backend_start) AS newest,
  string_agg(DISTINCT host(client_addr), ', ') AS clients
FROM pg_stat_activity
WHERE usename = $1 AND pid <> pg_backend_pid() AND ($2::timestamptz IS NULL OR backend_start < $2::timestamptz)`;

/** Counts the sessions of `username` (other than `session` itself) in `pg_stat_activity`. */
export async function countSessions(
  session: Session,
  username: string,
  startedBefore: Date | undefined,
): Promise<UsageReport> {
  const [row] = await session.query(SESSIONS_SQL, 'inUse: reading pg_stat_activity', [
    username,
    startedBefore?.toISOString() ?? null,
  ]);
  const sessions = Number(row?.sessions ?? 0);
  if (sessions === 0) return { inUse: false, evidence: `no sessions of ${username}` };
  // Without pg_read_all_stats (pg_monitor) the checking user sees other users' sessions but not
  // their addresses; Unix-socket sessions have none either.
  const clients = typeof row?.clients === 'string' ? row.clients : 'unknown addresses';
  const newest = row?.newest instanceof Date ? row.newest : undefined;
  const started = newest === undefined ? '' : `, newest started ${newest.toISOString()}`;
  return {
    inUse: true,
    evidence: `${sessions} session${sessions === 1 ? '' : 's'} of ${username} from ${clients}${started}`,
    lastUsed: new Date(),
  };
}

/** How a standby (a read replica or Aurora reader) is recognised. */
export const STANDBY_EVIDENCE = 'pg_is_in_recovery() is true';

/**
 * Aurora PostgreSQL: the cluster's writer as the server reports it, a DB instance identifier (the
 * `aurora_replica_status()` row whose `session_id` is `MASTER_SESSION_ID`). Other servers have no
 * such function (SQLSTATE 42883), and then the writer is found from RDS names.
 */
export const AURORA_WRITER_SQL =
  "SELECT server_id AS writer FROM aurora_replica_status() WHERE session_id = 'MASTER_SESSION_ID'";

/**
 * The read-only server behind `session`, a hot standby: on Aurora PostgreSQL with the writer it
 * reports, so the writer can be found without RDS names in the secret.
 */
export async function standby(session: Session, purpose: string): Promise<ReadOnlyServer> {
  try {
    const [row] = await session.query(AURORA_WRITER_SQL, `${purpose}: reading the Aurora writer`);
    const writer = typeof row?.writer === 'string' && row.writer !== '' ? row.writer : undefined;
    return { evidence: `${STANDBY_EVIDENCE} (an Aurora PostgreSQL reader)`, reportedWriter: writer };
  } catch (error) {
    // No such function (not Aurora), or no right to call it: the writer is then found otherwise.
    if (error instanceof ConnectionError && error.sqlState !== undefined)
      return { evidence: STANDBY_EVIDENCE };
    throw error;
  }
}

/** SQLSTATE 25006 (read_only_sql_transaction): what a hot standby answers to any write. */
const READ_ONLY_SQL_TRANSACTION = '25006';

/** Whether the server of `session` is a hot standby (a read replica or an Aurora reader). */
export async function inRecovery(session: Session, purpose: string): Promise<boolean> {
  const [row] = await session.query(
    'SELECT pg_is_in_recovery() AS in_recovery',
    `${purpose}: pg_is_in_recovery()`,
  );
  return row?.in_recovery === true;
}

/**
 * Runs `write` (one statement, outside an explicit transaction). When the server refuses it as a
 * read-only transaction AND is in recovery (a read replica or Aurora reader), returns why
 * ({@link standby}) instead of throwing, so the caller can make the change on the writer. A read-only session on a
 * primary (`default_transaction_read_only`) still fails with the server's error.
 */
export async function writeUnlessStandby(
  session: Session,
  purpose: string,
  write: () => Promise<unknown>,
): Promise<ReadOnlyServer | undefined> {
  try {
    await write();
    return undefined;
  } catch (error) {
    if (error instanceof ConnectionError && error.sqlState === READ_ONLY_SQL_TRANSACTION) {
      if (await inRecovery(session, purpose)) return standby(session, purpose);
    }
    throw error;
  }
}

/** Whether `target` can log in (a rejected login is `false`; any other failure throws). */
export async function logsIn(
  settings: ConnectionSettings,
  target: LoginTarget,
  purpose: string,
  secrets: readonly string[],
): Promise<boolean> {
  return logsInWith(() => Session.open(settings, target, purpose, secrets), isLoginRejected);
}
