import { readFileSync } from 'node:fs';
import { PASSWORD_LIMITS } from '../../rotation/password';
import { ConfigurationError } from '../../shared/errors';
import { CONNECT_TIMEOUT_MS, DATABASE_ENV, type TlsMode } from './contract';
import type { RdsDiscovery } from './rds/discovery';
import type { RoundTripHook } from './round-trip';
import { type DatabaseTlsOptions, tlsOptionProblems } from './tls';

/** Options every database credential type takes (PostgreSQL, MySQL / MariaDB). */
export interface DatabaseStrategyOptions {
  /**
   * How connections are protected. A TLS failure is an error, never a reason to retry in plaintext.
   * @default - `verify-full` against the Amazon RDS CA bundle
   */
  readonly tls?: DatabaseTlsOptions;
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
   * Longest a single statement may run, in milliseconds (an account locked by another session
   * must not hang a rotation step until the Lambda times out).
   * @default 30000
   */
  readonly statementTimeoutMs?: number;
  /**
   * Called on every database round trip (each connect, each statement), e.g. to report round trips
   * per rotation in benchmarks.
   * @default - none
   */
  readonly onRoundTrip?: RoundTripHook;
  /**
   * RDS look-ups (DescribeDBInstances, DescribeDBClusters, and DescribeSecret for the tags of an
   * RDS-managed master secret), for secrets that name `dbInstanceIdentifier` /
   * `dbClusterIdentifier` without `host` or `port`, master secrets holding only `username` and
   * `password`, and finding the writer when the secret's host is a read replica. Each `handler.ts`
   * builds one from module-scope SDK clients (`createDefaultRdsDiscovery`, `./rds/discovery`).
   * @default - none: a secret without `host` fails with a `SecretFormatError` naming it, a master
   * secret without `host` or RDS names fails with a `MasterEndpointError` (its tags cannot be read),
   * and a secret whose host is a read replica fails with a `ReadReplicaError`
   */
  readonly rds?: RdsDiscovery;
  /**
   * How long setSecret waits, after changing a password on the writer, until the secret's own host
   * (a read replica or Aurora reader) accepts it, in milliseconds.
   * @default 30000
   */
  readonly replicationWaitMs?: number;
  /**
   * alternating-users only: reset the other user of the pair in setSecret even while it still has
   * sessions (its clients fail their next login). By default setSecret refuses, unless an emergency
   * rollout carries the rotation.
   * @default false
   */
  readonly resetUserInUse?: boolean;
}

export const DATABASE_DEFAULTS = {
  connectTimeoutMs: CONNECT_TIMEOUT_MS.default,
  statementTimeoutMs: 30_000,
  replicationWaitMs: 30_000,
} as const;

const isPositiveInteger = (value: number) => Number.isInteger(value) && value > 0;

/** The common options with defaults applied. */
export interface ResolvedDatabaseOptions {
  readonly passwordLength: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly replicationWaitMs: number;
  readonly resetUserInUse: boolean;
}

/**
 * Validates the common options: returns every problem (messages naming the option) and the
 * values with defaults applied. The caller adds its own problems and throws once for all of them.
 */
export function checkDatabaseOptions(options: DatabaseStrategyOptions): {
  problems: string[];
  resolved: ResolvedDatabaseOptions;
} {
  const problems = tlsOptionProblems(options.tls);
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
  const connectTimeoutMs = options.connectTimeoutMs ?? DATABASE_DEFAULTS.connectTimeoutMs;
  if (!isPositiveInteger(connectTimeoutMs)) {
    problems.push(`connectTimeoutMs must be a positive integer, got ${connectTimeoutMs}`);
  }
  const statementTimeoutMs = options.statementTimeoutMs ?? DATABASE_DEFAULTS.statementTimeoutMs;
  if (!isPositiveInteger(statementTimeoutMs)) {
    problems.push(`statementTimeoutMs must be a positive integer, got ${statementTimeoutMs}`);
  }
  const replicationWaitMs = options.replicationWaitMs ?? DATABASE_DEFAULTS.replicationWaitMs;
  if (!Number.isInteger(replicationWaitMs) || replicationWaitMs < 0 || replicationWaitMs > 600_000) {
    problems.push(`replicationWaitMs must be an integer from 0 to 600000, got ${replicationWaitMs}`);
  }
  const resetUserInUse = options.resetUserInUse ?? false;
  if (typeof resetUserInUse !== 'boolean') {
    problems.push(`resetUserInUse must be true or false, got ${String(resetUserInUse)}`);
  }
  return {
    problems,
    resolved: { passwordLength, connectTimeoutMs, statementTimeoutMs, replicationWaitMs, resetUserInUse },
  };
}

/** The common options as the database Lambdas run with them. */
export interface DatabaseEnvOptions {
  readonly tls: DatabaseTlsOptions;
  readonly passwordLength: number;
  readonly connectTimeoutMs: number;
  readonly resetUserInUse: boolean;
}

/**
 * The common options of a database type's settings (as its contract reads them from the
 * environment): the TLS mode with the CAs of `tlsCaFile` when one is given, the password length and
 * the connection timeout. A CA file that cannot be read fails fast with a `ConfigurationError`
 * naming `HANDOVER_TLS_CA_FILE`.
 *
 * @example
 * ```ts
 * const settings = fromEnv(postgresContract);
 * const options = { mode: settings.strategy, ...databaseOptionsOf(settings) };
 * ```
 */
export function databaseOptionsOf(settings: {
  readonly tlsMode: TlsMode;
  readonly tlsCaFile?: string | undefined;
  readonly passwordLength: number;
  readonly connectTimeoutMs: number;
  readonly resetUserInUse: boolean;
}): DatabaseEnvOptions {
  let ca: string | undefined;
  if (settings.tlsCaFile !== undefined) {
    const variable = DATABASE_ENV.tlsCaFile.name;
    try {
      ca = readFileSync(settings.tlsCaFile, 'utf8');
    } catch (error) {
      throw new ConfigurationError(variable, `${variable}: cannot read ${settings.tlsCaFile}`, {
        cause: error,
      });
    }
  }
  return {
    tls: { mode: settings.tlsMode, ...(ca !== undefined && { ca }) },
    passwordLength: settings.passwordLength,
    connectTimeoutMs: settings.connectTimeoutMs,
    resetUserInUse: settings.resetUserInUse,
  };
}
