import type {
  MysqlClient,
  MysqlConnect,
  MysqlConnectionConfig,
} from '../../../../lambdas/credentials/mysql/connection';
import { HELLO_SQL } from '../../../../lambdas/credentials/mysql/connection';
import type { StrategyContext } from '../../../../lambdas/rotation/strategy';
import { readOnlySecrets } from '../../../support/secrets-port';

/** A mysql2-like server error: code, errno, SQLSTATE, and the statement attached as mysql2 does. */
export function mysqlError(
  code: string,
  errno: number,
  sqlState: string,
  message: string,
  sql?: string,
): Error {
  return Object.assign(new Error(message), { code, errno, sqlState, sqlMessage: message, fatal: false, sql });
}

export const accessDenied = (user: string) =>
  mysqlError(
    'ER_ACCESS_DENIED_ERROR',
    1045,
    '28000',
    `Access denied for user '${user}'@'10.0.0.7' (using password: YES)`,
  );

type QueryHandler = (user: string, sql: string) => Record<string, unknown>[] | undefined;

/** Options of {@link fakeMysql}. */
export interface FakeMysqlOptions {
  /**
   * `VERSION()`.
   * @default '8.0.35'
   */
  readonly version?: string;
  /**
   * `@@SESSION.sql_mode`.
   * @default 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'
   */
  readonly sqlMode?: string;
  /**
   * The host part `CURRENT_USER()` reports.
   * @default '%'
   */
  readonly host?: string;
  /**
   * The user part `CURRENT_USER()` reports for a login as `user`.
   * @default - the login user
   */
  readonly currentUser?: (user: string) => string;
  /**
   * Answers statements other than the hello.
   * @default - every statement returns no rows
   */
  readonly onQuery?: QueryHandler;
}

/**
 * A fake server behind {@link MysqlConnect}: users with passwords; every connect, hello, statement
 * and close recorded in order. Statements other than the hello are kept verbatim in `statements`.
 */
export function fakeMysql(users: Record<string, string>, options: FakeMysqlOptions = {}) {
  const events: string[] = [];
  const statements: string[] = [];
  const configs: MysqlConnectionConfig[] = [];
  let connectFailure: Error | undefined;
  const failures = new Map<number, Error>();
  const connect: MysqlConnect = async (config) => {
    configs.push(config);
    events.push(`connect:${config.user}`);
    if (connectFailure) throw connectFailure;
    if (users[config.user] !== config.password) throw accessDenied(config.user);
    const client: MysqlClient = {
      async query(sql) {
        if (sql === HELLO_SQL) {
          events.push(`hello:${config.user}`);
          return [
            {
              version: options.version ?? '8.0.35',
              sql_mode: options.sqlMode ?? 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION',
              account: `${options.currentUser?.(config.user) ?? config.user}@${options.host ?? '%'}`,
            },
          ];
        }
        events.push(`query:${config.user}:${sql.split(/\s+/).slice(0, 2).join(' ')}`);
        statements.push(sql);
        const failure = failures.get(statements.length);
        if (failure) throw failure;
        return options.onQuery?.(config.user, sql) ?? [];
      },
      async end() {
        events.push(`end:${config.user}`);
      },
    };
    return client;
  };
  return {
    connect,
    events,
    statements,
    configs,
    failConnectWith(error: Error | undefined) {
      connectFailure = error;
    },
    /** Makes the n-th statement (1-based, hellos not counted) fail with `error`. */
    failStatement(n: number, error: Error) {
      failures.set(n, error);
    },
  };
}

/** A `mysql.user` row as the master reads it. */
export function userRow(user: string, host = '%', overrides: Record<string, unknown> = {}) {
  return {
    user,
    host,
    plugin: 'caching_sha2_password',
    ssl_type: '',
    ssl_cipher: Buffer.from(''),
    x509_issuer: Buffer.from(''),
    x509_subject: Buffer.from(''),
    max_questions: 0,
    max_updates: 0,
    max_connections: 0,
    max_user_connections: 0,
    ...overrides,
  };
}

/**
 * Answers the master's reads for alternating users: `mysql.user` rows, `SHOW GRANTS FOR` lines per
 * user, MySQL 8 default roles, the PROCESS check and PROCESSLIST rows.
 */
export function masterAnswers(world: {
  rows: Record<string, unknown>[];
  grants: Record<string, string[]>;
  defaultRoles?: Record<string, { user: string; host: string }[]>;
  process?: boolean;
  sessions?: Record<string, unknown>[];
}): QueryHandler {
  return (_user, sql) => {
    if (sql.includes('FROM mysql.user WHERE User IN')) return world.rows;
    if (sql.startsWith('SELECT Host AS host FROM mysql.user')) {
      const name = /User = '([^']+)'/.exec(sql)?.[1];
      return world.rows.filter((row) => row.user === name).map((row) => ({ host: row.host }));
    }
    const show = /^SHOW GRANTS FOR '([^']+)'@'([^']*)'$/.exec(sql);
    if (show)
      return (world.grants[show[1] ?? ''] ?? []).map((line) => ({
        [`Grants for ${show[1]}@${show[2]}`]: line,
      }));
    if (sql.includes('FROM mysql.default_roles')) {
      const name = /USER = '([^']+)'/.exec(sql)?.[1] ?? '';
      return world.defaultRoles?.[name] ?? [];
    }
    if (sql.includes('USER_PRIVILEGES')) return [{ n: world.process === false ? 0 : 1 }];
    if (sql.includes('PROCESSLIST')) return world.sessions ?? [];
    return undefined;
  };
}

/** A StrategyContext whose logger records every line and whose secret reader serves `secrets`. */
export function fakeContext(secrets: Record<string, string> = {}) {
  const lines: string[] = [];
  const reads: string[] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    };
  const ctx: StrategyContext = {
    secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCdEf',
    rotationId: '11111111-2222-3333-4444-555555555555',
    logger: { debug: record('debug'), info: record('info'), warn: record('warn') },
    secrets: readOnlySecrets((secretId) => {
      reads.push(secretId);
      return secrets[secretId];
    }),
  };
  return { ctx, lines, reads };
}

/** Resolves with the error a promise rejects with; fails when it resolves or the method is missing. */
export async function rejection(promise: Promise<unknown> | undefined): Promise<Error> {
  if (promise === undefined) throw new Error('expected the method to exist');
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
