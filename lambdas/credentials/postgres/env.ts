import { readFileSync } from 'node:fs';
import { PASSWORD_LIMITS } from '../../rotation/password';
import { enumEnv, intEnv, requireEnv } from '../../shared/env';
import { ConfigurationError } from '../../shared/errors';
import { POSTGRES_MODES, type PostgresStrategyOptions } from './options';
import { TLS_MODES } from './tls';

/** Environment variables of the PostgreSQL rotation Lambda (set only by the CDK constructs). */
export const POSTGRES_ENV = {
  mode: 'HANDOVER_POSTGRES_MODE',
  tlsMode: 'HANDOVER_TLS_MODE',
  tlsCaFile: 'HANDOVER_TLS_CA_FILE',
  passwordLength: 'HANDOVER_PASSWORD_LENGTH',
  connectTimeoutMs: 'HANDOVER_CONNECT_TIMEOUT_MS',
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
  const mode = enumEnv(POSTGRES_ENV.mode, POSTGRES_MODES, 'single-user', env);
  requireEnv(POSTGRES_ENV.mode, env);
  const tlsMode = enumEnv(POSTGRES_ENV.tlsMode, TLS_MODES, 'verify-full', env);
  const caFile = env[POSTGRES_ENV.tlsCaFile];
  let ca: string | undefined;
  if (caFile !== undefined && caFile !== '') {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new ConfigurationError(
        POSTGRES_ENV.tlsCaFile,
        `${POSTGRES_ENV.tlsCaFile}: cannot read ${caFile}`,
        {
          cause: error,
        },
      );
    }
  }
  return {
    mode,
    tls: { mode: tlsMode, ...(ca !== undefined && { ca }) },
    passwordLength: intEnv(POSTGRES_ENV.passwordLength, PASSWORD_LIMITS.default, PASSWORD_LIMITS, env),
    connectTimeoutMs: intEnv(POSTGRES_ENV.connectTimeoutMs, 5000, { min: 100, max: 60_000 }, env),
  };
}
