import { TargetError } from '../../shared/errors';
import { redactError } from '../../shared/redaction';
import type { RoundTripHook } from '../database/round-trip';
import { connectionFailureMessage, usingSession } from '../database/session';
import { isTlsError, type PgSslConfig, type TlsMode } from './tls';

/** What a strategy needs from a database client: `pg.Client` satisfies it. */
export interface PostgresClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}

/** Everything needed to open one connection. Holds a password: never log it. */
export interface PostgresConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ssl: PgSslConfig;
  readonly connectionTimeoutMillis: number;
  /** Server-side `statement_timeout`, in milliseconds. */
  readonly statement_timeout: number;
  readonly application_name: string;
}

/** Opens a connection, resolving once it is authenticated. */
export type PostgresConnect = (config: PostgresConnectionConfig) => Promise<PostgresClient>;

export type { RoundTripHook, RoundTripKind } from '../database/round-trip';

/**
 * The production {@link PostgresConnect}: a `pg.Client`. The driver is loaded on the first
 * connection, not when the function starts (createSecret and finishSecret never connect).
 */
export const connectWithPg: PostgresConnect = async (config) => {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ ...config });
  // An idle client whose server goes away emits 'error'; without a listener that kills the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
};

/** SQLSTATEs of a failed login: wrong password, no such role, role without LOGIN, pg_hba reject. */
const LOGIN_REJECTED = new Set(['28P01', '28000']);

/** Whether a connection attempt failed because the server rejected the credentials. */
export function isLoginRejected(error: unknown): boolean {
  return (
    error instanceof ConnectionError && error.sqlState !== undefined && LOGIN_REJECTED.has(error.sqlState)
  );
}

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** A failure to connect or to run a statement, already redacted. */
export class ConnectionError extends TargetError {
  readonly sqlState: string | undefined;
  readonly tls: boolean;
  constructor(message: string, sqlState: string | undefined, tls: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionError';
    this.sqlState = sqlState;
    this.tls = tls;
  }
}

/** Where a connection goes and as whom: the parts of a secret needed to log in. */
export interface LoginTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname: string;
}

/** The settings shared by every connection of a strategy. */
export interface ConnectionSettings {
  readonly connect: PostgresConnect;
  readonly tlsMode: TlsMode;
  readonly ssl: (host: string) => Promise<PgSslConfig>;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly onRoundTrip: RoundTripHook | undefined;
}

/**
 * One authenticated connection. Every connect and query is counted through `onRoundTrip`, and
 * every failure is rethrown as a redacted error naming the step, user, host and SQLSTATE.
 */
export class Session {
  readonly #client: PostgresClient;
  readonly #settings: ConnectionSettings;
  readonly #target: LoginTarget;
  readonly #secrets: readonly string[];

  private constructor(
    client: PostgresClient,
    settings: ConnectionSettings,
    target: LoginTarget,
    secrets: readonly string[],
  ) {
    this.#client = client;
    this.#settings = settings;
    this.#target = target;
    this.#secrets = secrets;
  }

  /**
   * Logs in as `target`. `secrets` are redacted from any error (the target's password is always
   * included). `purpose` says in the error why this connection was opened.
   */
  static async open(
    settings: ConnectionSettings,
    target: LoginTarget,
    purpose: string,
    secrets: readonly string[] = [],
  ): Promise<Session> {
    const allSecrets = [target.password, ...secrets];
    settings.onRoundTrip?.('connect');
    try {
      const ssl = await settings.ssl(target.host);
      const client = await settings.connect({
        host: target.host,
        port: target.port,
        user: target.username,
        password: target.password,
        database: target.dbname,
        ssl,
        connectionTimeoutMillis: settings.connectTimeoutMs,
        statement_timeout: settings.statementTimeoutMs,
        application_name: 'handover-rotation',
      });
      return new Session(client, settings, target, allSecrets);
    } catch (error) {
      throw describeFailure(error, `${purpose}: cannot log in`, target, settings.tlsMode, allSecrets);
    }
  }

  get username(): string {
    return this.#target.username;
  }

  /** Runs one statement (or one multi-statement simple query when `values` is omitted). */
  async query(text: string, what: string, values?: unknown[]): Promise<Record<string, unknown>[]> {
    this.#settings.onRoundTrip?.('query');
    try {
      const result = await this.#client.query(text, values);
      return Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows;
    } catch (error) {
      throw describeFailure(error, what, this.#target, this.#settings.tlsMode, this.#secrets);
    }
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}

/** Opens a session, runs `work`, always closes. */
export async function withSession<T>(
  settings: ConnectionSettings,
  target: LoginTarget,
  purpose: string,
  secrets: readonly string[],
  work: (session: Session) => Promise<T>,
): Promise<T> {
  return usingSession(() => Session.open(settings, target, purpose, secrets), work);
}

function describeFailure(
  error: unknown,
  what: string,
  target: LoginTarget,
  tlsMode: TlsMode,
  secrets: readonly string[],
): ConnectionError {
  if (error instanceof ConnectionError) return error;
  const sqlState = sqlStateOf(error);
  const tls = sqlState === undefined && isTlsError(error);
  const reason = error instanceof Error ? error.message : String(error);
  const state = sqlState === undefined ? '' : `SQLSTATE ${sqlState}`;
  const message = connectionFailureMessage(what, target, tlsMode, tls, reason, state);
  return redactError(
    new ConnectionError(message, sqlState, tls, { cause: error }),
    secrets,
  ) as ConnectionError;
}
