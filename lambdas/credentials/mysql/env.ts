import { enumEnv, requireEnv } from '../../shared/env';
import { DATABASE_ENV, databaseOptionsFromEnv } from '../database/options';
import { MYSQL_MODES, type MysqlStrategyOptions } from './options';

/** Environment variables of the MySQL / MariaDB rotation Lambda (set only by the CDK constructs). */
export const MYSQL_ENV = {
  mode: 'HANDOVER_MYSQL_MODE',
  ...DATABASE_ENV,
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads {@link MysqlStrategyOptions} from the environment, failing fast with a `ConfigurationError`
 * naming the variable. `HANDOVER_MYSQL_MODE` (`single-user`, `alternating-users` or
 * `dual-password`) is required; `HANDOVER_TLS_MODE` defaults to `verify-full`;
 * `HANDOVER_TLS_CA_FILE` (PEM) replaces the bundled Amazon RDS CAs; `HANDOVER_PASSWORD_LENGTH`
 * (16-128, default 32); `HANDOVER_CONNECT_TIMEOUT_MS` (default 5000).
 *
 * @example
 * ```ts
 * export const handler = createRotationLambda(createMysqlStrategy(mysqlOptionsFromEnv()));
 * ```
 */
export function mysqlOptionsFromEnv(env: Env = process.env): MysqlStrategyOptions {
  requireEnv(MYSQL_ENV.mode, env);
  const mode = enumEnv(MYSQL_ENV.mode, MYSQL_MODES, 'single-user', env);
  return { mode, ...databaseOptionsFromEnv(env) };
}
