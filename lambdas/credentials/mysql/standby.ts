import type { ReadOnlyServer } from '../database/rds';
import type { Session } from './connection';

/**
 * Aurora MySQL: the cluster's writer as the server reports it, a DB instance identifier
 * (`information_schema.replica_host_status`, the row whose `SESSION_ID` is `MASTER_SESSION_ID`).
 */
export const AURORA_WRITER_SQL =
  "SELECT SERVER_ID AS writer FROM information_schema.replica_host_status WHERE SESSION_ID = 'MASTER_SESSION_ID'";

/**
 * Why the server of `session` refuses writes, or `undefined` when it accepts them. Read at login
 * (`@@read_only`, `@@innodb_read_only`); on a read-only Aurora MySQL reader, the writer's
 * instance identifier is read too, so the writer can be found without RDS names in the secret.
 */
export async function readOnlyServer(session: Session, purpose: string): Promise<ReadOnlyServer | undefined> {
  if (session.readOnly === undefined) return undefined;
  if (!/mysql_aurora/i.test(session.server.version)) return { evidence: session.readOnly };
  const [row] = await session.query(AURORA_WRITER_SQL, `${purpose}: reading the Aurora writer`);
  const writer = typeof row?.writer === 'string' && row.writer !== '' ? row.writer : undefined;
  return { evidence: `${session.readOnly} (an Aurora MySQL reader)`, reportedWriter: writer };
}
