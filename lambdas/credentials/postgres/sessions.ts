import type { Straggler, UsageReport } from '../../rotation/strategy';
import type { Session } from './connection';

const SESSIONS_SQL = `SELECT host(client_addr) AS client, application_name, backend_start,
  greatest(backend_start, state_change) AS last_active, state
FROM pg_stat_activity
WHERE usename = $1 AND pid <> pg_backend_pid() AND ($2::timestamptz IS NULL OR backend_start < $2::timestamptz)`;

/** Sessions of one client (address and application name). */
interface ClientSessions {
  readonly client: string | undefined;
  readonly application: string;
  sessions: number;
  active: number;
  firstStart: Date | undefined;
  lastActive: Date | undefined;
}

const dateOf = (value: unknown) => (value instanceof Date ? value : undefined);
const later = (a: Date | undefined, b: Date | undefined) =>
  a === undefined || (b !== undefined && b > a) ? b : a;
const earlier = (a: Date | undefined, b: Date | undefined) =>
  a === undefined || (b !== undefined && b < a) ? b : a;

/**
 * Counts the sessions of `username` (other than `session` itself) in `pg_stat_activity`, and names
 * each client as a straggler: its address (`client_addr`), its `application_name`, when its first
 * session started (`backend_start`) and when it was last active (`state_change`); `step` names the
 * caller in errors (`inUse`, or setSecret's in-use check).
 */
export async function countSessions(
  session: Session,
  username: string,
  startedBefore: Date | undefined,
  step = 'inUse',
): Promise<UsageReport> {
  const rows = await session.query(SESSIONS_SQL, `${step}: reading pg_stat_activity`, [
    username,
    startedBefore?.toISOString() ?? null,
  ]);
  if (rows.length === 0) return { inUse: false, evidence: `no sessions of ${username}` };
  const clients = new Map<string, ClientSessions>();
  let newest: Date | undefined;
  for (const row of rows) {
    // Without pg_read_all_stats (pg_monitor) the checking user sees other users' sessions but not
    // their addresses; Unix-socket sessions have none either.
    const client = typeof row.client === 'string' ? row.client : undefined;
    const application = typeof row.application_name === 'string' ? row.application_name : '';
    const key = `${client ?? ''}\u0000${application}`;
    const entry = clients.get(key) ?? {
      client,
      application,
      sessions: 0,
      active: 0,
      firstStart: undefined,
      lastActive: undefined,
    };
    entry.sessions += 1;
    if (row.state === 'active') entry.active += 1;
    entry.firstStart = earlier(entry.firstStart, dateOf(row.backend_start));
    entry.lastActive = later(entry.lastActive, dateOf(row.last_active));
    newest = later(newest, dateOf(row.backend_start));
    clients.set(key, entry);
  }
  const addresses = [...new Set([...clients.values()].flatMap((entry) => entry.client ?? []))].sort();
  const from = addresses.length > 0 ? addresses.join(', ') : 'unknown addresses';
  const started = newest === undefined ? '' : `, newest started ${newest.toISOString()}`;
  const stragglers: Straggler[] = [...clients.values()].map((entry) => ({
    identity: `${username} (${entry.application === '' ? 'no application_name' : `application ${entry.application}`})`,
    from: entry.client ?? 'address not visible (Unix socket, or the checking user lacks pg_read_all_stats)',
    ...(entry.lastActive === undefined ? {} : { lastSeen: entry.lastActive }),
    evidence: `${entry.sessions} session${entry.sessions === 1 ? '' : 's'} in pg_stat_activity (${entry.active} active), backend start ${entry.firstStart?.toISOString() ?? 'unknown'}`,
  }));
  return {
    inUse: true,
    evidence: `${rows.length} session${rows.length === 1 ? '' : 's'} of ${username} from ${from}${started}`,
    lastUsed: new Date(),
    stragglers,
  };
}
