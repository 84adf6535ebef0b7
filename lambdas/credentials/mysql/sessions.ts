import type { Straggler, UsageReport } from '../../rotation/strategy';
import { TargetError } from '../../shared/errors';
import type { Session } from './connection';

/**
 * Refuses to count sessions unless the checking account holds `PROCESS`: without it,
 * `information_schema.PROCESSLIST` shows only the account's own sessions and every other user
 * would look idle. Only a direct grant is seen (not one through a role).
 */
async function assertCanSeeAllSessions(session: Session, step: string): Promise<void> {
  const grantee = `${session.literal(session.account.user)}@${session.literal(session.account.host)}`;
  const rows = await session.query(
    `SELECT COUNT(*) AS n FROM information_schema.USER_PRIVILEGES
     WHERE PRIVILEGE_TYPE = 'PROCESS' AND GRANTEE = ${session.literal(grantee)}`,
    `${step}: checking the PROCESS privilege`,
  );
  if (Number(rows[0]?.n ?? 0) === 0) {
    throw new TargetError(
      `${step}: "${session.account.user}" cannot see other users' sessions: grant it the PROCESS privilege ` +
        '(directly, not through a role), or PROCESSLIST would report every user as idle',
    );
  }
}

/**
 * Counts the sessions of `username` (any host; other than `session` itself) in
 * `information_schema.PROCESSLIST`. Evidence names the client addresses, never a secret. `step`
 * names the caller in errors (`inUse`, or setSecret's in-use check).
 */
export async function countSessions(
  session: Session,
  username: string,
  step = 'inUse',
): Promise<UsageReport> {
  await assertCanSeeAllSessions(session, step);
  const rows = await session.query(
    `SELECT HOST AS host, DB AS db, COMMAND AS command, TIME AS idle FROM information_schema.PROCESSLIST
     WHERE USER = ${session.literal(username)} AND ID <> CONNECTION_ID()`,
    `${step}: reading information_schema.PROCESSLIST`,
  );
  if (rows.length === 0) return { inUse: false, evidence: `no sessions of ${username}` };
  // HOST is `address:port` for TCP sessions (IPv6 addresses contain colons too).
  const clients = [
    ...new Set(rows.map((row) => String(row.host ?? '').replace(/:\d+$/, '') || 'unknown address')),
  ].sort();
  const active = rows.filter((row) => String(row.command) !== 'Sleep').length;
  return {
    inUse: true,
    evidence:
      `${rows.length} session${rows.length === 1 ? '' : 's'} of ${username} from ${clients.join(', ')}` +
      ` (${active} running a statement)`,
    lastUsed: new Date(),
    stragglers: stragglersOf(rows, username, new Date()),
  };
}

/**
 * One straggler per client host and database: `user@host` and its database, when it was last active
 * (now minus the smallest `TIME`, the seconds the session has been in its current state, idle for a
 * `Sleep`), and how many sessions.
 */
function stragglersOf(rows: readonly Record<string, unknown>[], username: string, now: Date): Straggler[] {
  const groups = new Map<
    string,
    { host: string; db: string; sessions: number; running: number; idle: number }
  >();
  for (const row of rows) {
    const host = String(row.host ?? '').replace(/:\d+$/, '') || 'unknown address';
    const db = typeof row.db === 'string' && row.db !== '' ? row.db : '';
    const key = `${host}\u0000${db}`;
    const group = groups.get(key) ?? { host, db, sessions: 0, running: 0, idle: Number.POSITIVE_INFINITY };
    group.sessions += 1;
    const running = String(row.command) !== 'Sleep';
    if (running) group.running += 1;
    group.idle = Math.min(group.idle, running ? 0 : Number(row.idle ?? 0));
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => ({
    identity: `${username}@${group.host}${group.db === '' ? '' : ` (database ${group.db})`}`,
    from: group.host,
    lastSeen: new Date(now.getTime() - (Number.isFinite(group.idle) ? group.idle : 0) * 1000),
    evidence: `${group.sessions} session${group.sessions === 1 ? '' : 's'} in information_schema.PROCESSLIST (${group.running} running a statement, the least idle ${Number.isFinite(group.idle) ? group.idle : 0} s)`,
  }));
}
