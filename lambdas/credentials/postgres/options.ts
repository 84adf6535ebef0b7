import type { Env } from '../../shared/env';
import { HandoverError } from '../../shared/errors';
import { fromEnv } from '../contract';
import { checkDatabaseOptions, type DatabaseStrategyOptions, databaseOptionsOf } from '../database/options';
import { createDatabaseLocator, type DatabaseLocator } from '../database/rds/locator';
import { resolveTls } from '../database/tls';
import type { ConnectionSettings, PostgresConnect } from './connection';
import { connectWithPg } from './connection';
import { POSTGRES_MODES, type PostgresMode, postgresContract } from './contract';
import { type PostgresTlsOptions, pgSslConfig } from './tls';

export { POSTGRES_MODES, type PostgresMode } from './contract';

/** Options of {@link createPostgresStrategy}. */
export interface PostgresStrategyOptions extends DatabaseStrategyOptions {
  /**
   * `single-user`: the user changes its own password. `alternating-users`: a master user keeps two
   * users (`<base>` and `<base>_clone`) and each rotation moves to the other one.
   */
  readonly mode: PostgresMode;
  /**
   * TLS settings; see {@link DatabaseStrategyOptions.tls}.
   * @default - `verify-full` against the Amazon RDS CA bundle
   */
  readonly tls?: PostgresTlsOptions;
  /**
   * Opens a connection. Tests pass a fake.
   * @default - a `pg.Client`
   */
  readonly connect?: PostgresConnect;
}

/** The validated settings a strategy runs with. */
export interface ResolvedOptions {
  readonly mode: PostgresMode;
  readonly passwordLength: number;
  /** alternating-users: reset the other user even while it has sessions (see `DatabaseStrategyOptions`). */
  readonly resetUserInUse: boolean;
  readonly connection: ConnectionSettings;
  /** Finds endpoints: the secret's own, RDS's, a master's from its tags, a replica's writer. */
  readonly locator: DatabaseLocator;
}

/** Validates every option and reports all problems at once. */
export function resolveOptions(options: PostgresStrategyOptions): ResolvedOptions {
  const { problems, resolved } = checkDatabaseOptions(options);
  const mode = options.mode;
  if (!POSTGRES_MODES.includes(mode)) {
    problems.unshift(`mode must be one of ${POSTGRES_MODES.join(', ')}, got ${String(mode)}`);
  }
  if (problems.length > 0) {
    throw new HandoverError(`invalid PostgreSQL strategy options: ${problems.join('; ')}`);
  }
  return {
    mode,
    passwordLength: resolved.passwordLength,
    resetUserInUse: resolved.resetUserInUse,
    connection: {
      connect: options.connect ?? connectWithPg,
      tlsMode: resolveTls(options.tls).mode,
      ssl: (host) => pgSslConfig(options.tls, host),
      connectTimeoutMs: resolved.connectTimeoutMs,
      statementTimeoutMs: resolved.statementTimeoutMs,
      onRoundTrip: options.onRoundTrip,
    },
    locator: createDatabaseLocator({
      family: 'postgres',
      discovery: options.rds,
      replicationWaitMs: resolved.replicationWaitMs,
    }),
  };
}

/**
 * Reads {@link PostgresStrategyOptions} from the environment the constructs set (`postgresContract`):
 * `HANDOVER_POSTGRES_MODE` is required; `HANDOVER_TLS_MODE` defaults to `verify-full`;
 * `HANDOVER_TLS_CA_FILE` (PEM) replaces the bundled Amazon RDS CAs; `HANDOVER_PASSWORD_LENGTH`
 * (16-128, default 32); `HANDOVER_CONNECT_TIMEOUT_MS` (100-60000, default 5000);
 * `HANDOVER_RESET_USER_IN_USE` (`true` / `false`, default `false`). Fails fast with a
 * `ConfigurationError` naming the variable.
 *
 * @example
 * ```ts
 * export const handler = createRotationLambda(createPostgresStrategy(postgresOptionsFromEnv()));
 * ```
 */
export function postgresOptionsFromEnv(env: Env = process.env): PostgresStrategyOptions {
  const settings = fromEnv(postgresContract, env);
  return { mode: settings.strategy, ...databaseOptionsOf(settings) };
}
