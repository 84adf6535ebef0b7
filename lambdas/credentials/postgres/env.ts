import { enumEnv, requireEnv } from '../../shared/env';
import { DATABASE_ENV, databaseOptionsFromEnv } from '../database/options';
import { POSTGRES_MODES, type PostgresStrategyOptions } from './options';

/** Environment variables of the PostgreSQL rotation Lambda (set only by the CDK constructs). */
export const POSTGRES_ENV = {
  mode: 'HANDOVER_POSTGRES_MODE',
  ...DATABASE_ENV,
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads {@link PostgresStrategyOptions} from the environment, failing fast with the variable's name.
 * `HANDOVER_POSTGRES_MODE` is required; `HANDOVER_TLS_MODE` defaults to `verify-full`;
 * `HANDOVER_TLS_CA_FILE` (PEM) replaces the bundled Amazon RDS CAs.
 *
 * @example
 * ```ts
 * export const handler = createRotationLambda(createPostgresStrategy(postgresOptionsFromEnv()));
 * ```
 */
export function postgresOptionsFromEnv(env: Env = process.env): PostgresStrategyOptions {
  requireEnv(POSTGRES_ENV.mode, env);
  const mode = enumEnv(POSTGRES_ENV.mode, POSTGRES_MODES, 'single-user', env);
  return { mode, ...databaseOptionsFromEnv(env) };
}
