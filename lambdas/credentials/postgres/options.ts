import { PASSWORD_LIMITS } from '../../rotation/password';
import { HandoverError } from '../../shared/errors';
import type { ConnectionSettings, PostgresConnect, RoundTripHook } from './connection';
import { connectWithPg } from './connection';
import { type PostgresTlsOptions, pgSslConfig, TLS_MODES } from './tls';

/** The two rotation schemes. */
export const POSTGRES_MODES = ['single-user', 'alternating-users'] as const;
export type PostgresMode = (typeof POSTGRES_MODES)[number];

/** Options of {@link createPostgresStrategy}. */
export interface PostgresStrategyOptions {
  /**
   * `single-user`: the user changes its own password. `alternating-users`: a master user keeps two
   * users (`<base>` and `<base>_clone`) and each rotation moves to the other one.
   */
  readonly mode: PostgresMode;
  /**
   * How connections are protected. A TLS failure is an error, never a reason to retry in plaintext.
   * @default - `verify-full` against the Amazon RDS CA bundle
   */
  readonly tls?: PostgresTlsOptions;
  /**
   * Length of generated passwords.
   * @default 32
   */
  readonly passwordLength?: number;
  /**
   * Connection timeout (TCP, TLS and authentication), in milliseconds.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Server-side `statement_timeout` of every session, in milliseconds (a role locked by another
   * transaction must not hang a rotation step until the Lambda times out).
   * @default 30000
   */
  readonly statementTimeoutMs?: number;
  /**
   * Opens a connection. Tests pass a fake.
   * @default - a `pg.Client`
   */
  readonly connect?: PostgresConnect;
  /**
   * Called on every database round trip (each connect, each query), e.g. to report round trips
   * per rotation in benchmarks.
   * @default - none
   */
  readonly onRoundTrip?: RoundTripHook;
}

/** The validated settings a strategy runs with. */
export interface ResolvedOptions {
  readonly mode: PostgresMode;
  readonly passwordLength: number;
  readonly connection: ConnectionSettings;
}

const isPositiveInteger = (value: number) => Number.isInteger(value) && value > 0;

/** Validates every option and reports all problems at once. */
export function resolveOptions(options: PostgresStrategyOptions): ResolvedOptions {
  const problems: string[] = [];
  const mode = options.mode;
  if (!POSTGRES_MODES.includes(mode)) {
    problems.push(`mode must be one of ${POSTGRES_MODES.join(', ')}, got ${String(mode)}`);
  }
  const tlsMode = options.tls?.mode ?? 'verify-full';
  if (!TLS_MODES.includes(tlsMode)) {
    problems.push(`tls.mode must be one of ${TLS_MODES.join(', ')}, got ${String(tlsMode)}`);
  }
  const ca = options.tls?.ca;
  if (
    ca !== undefined &&
    (typeof ca === 'string' ? [ca] : ca).some((pem) => !pem.includes('BEGIN CERTIFICATE'))
  ) {
    problems.push('tls.ca must be PEM certificates (-----BEGIN CERTIFICATE-----)');
  }
  const passwordLength = options.passwordLength ?? PASSWORD_LIMITS.default;
  if (
    !Number.isInteger(passwordLength) ||
    passwordLength < PASSWORD_LIMITS.min ||
    passwordLength > PASSWORD_LIMITS.max
  ) {
    problems.push(
      `passwordLength must be an integer from ${PASSWORD_LIMITS.min} to ${PASSWORD_LIMITS.max}, got ${passwordLength}`,
    );
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  if (!isPositiveInteger(connectTimeoutMs)) {
    problems.push(`connectTimeoutMs must be a positive integer, got ${connectTimeoutMs}`);
  }
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  if (!isPositiveInteger(statementTimeoutMs)) {
    problems.push(`statementTimeoutMs must be a positive integer, got ${statementTimeoutMs}`);
  }
  if (problems.length > 0) {
    throw new HandoverError(`invalid PostgreSQL strategy options: ${problems.join('; ')}`);
  }
  return {
    mode,
    passwordLength,
    connection: {
      connect: options.connect ?? connectWithPg,
      tlsMode,
      ssl: (host) => pgSslConfig(options.tls, host),
      connectTimeoutMs,
      statementTimeoutMs,
      onRoundTrip: options.onRoundTrip,
    },
  };
}
