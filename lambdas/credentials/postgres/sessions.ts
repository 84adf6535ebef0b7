import type { UsageReport } from '../../rotation/strategy';
import type { Session } from './connection';

const SESSIONS_SQL = `SELECT count(*)::int AS sessions,
  max(backend_start) AS newest,
  string_agg(DISTINCT host(client_addr), ', ') AS clients
FROM pg_stat_activity
WHERE usename = $1 AND pid <> pg_backend_pid() AND ($2::timestamptz IS NULL OR backend_start < $2::timestamptz)`;

/**
 * Counts the sessions of `username` (other than `session` itself) in `pg_stat_activity`; `step`
 * names the caller in errors (`inUse`, or setSecret's in-use check).
 */
export async function countSessions(
  session: Session,
  username: string,
  startedBefore: Date | undefined,
  step = 'inUse',
): Promise<UsageReport> {
  const [row] = await session.query(SESSIONS_SQL, `${step}: reading pg_stat_activity`, [
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
