import { TargetError } from '../../shared/errors';
import { redactError } from '../../shared/redaction';
import type { RoundTripHook } from '../database/round-trip';
import { connectionFailureMessage, usingSession } from '../database/session';
import type { TlsMode } from '../database/tls';
import { parseServerVersion, type ServerInfo } from './server';
import { type Account, literal, parseSqlMode, type SqlMode, splitAccount } from './sql';
import { isMysqlTlsError, type MysqlSslConfig, unverifiableHost } from './tls';

/** What a strategy needs from a database connection. */
export interface MysqlClient {
  /** Runs one statement (never several: multi-statements are off) and returns its rows. */
  query(sql: string, timeoutMs: number): Promise<Record<string, unknown>[]>;
  end(): Promise<void>;
}

/** Everything needed to open one connection. Holds a password: never log it. */
export interface MysqlConnectionConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string | undefined;
  readonly ssl: MysqlSslConfig;
  readonly connectTimeoutMs: number;
}

/** Opens a connection, resolving once it is authenticated. */
export type MysqlConnect = (config: MysqlConnectionConfig) => Promise<MysqlClient>;

/**
 * The production {@link MysqlConnect}: a mysql2 (promise API) connection with multiple statements
 * off, `LOAD DATA LOCAL` off, and `ssl` passed explicitly (no profile, no default). The driver
 * is loaded on the first connection, not when the function starts (createSecret and finishSecret
 * never connect).
 */
export const connectWithMysql2: MysqlConnect = async (config) => {
  const { createConnection } = await import('mysql2/promise');
  const connection = await createConnection({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    ...(config.database !== undefined && { database: config.database }),
    ...(config.ssl !== false && { ssl: { ...config.ssl } }),
    connectTimeout: config.connectTimeoutMs,
    multipleStatements: false,
    flags: ['-LOCAL_FILES', '-MULTI_STATEMENTS'],
    connectAttributes: { program_name: 'handover-rotation' },
    dateStrings: true,
  });
  // An idle connection whose server goes away emits 'error'; without a listener that kills the process.
  connection.on('error', () => undefined);
  return {
    async query(sql, timeoutMs) {
      const [rows] = await connection.query({ sql, timeout: timeoutMs });
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    async end() {
      await connection.end();
    },
  };
};

/**
 * Server error numbers of a rejected login: wrong password or no such account (1045), no password
 * (1698), account locked (MySQL 3118, MariaDB 4151).
 */
const LOGIN_REJECTED = new Set([1045, 1698, 3118, 4151]);
/** Parse errors quote the statement near the error, which may hold a password: never repeated. */
const QUOTES_STATEMENT = new Set([1064, 1149]);
/** `--strict-password-validation` refuses a password given as a hash (MariaDB with a validation plugin). */
const OPTION_PREVENTS_STATEMENT = 1290;

/** Whether a connection attempt failed because the server rejected the credentials. */
export function isLoginRejected(error: unknown): boolean {
  return error instanceof ConnectionError && error.errno !== undefined && LOGIN_REJECTED.has(error.errno);
}

/** A failure to connect or to run a statement, already redacted. */
export class ConnectionError extends TargetError {
  /** mysql2's error code, e.g. `ER_ACCESS_DENIED_ERROR` or `ECONNREFUSED`. */
  readonly code: string | undefined;
  /** The server's error number, e.g. 1045. */
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;
  readonly tls: boolean;
  constructor(
    message: string,
    details: {
      code?: string | undefined;
      errno?: number | undefined;
      sqlState?: string | undefined;
      tls: boolean;
    },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ConnectionError';
    this.code = details.code;
    this.errno = details.errno;
    this.sqlState = details.sqlState;
    this.tls = details.tls;
  }
}

/** Where a connection goes and as whom: the parts of a secret needed to log in. */
export interface LoginTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname?: string | undefined;
}

/** The settings shared by every connection of a strategy. */
export interface ConnectionSettings {
  readonly connect: MysqlConnect;
  readonly tlsMode: TlsMode;
  /** The TLS options of every connection (resolved on the first one: it may load the RDS CA bundle). */
  readonly ssl: () => Promise<MysqlSslConfig>;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly onRoundTrip: RoundTripHook | undefined;
}

/**
 * The first statement of every session: who and where we are, how to quote, and whether the
 * server is read-only (a read replica: `read_only`; an Aurora MySQL reader: `innodb_read_only`).
 */
export const HELLO_SQL =
  'SELECT VERSION() AS version, @@SESSION.sql_mode AS sql_mode, CURRENT_USER() AS account, ' +
  '@@GLOBAL.read_only AS read_only, @@GLOBAL.innodb_read_only AS innodb_read_only';

/**
 * Why a server is read-only, from the hello row (`undefined` when it is writable). MySQL answers
 * 0 / 1; newer MariaDB versions answer `read_only` as `OFF` / `ON` / `NO_LOCK` / `NO_LOCK_NO_ADMIN`.
 */
function readOnlyEvidence(row: Record<string, unknown> | undefined): string | undefined {
  const on = (value: unknown) => {
    const text = value === undefined || value === null ? '' : String(value).trim().toUpperCase();
    return text !== '' && text !== '0' && text !== 'OFF';
  };
  if (on(row?.innodb_read_only)) return '@@innodb_read_only = 1';
  if (on(row?.read_only)) return '@@read_only = 1';
  return undefined;
}

/**
 * One authenticated connection. Opening it also reads the server version, the session's SQL mode
 * (so values are escaped for it) and the account the login matched (`CURRENT_USER()`). Every
 * connect and statement is counted through `onRoundTrip`, and every failure is rethrown as a
 * redacted error naming the step, user, host and server error.
 */
export class Session {
  readonly #client: MysqlClient;
  readonly #settings: ConnectionSettings;
  readonly #target: LoginTarget;
  readonly #secrets: readonly string[];
  /** The server, from `VERSION()`. */
  readonly server: ServerInfo;
  /** The quoting-relevant part of `@@SESSION.sql_mode`. */
  readonly sqlMode: SqlMode;
  /** The account the login matched, from `CURRENT_USER()` (e.g. `app`@`%`). */
  readonly account: Account;
  /**
   * Why the server is read-only (`@@read_only = 1`: a read replica; `@@innodb_read_only = 1`: an
   * Aurora MySQL reader), or `undefined` when it accepts writes.
   */
  readonly readOnly: string | undefined;

  private constructor(
    client: MysqlClient,
    settings: ConnectionSettings,
    target: LoginTarget,
    secrets: readonly string[],
    hello: { server: ServerInfo; sqlMode: SqlMode; account: Account; readOnly: string | undefined },
  ) {
    this.#client = client;
    this.#settings = settings;
    this.#target = target;
    this.#secrets = secrets;
    this.server = hello.server;
    this.sqlMode = hello.sqlMode;
    this.account = hello.account;
    this.readOnly = hello.readOnly;
  }

  /**
   * Logs in as `target` and reads the session facts. `secrets` are redacted from any error (the
   * target's password is always included). `purpose` says in the error why this connection was opened.
   */
  static async open(
    settings: ConnectionSettings,
    target: LoginTarget,
    purpose: string,
    secrets: readonly string[] = [],
  ): Promise<Session> {
    const allSecrets = [target.password, ...secrets];
    const unverifiable = unverifiableHost(settings.tlsMode, target.host);
    if (unverifiable !== undefined) {
      throw new ConnectionError(`${purpose}: ${unverifiable}`, { tls: true });
    }
    settings.onRoundTrip?.('connect');
    let client: MysqlClient;
    try {
      const ssl = await settings.ssl();
      client = await settings.connect({
        host: target.host,
        port: target.port,
        user: target.username,
        password: target.password,
        database: target.dbname,
        ssl,
        connectTimeoutMs: settings.connectTimeoutMs,
      });
    } catch (error) {
      throw describeFailure(error, `${purpose}: cannot log in`, target, settings.tlsMode, allSecrets);
    }
    try {
      settings.onRoundTrip?.('query');
      const [row] = await client.query(HELLO_SQL, settings.statementTimeoutMs);
      const server = parseServerVersion(String(row?.version ?? ''));
      return new Session(client, settings, target, allSecrets, {
        server,
        sqlMode: parseSqlMode(String(row?.sql_mode ?? '')),
        account: splitAccount(String(row?.account ?? '')),
        readOnly: readOnlyEvidence(row),
      });
    } catch (error) {
      await client.end().catch(() => undefined);
      if (error instanceof TargetError) throw error;
      throw describeFailure(
        error,
        `${purpose}: reading the server version`,
        target,
        settings.tlsMode,
        allSecrets,
      );
    }
  }

  get username(): string {
    return this.#target.username;
  }

  /** A string literal escaped for this session's SQL mode. */
  literal(value: string): string {
    return literal(value, this.sqlMode);
  }

  /** Runs one statement. `what` names it in errors (the statement itself is never repeated). */
  async query(sql: string, what: string): Promise<Record<string, unknown>[]> {
    this.#settings.onRoundTrip?.('query');
    try {
      return await this.#client.query(sql, this.#settings.statementTimeoutMs);
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

function field<T>(error: unknown, name: string, type: 'string' | 'number'): T | undefined {
  const value = (error as Record<string, unknown> | undefined)?.[name];
  return typeof value === type ? (value as T) : undefined;
}

/**
 * A redacted {@link ConnectionError}. The driver's error is NOT kept as the cause: mysql2 attaches
 * the statement (`sql`, with any password literal in it) to its errors. Only the code, number,
 * SQLSTATE and (redacted) message survive.
 */
function describeFailure(
  error: unknown,
  what: string,
  target: LoginTarget,
  tlsMode: TlsMode,
  secrets: readonly string[],
): ConnectionError {
  if (error instanceof ConnectionError) return error;
  const code = field<string>(error, 'code', 'string');
  const errno = field<number>(error, 'errno', 'number');
  const sqlState = field<string>(error, 'sqlState', 'string');
  const serverError = sqlState !== undefined;
  const tls = !serverError && isMysqlTlsError(error);
  let reason =
    field<string>(error, 'sqlMessage', 'string') ?? (error instanceof Error ? error.message : String(error));
  if (errno !== undefined && QUOTES_STATEMENT.has(errno)) {
    reason = 'SQL syntax error (the server message quotes the statement, so it is not repeated)';
  }
  if (errno === OPTION_PREVENTS_STATEMENT && /strict.password.validation/i.test(reason)) {
    reason += ' (MariaDB refuses a password given as a hash while a password validation plugin is active)';
  }
  const details = [
    code,
    errno === undefined ? undefined : `errno ${errno}`,
    sqlState && `SQLSTATE ${sqlState}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  const message = connectionFailureMessage(what, target, tlsMode, tls, reason, details);
  return redactError(
    new ConnectionError(message, { code, errno, sqlState, tls }),
    secrets,
  ) as ConnectionError;
}
