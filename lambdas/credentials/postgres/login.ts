import { CredentialTestError } from '../../shared/errors';
import { asCredentialTestError, logsInWith } from '../database/session';
import {
  type ConnectionSettings,
  isLoginRejected,
  type LoginTarget,
  Session,
  withSession,
} from './connection';

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

/** Whether `target` can log in (a rejected login is `false`; any other failure throws). */
export async function logsIn(
  settings: ConnectionSettings,
  target: LoginTarget,
  purpose: string,
  secrets: readonly string[],
): Promise<boolean> {
  return logsInWith(() => Session.open(settings, target, purpose, secrets), isLoginRejected);
}
