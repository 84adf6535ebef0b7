import type { UsageReport } from '../../rotation/strategy';
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
    `SELECT HOST AS host, COMMAND AS command, TIME AS idle FROM information_schema.PROCESSLIST
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
  };
}
