import { CredentialTestError } from '../../shared/errors';
import { asCredentialTestError, logsInWith } from '../database/session';
import {
  type ConnectionSettings,
  isLoginRejected,
  type LoginTarget,
  Session,
  withSession,
} from './connection';
import type { ServerInfo } from './server';
import type { Account } from './sql';

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

/** Whether `target` can log in (a rejected login is `false`; any other failure throws). */
export async function logsIn(
  settings: ConnectionSettings,
  target: LoginTarget,
  purpose: string,
  secrets: readonly string[],
): Promise<boolean> {
  return logsInWith(() => Session.open(settings, target, purpose, secrets), isLoginRejected);
}
