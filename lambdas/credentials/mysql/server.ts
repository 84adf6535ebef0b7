import { SecretFormatError, TargetError } from '../../shared/errors';

/** The two SQL dialects Handover speaks. Aurora MySQL and Percona Server are `mysql`. */
export type ServerVariant = 'mysql' | 'mariadb';

/** What Handover knows of a server, from `SELECT VERSION()`. */
export interface ServerInfo {
  readonly variant: ServerVariant;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The `VERSION()` text, e.g. `10.11.19-MariaDB-log` or `8.0.mysql_aurora.3.05.2`. */
  readonly version: string;
}

/** The MySQL version each Aurora MySQL major version is compatible with (at least). */
const AURORA_MYSQL: Readonly<Record<string, readonly [number, number, number]>> = {
  '1': [5, 6, 10],
  '2': [5, 7, 12],
  '3': [8, 0, 23],
};

/**
 * Tells MySQL from MariaDB and reads the version from `VERSION()`: `10.11.19-MariaDB-0+deb12u1`,
 * `5.5.5-10.6.14-MariaDB` (the replication-compatible prefix), `8.0.35`, `8.4.3-log`,
 * `8.0.mysql_aurora.3.05.2` (Aurora: the MySQL version it is compatible with).
 *
 * @example
 * ```ts
 * parseServerVersion('8.0.35'); // { variant: 'mysql', major: 8, minor: 0, patch: 35, version: '8.0.35' }
 * ```
 */
export function parseServerVersion(version: string): ServerInfo {
  const mariadb = /mariadb/i.test(version);
  const text = mariadb ? version.replace(/^5\.5\.5-/, '') : version;
  const aurora = /^\d+\.\d+\.mysql_aurora\.(\d+)\./.exec(text);
  if (aurora) {
    const [major, minor, patch] = AURORA_MYSQL[aurora[1] ?? ''] ?? [];
    if (major !== undefined && minor !== undefined && patch !== undefined) {
      return { variant: 'mysql', major, minor, patch, version };
    }
  }
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!match) {
    throw new TargetError(`cannot tell the server's version from VERSION() = '${version.slice(0, 80)}'`);
  }
  return {
    variant: mariadb ? 'mariadb' : 'mysql',
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    version,
  };
}

/** Whether the server is at least `major.minor.patch` of its own variant. */
export function atLeast(server: ServerInfo, major: number, minor: number, patch: number): boolean {
  if (server.major !== major) return server.major > major;
  if (server.minor !== minor) return server.minor > minor;
  return server.patch >= patch;
}

/** `MariaDB 10.11.19` / `MySQL 8.0.35`, for messages. */
export function describeServer(server: ServerInfo): string {
  const name = server.variant === 'mariadb' ? 'MariaDB' : 'MySQL';
  return `${name} ${server.major}.${server.minor}.${server.patch} (VERSION() = '${server.version.slice(0, 80)}')`;
}

/** The longest user name the server accepts: MariaDB 10+: 80; MySQL 5.7.8+: 32; older: 16. */
export function maxUsernameLength(server: ServerInfo): number {
  if (server.variant === 'mariadb') return server.major >= 10 ? 80 : 16;
  return atLeast(server, 5, 7, 8) ? 32 : 16;
}

/** Throws a `SecretFormatError` naming `username` unless `username` fits the server's limit. */
export function assertUsernameFits(username: string, server: ServerInfo, what: string): void {
  const limit = maxUsernameLength(server);
  if (username.length > limit) {
    throw new SecretFormatError(
      'username',
      `${what} "${username}" has ${username.length} characters; ${describeServer(server)} accepts at most ${limit}`,
    );
  }
}

/** `ALTER USER` (and so `CURRENT_USER()` password changes): MySQL 5.7.6+, MariaDB 10.2+. */
export function assertAlterUser(server: ServerInfo, mode: string): void {
  const ok = server.variant === 'mariadb' ? atLeast(server, 10, 2, 0) : atLeast(server, 5, 7, 6);
  if (!ok) {
    throw new TargetError(
      `${mode} mode needs MySQL 5.7.6+ or MariaDB 10.2+; the server is ${describeServer(server)}`,
    );
  }
}

/** `ACCOUNT LOCK` / `ACCOUNT UNLOCK`, used by alternating users: MySQL 5.7.6+, MariaDB 10.4.2+. */
export function assertAccountLock(server: ServerInfo, mode: string): void {
  const ok = server.variant === 'mariadb' ? atLeast(server, 10, 4, 2) : atLeast(server, 5, 7, 6);
  if (!ok) {
    throw new TargetError(
      `${mode} mode locks the old user (ACCOUNT LOCK), which needs MySQL 5.7.6+ or MariaDB 10.4.2+; ` +
        `the server is ${describeServer(server)}`,
    );
  }
}

/** Whether the server has dual passwords (`RETAIN CURRENT PASSWORD`): MySQL 8.0.14+, never MariaDB. */
export function supportsDualPassword(server: ServerInfo): boolean {
  return server.variant === 'mysql' && atLeast(server, 8, 0, 14);
}

/** Throws a clear error naming the mode and the server unless it has dual passwords. */
export function assertDualPassword(server: ServerInfo): void {
  if (supportsDualPassword(server)) return;
  const reason =
    server.variant === 'mariadb' ? 'MariaDB has no dual passwords' : 'dual passwords arrived in MySQL 8.0.14';
  throw new TargetError(
    `dual-password mode needs MySQL 8.0.14 or later (ALTER USER ... RETAIN CURRENT PASSWORD); ` +
      `the server is ${describeServer(server)}: ${reason}. Use alternating-users instead`,
  );
}
