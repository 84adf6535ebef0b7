/**
 * The settings every database credential type shares (PostgreSQL, MySQL / MariaDB) and their
 * variables: each database type's `contract.ts` spreads them into its own. Pure: no SDK, no I/O.
 */
import * as z from 'zod/mini';
import { PASSWORD_LIMITS } from '../../rotation/password';
import type { EnvVariable } from '../../shared/env';
import { flag, integer, oneOf, withDefault } from '../../shared/settings';

/**
 * How connections to a database are protected:
 *
 * - `disable`: plaintext. Only when chosen explicitly; never a fallback.
 * - `require`: TLS, certificate not verified (protects against passive eavesdropping only).
 * - `verify-ca`: TLS, certificate chain verified against the CAs, hostname not checked.
 * - `verify-full`: TLS, chain and hostname verified (the default).
 */
export const TLS_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** The default TLS mode of every database strategy. */
export const DEFAULT_TLS_MODE: TlsMode = 'verify-full';

/** Bounds and default of the connection timeout, in milliseconds. */
export const CONNECT_TIMEOUT_MS = { min: 100, max: 60_000, default: 5000 } as const;

/** The settings of every database type (besides `strategy`). */
export const databaseSettings = {
  /**
   * How the function connects to the database. `verify-full` checks the chain against the Amazon
   * RDS CA bundle shipped in the function, and the host name.
   * @default 'verify-full'
   */
  tlsMode: withDefault(oneOf(TLS_MODES), DEFAULT_TLS_MODE),
  /**
   * Length of generated passwords, 16 to 128.
   * @default 32
   */
  passwordLength: withDefault(integer(PASSWORD_LIMITS.min, PASSWORD_LIMITS.max), PASSWORD_LIMITS.default),
  /**
   * Connection timeout (TCP, TLS and authentication), in milliseconds, 100 to 60000.
   * @default 5000
   */
  connectTimeoutMs: withDefault(
    integer(CONNECT_TIMEOUT_MS.min, CONNECT_TIMEOUT_MS.max),
    CONNECT_TIMEOUT_MS.default,
  ),
};

/** The settings of the database types that offer alternating users (PostgreSQL, MySQL / MariaDB). */
export const alternatingSettings = {
  /**
   * alternating-users only. `false` (the default): setSecret refuses to reset the other user of
   * the pair while it still has sessions (consumers holding it would fail their next login), and
   * the rotation fails loudly until they have moved; an emergency rollout resets it anyway.
   * `true`: setSecret resets it regardless. The cost: every client still logged in as that user
   * keeps its open sessions but fails its next login, until it re-reads the secret.
   * @default false
   */
  resetUserInUse: withDefault(flag(), false),
};

/** The settings of every database type besides `strategy`, as a deployment gives them. */
export type DatabaseSettings = z.input<z.ZodMiniObject<typeof databaseSettings>>;

/** What the database Lambdas read that the constructs never set. */
export const databaseTuning = {
  /**
   * A PEM file whose certificates replace the bundled Amazon RDS CAs (a private CA).
   * @default - the Amazon RDS CA bundles shipped with the function
   */
  tlsCaFile: z.optional(z.string()),
};

/** The variables of {@link databaseSettings} and {@link databaseTuning}. */
export const DATABASE_ENV = {
  tlsMode: { name: 'HANDOVER_TLS_MODE', always: true },
  passwordLength: { name: 'HANDOVER_PASSWORD_LENGTH', as: 'integer' },
  connectTimeoutMs: { name: 'HANDOVER_CONNECT_TIMEOUT_MS', as: 'integer' },
  tlsCaFile: { name: 'HANDOVER_TLS_CA_FILE' },
} as const satisfies Record<string, EnvVariable>;

/** The variables of {@link alternatingSettings}. */
export const ALTERNATING_ENV = {
  resetUserInUse: { name: 'HANDOVER_RESET_USER_IN_USE', as: 'boolean' },
} as const satisfies Record<string, EnvVariable>;
