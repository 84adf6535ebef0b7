import { CredentialTestError } from '../../shared/errors';
import { redactError } from '../../shared/redaction';
import type { TlsMode } from './tls';

/** A database session: anything an engine's `Session.open` returns. */
export interface ClosableSession {
  close(): Promise<void>;
}

/**
 * Opens a session with `open`, runs `work`, always closes it.
 *
 * @example
 * ```ts
 * const rows = await usingSession(() => Session.open(settings, target, purpose, secrets), (s) => s.query(sql, what));
 * ```
 */
export async function usingSession<S extends ClosableSession, T>(
  open: () => Promise<S>,
  work: (session: S) => Promise<T>,
): Promise<T> {
  const session = await open();
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

/**
 * Whether `open` logs in: a login the server rejects (`isLoginRejected`) is `false`; any other
 * failure (network, TLS) throws.
 */
export async function logsInWith(
  open: () => Promise<ClosableSession>,
  isLoginRejected: (error: unknown) => boolean,
): Promise<boolean> {
  try {
    await usingSession(open, async () => {});
    return true;
  } catch (error) {
    if (isLoginRejected(error)) return false;
    throw error;
  }
}

/**
 * The message of a failed connect or statement, naming the step, user and host, and for a TLS
 * failure the TLS mode (never retried without TLS). `details` (error codes) may be empty. The
 * caller redacts it.
 */
export function connectionFailureMessage(
  what: string,
  target: { readonly username: string; readonly host: string; readonly port: number },
  tlsMode: TlsMode,
  tls: boolean,
  reason: string,
  details: string,
): string {
  const where = `user "${target.username}" on ${target.host}:${target.port}`;
  return tls
    ? `${what}: TLS failed in mode ${tlsMode} for ${where}; not retrying without TLS: ${reason}`
    : `${what}: ${where} failed${details === '' ? '' : ` (${details})`}: ${reason}`;
}

/**
 * A failed login proof as a `CredentialTestError` (testSecret's failure), `secrets` redacted; one
 * that already is one is returned as it is.
 */
export function asCredentialTestError(error: unknown, secrets: readonly string[]): CredentialTestError {
  if (error instanceof CredentialTestError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return redactError(new CredentialTestError(message, { cause: error }), secrets) as CredentialTestError;
}
