import type { ReadOnlyServer } from '../database/rds';
import { ConnectionError, type Session } from './connection';

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
