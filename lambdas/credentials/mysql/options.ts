import type { Env } from '../../shared/env';
import { HandoverError } from '../../shared/errors';
import { fromEnv } from '../contract';
import { checkDatabaseOptions, type DatabaseStrategyOptions, databaseOptionsOf } from '../database/options';
import { createDatabaseLocator, type DatabaseLocator } from '../database/rds/locator';
import { resolveTls } from '../database/tls';
import { type ConnectionSettings, connectWithMysql2, type MysqlConnect } from './connection';
import { MYSQL_MODES, type MysqlMode, mysqlContract } from './contract';
import { type MysqlTlsOptions, mysqlSslConfig } from './tls';

export { MYSQL_MODES, type MysqlMode } from './contract';

/** Options of {@link createMysqlStrategy}. */
export interface MysqlStrategyOptions extends DatabaseStrategyOptions {
  /**
   * - `single-user`: the user changes its own password.
   * - `alternating-users`: a master user keeps two users (`<base>` and `<base>_clone`) with the
   *   same grants, and each rotation moves to the other one.
   * - `dual-password`: MySQL 8.0.14+ only. The user changes its own password and keeps the old one
   *   valid too (`RETAIN CURRENT PASSWORD`) until `revoke` discards it.
   */
  readonly mode: MysqlMode;
  /**
   * TLS settings; see {@link DatabaseStrategyOptions.tls}.
   * @default - `verify-full` against the Amazon RDS CA bundle
   */
  readonly tls?: MysqlTlsOptions;
  /**
   * Opens a connection. Tests pass a fake.
   * @default - a mysql2 connection ({@link connectWithMysql2})
   */
  readonly connect?: MysqlConnect;
}

/** The validated settings a strategy runs with. */
export interface ResolvedOptions {
  readonly mode: MysqlMode;
  readonly passwordLength: number;
  /** alternating-users: reset the other user even while it has sessions (see `DatabaseStrategyOptions`). */
  readonly resetUserInUse: boolean;
  readonly connection: ConnectionSettings;
  /** Finds endpoints: the secret's own, RDS's, a master's from its tags, a replica's writer. */
  readonly locator: DatabaseLocator;
}

/** Validates every option and reports all problems at once. */
export function resolveOptions(options: MysqlStrategyOptions): ResolvedOptions {
  const { problems, resolved } = checkDatabaseOptions(options);
  if (!MYSQL_MODES.includes(options.mode)) {
    problems.unshift(`mode must be one of ${MYSQL_MODES.join(', ')}, got ${String(options.mode)}`);
  }
  if (problems.length > 0) {
    throw new HandoverError(`invalid MySQL strategy options: ${problems.join('; ')}`);
  }
  return {
    mode: options.mode,
    passwordLength: resolved.passwordLength,
    resetUserInUse: resolved.resetUserInUse,
    connection: {
      connect: options.connect ?? connectWithMysql2,
      tlsMode: resolveTls(options.tls).mode,
      ssl: () => mysqlSslConfig(options.tls),
      connectTimeoutMs: resolved.connectTimeoutMs,
      statementTimeoutMs: resolved.statementTimeoutMs,
      onRoundTrip: options.onRoundTrip,
    },
    locator: createDatabaseLocator({
      family: 'mysql',
      discovery: options.rds,
      replicationWaitMs: resolved.replicationWaitMs,
    }),
  };
}

/**
 * Reads {@link MysqlStrategyOptions} from the environment the constructs set (`mysqlContract`):
 * `HANDOVER_MYSQL_MODE` is required; `HANDOVER_TLS_MODE` defaults to `verify-full`;
 * `HANDOVER_TLS_CA_FILE` (PEM) replaces the bundled Amazon RDS CAs; `HANDOVER_PASSWORD_LENGTH`
 * (16-128, default 32); `HANDOVER_CONNECT_TIMEOUT_MS` (100-60000, default 5000);
 * `HANDOVER_RESET_USER_IN_USE` (`true` / `false`, default `false`). Fails fast with a
 * `ConfigurationError` naming the variable.
 *
 * @example
 * ```ts
 * export const handler = createRotationLambda(createMysqlStrategy(mysqlOptionsFromEnv()));
 * ```
 */
export function mysqlOptionsFromEnv(env: Env = process.env): MysqlStrategyOptions {
  const settings = fromEnv(mysqlContract, env);
  return { mode: settings.strategy, ...databaseOptionsOf(settings) };
}
