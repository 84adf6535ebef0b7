import type { UsageReport } from '../../rotation/strategy';
import { CredentialTestError, TargetError } from '../../shared/errors';
import { asCredentialTestError, logsInWith } from '../shared/database-session';
import type { ReadOnlyServer } from '../shared/rds';
import {
  type ConnectionSettings,
  isLoginRejected,
  type LoginTarget,
  Session,
  withSession,
} from './connection';
import type { ServerInfo } from './server';
import type { Account } from './sql';

export { assertSameDatabase, readCurrent, who } from '../shared/database-common';

/** What a successful login proved: the account it matched and the server. */
export interface ProvenLogin {
  readonly account: Account;
  readonly server: ServerInfo;
}

/**
 * Logs in with `target` and checks that `CURRENT_USER()` is that user, as `testSecret` and the
 * confused-deputy check do. Any failure is a `CredentialTestError` (redacted).
 */
export async function proveLogin(
  settings: ConnectionSettings,
  target: LoginTarget,
  purpose: string,
  secrets: readonly string[],
): Promise<ProvenLogin> {
  try {
    return await withSession(settings, target, purpose, secrets, async (session) => {
      if (session.account.user !== target.username) {
        throw new CredentialTestError(
          `${purpose}: logged in on ${target.host}:${target.port} but CURRENT_USER() is not "${target.username}"`,
        );
      }
      return { account: session.account, server: session.server };
    });
  } catch (error) {
    throw asCredentialTestError(error, [target.password, ...secrets]);
  }
}

/**
 * Refuses to count sessions unless the checking account holds `PROCESS`: without it,
 * `information_schema.PROCESSLIST` shows only the account's own sessions and every other user
 * would look idle. Only a direct grant is seen (not one through a role).
 */
async function assertCanSeeAllSessions(session: Session): Promise<void> {
  const grantee = `${session.literal(session.account.user)}@${session.literal(session.account.host)}`;
  const rows = await session.query(
    `SELECT COUNT(*) AS n FROM information_schema.USER_PRIVILEGES
     WHERE PRIVILEGE_TYPE = 'PROCESS' AND GRANTEE = ${session.literal(grantee)}`,
    'inUse: checking the PROCESS privilege',
  );
  if (Number(rows[0]?.n ?? 0) === 0) {
    throw new TargetError(
      `inUse: "${session.account.user}" cannot see other users' sessions: grant it the PROCESS privilege ` +
        '(directly, not through a role), or PROCESSLIST would report every user as idle',
    );
  }
}

/**
 * Counts the sessions of `username` (any host; other than `session` itself) in
 * `information_schema.PROCESSLIST`. Evidence names the client addresses, never a secret.
 */
export async function countSessions(session: Session, username: string): Promise<UsageReport> {
  await assertCanSeeAllSessions(session);
  const rows = await session.query(
    `SELECT HOST AS host, COMMAND AS command, TIME AS idle FROM information_schema.PROCESSLIST
     WHERE USER = ${session.literal(username)} AND ID <> CONNECTION_ID()`,
    'inUse: reading information_schema.PROCESSLIST',
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

/** Whether `target` can log in (a rejected login is `false`; any other failure throws). */
export async function logsIn(
  settings: ConnectionSettings,
  target: LoginTarget,
  purpose: string,
  secrets: readonly string[],
): Promise<boolean> {
  return logsInWith(() => Session.open(settings, target, purpose, secrets), isLoginRejected);
}

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
