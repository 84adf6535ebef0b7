import type { CredentialStrategy, StrategyContext } from '../../rotation/strategy';
import { TargetError } from '../../shared/errors';
import { redactError } from '../../shared/redaction';
import {
  alternatingMembers,
  alternatingParse,
  currentForRevoke,
  loadMaster,
  locateWithMaster,
  masterLogin,
  masterLoginForSessions,
  onMasterWriter,
} from '../database/alternating-master';
import { assertPartner } from '../database/alternating-usernames';
import { assertSameDatabase, who } from '../database/location';
import { at, awaitReplica, type Endpoint } from '../database/rds';
import { assertResettable } from '../database/user-in-use';
import { type Session, withSession } from './connection';
import { type GrantSet, parseGrants, planGrantSync } from './grants';
import { logsIn, proveLogin } from './login';
import type { ResolvedOptions } from './options';
import {
  assertClonable,
  cloneUsername,
  type MysqlSecret,
  parseMysqlCredentials,
  parseMysqlSecret,
  serializeMysqlSecret,
} from './schema';
import { assertAccountLock, assertUsernameFits, type ServerInfo } from './server';
import { countSessions } from './sessions';
import { type Account, account, literal, nativePasswordHash, type SqlMode } from './sql';
import { readOnlyServer } from './standby';

/**
 * Alternating users: a master user keeps two users, `<base>` and `<base>_clone`, at the same host
 * part as the current account (`'app'@'%'` -> `'app_clone'@'%'`), and each rotation moves the
 * secret to the other one, so the old credential keeps working until the rollout workflow revokes
 * it (`ACCOUNT LOCK`) after every consumer has moved.
 *
 * On EVERY rotation the pending user is made an exact copy of the current one, by statements
 * computed from the difference (so a re-run after a failure at any point converges):
 *
 * - grants: `SHOW GRANTS` of both accounts are parsed (see `grants.ts`); privileges, column
 *   privileges, routine and proxy grants, `GRANT OPTION`, roles (with `ADMIN OPTION`) and default
 *   roles the current user has are granted, and those only the pending user has are revoked;
 * - `REQUIRE` (SSL / X509 / ISSUER / SUBJECT / CIPHER) and resource limits (`MAX_QUERIES_PER_HOUR`,
 *   `MAX_UPDATES_PER_HOUR`, `MAX_CONNECTIONS_PER_HOUR`, `MAX_USER_CONNECTIONS`, MariaDB's
 *   `MAX_STATEMENT_TIME`) are copied from `mysql.user`;
 * - the password is set and the account unlocked LAST: a user created by an interrupted run stays
 *   locked, and a revoked (locked) user becomes usable only once it has the current grants.
 *
 * Why `ACCOUNT LOCK` rather than `DROP USER` for `revoke`: it can be undone (`restore` is
 * `ACCOUNT UNLOCK`), the next rotation reuses the user with its grants, and objects whose
 * `DEFINER` is the old user (views, procedures, events, triggers) keep working (MySQL 8 even
 * refuses to drop a user named as a definer). Existing sessions are not killed by either.
 *
 * Master privileges: `CREATE USER`, `SELECT` on `mysql.*` (to read `mysql.user` and other
 * users' grants), `PROCESS` (for `inUse`), and every privilege it copies, `WITH GRANT OPTION`
 * (roles: `ADMIN OPTION`). The RDS master user has all of these for ordinary privileges.
 */
export function alternatingUsersStrategy(options: ResolvedOptions): CredentialStrategy<MysqlSecret> {
  const settings = options.connection;
  const locator = options.locator;

  const parse = alternatingParse(parseMysqlSecret, assertClonable);

  return {
    type: 'mysql',
    variant: 'alternating-users',
    ...alternatingMembers(parse, serializeMysqlSecret, options.passwordLength),

    async set(pending, current, _previous, ctx) {
      assertPartner(pending, current, 'pending');
      assertSameDatabase(pending, current);
      const { where, master } = await locateWithMaster(locator, current, ctx, parseMysqlCredentials);
      const secrets = [pending.password, current.password, master.password];
      // Confused-deputy check: whoever wrote this secret must know the current password before the
      // master changes anything on its behalf. It also tells which account (host part) to copy.
      // (Read-only: a read replica answers it too.)
      const proven = await proveLogin(
        settings,
        at(current, where),
        'setSecret: proving the current credentials',
        secrets,
      );
      const hash = nativePasswordHash(pending.password);
      let changedOn: Endpoint;
      try {
        changedOn = await onMasterWriter(locator, current, master, ctx, (endpoint) =>
          withSession(
            settings,
            masterLogin(master, current, endpoint),
            'setSecret: logging in as the master user',
            secrets,
            async (session) => {
              const refused = await readOnlyServer(session, 'setSecret');
              if (refused !== undefined) return refused;
              assertAccountLock(session.server, 'alternating-users');
              assertUsernameFits(pending.username, session.server, 'the pending user name');
              assertUsernameFits(cloneUsername(pending.username), session.server, 'the clone user name');
              const state = await readState(session, proven.account, {
                user: pending.username,
                host: proven.account.host,
              });
              // The pending user is the previous credential: its clients must have moved first.
              if (state.pending.row !== undefined) {
                assertResettable(
                  await countSessions(session, pending.username, 'setSecret'),
                  pending.username,
                  current.username,
                  options,
                  ctx,
                );
              }
              for (const host of state.otherHosts) {
                ctx.logger.warn('user has another account that is not rotated', {
                  ...who('setSecret', pending.username),
                  host,
                });
              }
              const statements = planSet(state, pending.password);
              for (const [i, statement] of statements.entries()) {
                await session.query(
                  statement,
                  `setSecret: statement ${i + 1} of ${statements.length} (${verb(statement)})`,
                );
              }
              ctx.logger.info('pending user set and grants synchronised', {
                ...who('setSecret', pending.username),
                outcome: state.pending.row === undefined ? 'created' : 'changed',
                account_host: proven.account.host,
                server: state.server.variant,
                statements: statements.length,
                host: endpoint.host,
              });
              return undefined;
            },
          ),
        );
      } catch (error) {
        throw redactError(error, [hash]);
      }
      await awaitReplica(
        locator,
        changedOn,
        where,
        pending.username,
        () => logsIn(settings, at(pending, where), 'setSecret: checking the read replica', secrets),
        ctx.logger,
      );
    },

    async test(pending, ctx) {
      const where = await locator.locate(pending, ctx.logger);
      await proveLogin(
        settings,
        at(pending, where),
        'testSecret: logging in with the pending credentials',
        [],
      );
      ctx.logger.info('pending credentials work', {
        ...who('testSecret', pending.username),
        outcome: 'passed',
      });
    },

    /** Every live session of the old user counts (excluding this check's own), whenever it started. */
    async inUse(old, _since, ctx) {
      return withSession(
        settings,
        await masterLoginForSessions(locator, old, ctx, parseMysqlCredentials),
        'inUse: logging in as the master user',
        [old.password],
        (session) => countSessions(session, old.username),
      );
    },

    /** `ALTER USER <old> ACCOUNT LOCK` (every host of the old user): new logins fail, sessions stay. */
    async revoke(old, ctx) {
      await setLock(old, true, ctx);
    },

    /** `ALTER USER <old> ACCOUNT UNLOCK`: undoes {@link revoke}. */
    async restore(old, ctx) {
      await setLock(old, false, ctx);
    },
  };

  async function setLock(old: MysqlSecret, lock: boolean, ctx: StrategyContext): Promise<void> {
    const step = lock ? 'revoke' : 'restore';
    const current = await currentForRevoke(ctx, parse, old, step, lock ? 'lock' : undefined);
    const master = await loadMaster(current, ctx, parseMysqlCredentials);
    let hosts: string[] = [];
    await onMasterWriter(locator, current, master, ctx, (endpoint) =>
      withSession(
        settings,
        masterLogin(master, current, endpoint),
        `${step}: logging in as the master user`,
        [old.password],
        async (session) => {
          const refused = await readOnlyServer(session, step);
          if (refused !== undefined) return refused;
          assertAccountLock(session.server, 'alternating-users');
          const rows = await session.query(
            `SELECT Host AS host FROM mysql.user WHERE User = ${session.literal(old.username)}`,
            `${step}: reading mysql.user`,
          );
          hosts = rows.map((row) => String(row.host));
          if (hosts.length === 0) {
            if (lock) return undefined;
            throw new TargetError(`${step}: user "${old.username}" does not exist, so it cannot be unlocked`);
          }
          const accounts = hosts.map((host) => account(old.username, host, session.sqlMode)).join(', ');
          await session.query(
            `ALTER USER ${accounts} ACCOUNT ${lock ? 'LOCK' : 'UNLOCK'}`,
            `${step}: ALTER USER ... ACCOUNT ${lock ? 'LOCK' : 'UNLOCK'}`,
          );
          return undefined;
        },
      ),
    );
    ctx.logger.info(
      hosts.length === 0
        ? 'old user does not exist: nothing to lock'
        : lock
          ? 'old user can no longer log in'
          : 'old user can log in again',
      { ...who(step, old.username), outcome: lock ? 'revoked' : 'restored', hosts: hosts.length },
    );
  }
}

/** The first word(s) of a statement, for error messages that must not repeat the statement. */
function verb(statement: string): string {
  return statement.split(' ').slice(0, 2).join(' ');
}

/** The columns of `mysql.user` copied to the pending user. */
export interface AccountRow {
  readonly plugin: string;
  readonly sslType: string;
  readonly sslCipher: string;
  readonly x509Issuer: string;
  readonly x509Subject: string;
  readonly maxQuestions: number;
  readonly maxUpdates: number;
  readonly maxConnections: number;
  readonly maxUserConnections: number;
  /** MariaDB only: seconds, as a decimal string (`0.000000` = no limit). */
  readonly maxStatementTime?: string | undefined;
}

/** One side of the pair, as the master sees it. */
export interface AccountState {
  readonly account: Account;
  /** Undefined when the account does not exist. */
  readonly row: AccountRow | undefined;
  readonly grants: GrantSet;
}

/** Everything `set` needs to know, read by the master in a few statements. */
export interface AlternatingState {
  readonly server: ServerInfo;
  readonly sqlMode: SqlMode;
  readonly current: AccountState & { readonly row: AccountRow };
  readonly pending: AccountState;
  /** Hosts of other accounts with either username (not rotated; logged as a warning). */
  readonly otherHosts: readonly string[];
}

const text = (value: unknown): string =>
  value === null || value === undefined
    ? ''
    : Buffer.isBuffer(value)
      ? value.toString('utf8')
      : String(value);

function integer(value: unknown, column: string): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new TargetError(`setSecret: mysql.user.${column} is not an integer`);
  return n;
}

function toRow(raw: Record<string, unknown>, server: ServerInfo): AccountRow {
  const maxStatementTime = text(raw.max_statement_time);
  if (server.variant === 'mariadb' && !/^\d+(\.\d+)?$/.test(maxStatementTime)) {
    throw new TargetError('setSecret: mysql.user.max_statement_time is not a number');
  }
  return {
    plugin: text(raw.plugin),
    sslType: text(raw.ssl_type).toUpperCase(),
    sslCipher: text(raw.ssl_cipher),
    x509Issuer: text(raw.x509_issuer),
    x509Subject: text(raw.x509_subject),
    maxQuestions: integer(raw.max_questions, 'max_questions'),
    maxUpdates: integer(raw.max_updates, 'max_updates'),
    maxConnections: integer(raw.max_connections, 'max_connections'),
    maxUserConnections: integer(raw.max_user_connections, 'max_user_connections'),
    ...(server.variant === 'mariadb' && { maxStatementTime }),
  };
}

async function showGrants(session: Session, of: Account): Promise<string[]> {
  const rows = await session.query(
    `SHOW GRANTS FOR ${account(of.user, of.host, session.sqlMode)}`,
    `setSecret: SHOW GRANTS FOR ${of.user}`,
  );
  return rows.map((row) => text(Object.values(row)[0]));
}

/** MySQL 8 keeps default roles in `mysql.default_roles`, not in `SHOW GRANTS`. */
async function mysqlDefaultRoles(session: Session, of: Account): Promise<string[]> {
  const rows = await session.query(
    `SELECT DEFAULT_ROLE_USER AS user, DEFAULT_ROLE_HOST AS host FROM mysql.default_roles
     WHERE USER = ${session.literal(of.user)} AND HOST = ${session.literal(of.host)}`,
    `setSecret: reading the default roles of ${of.user}`,
  );
  return rows.map((row) => account(text(row.user), text(row.host), session.sqlMode));
}

/** Reads both accounts' `mysql.user` rows, grants and default roles. */
async function readState(session: Session, current: Account, pending: Account): Promise<AlternatingState> {
  const { server, sqlMode } = session;
  const mariadb = server.variant === 'mariadb';
  const rows = await session.query(
    `SELECT User AS user, Host AS host, plugin, ssl_type, ssl_cipher, x509_issuer, x509_subject,
       max_questions, max_updates, max_connections, max_user_connections${mariadb ? ', max_statement_time' : ''}
     FROM mysql.user WHERE User IN (${literal(current.user, sqlMode)}, ${literal(pending.user, sqlMode)})`,
    'setSecret: reading mysql.user',
  );
  const find = (of: Account) => rows.find((row) => text(row.user) === of.user && text(row.host) === of.host);
  const currentRaw = find(current);
  if (currentRaw === undefined) {
    throw new TargetError(
      `setSecret: mysql.user has no row for '${current.user}'@'${current.host}' (the account the current ` +
        'credentials logged in as): the master needs SELECT on mysql.*',
    );
  }
  const pendingRaw = find(pending);
  const otherHosts = rows.filter((row) => text(row.host) !== current.host).map((row) => text(row.host));
  const defaultRoles = server.variant === 'mysql' && server.major >= 8;
  const read = async (of: Account, exists: boolean): Promise<GrantSet> => {
    if (!exists) return new Map();
    const grants = parseGrants(await showGrants(session, of), of, sqlMode);
    if (defaultRoles) {
      for (const role of await mysqlDefaultRoles(session, of)) {
        grants.set(`default-role\u0000${role}`, { kind: 'default-role', role });
      }
    }
    return grants;
  };
  return {
    server,
    sqlMode,
    current: { account: current, row: toRow(currentRaw, server), grants: await read(current, true) },
    pending: {
      account: pending,
      row: pendingRaw === undefined ? undefined : toRow(pendingRaw, server),
      grants: await read(pending, pendingRaw !== undefined),
    },
    otherHosts,
  };
}

/** Authentication plugins whose password can be set with `IDENTIFIED WITH <plugin> BY` on MySQL. */
const MYSQL_PASSWORD_PLUGINS = new Set(['mysql_native_password', 'caching_sha2_password', 'sha256_password']);

/**
 * `IDENTIFIED …` for the pending user. MySQL: the current user's plugin with the plaintext (MySQL
 * rewrites it out of its logs). MariaDB: the `mysql_native_password` hash, so the plaintext never
 * reaches MariaDB's logs.
 */
function identifiedBy(state: AlternatingState, password: string): string {
  const mode = state.sqlMode;
  if (state.server.variant === 'mariadb')
    return `IDENTIFIED BY PASSWORD ${literal(nativePasswordHash(password), mode)}`;
  const plugin = state.current.row.plugin;
  if (!MYSQL_PASSWORD_PLUGINS.has(plugin)) {
    throw new TargetError(
      `setSecret: the current account authenticates with "${plugin}", which has no password to rotate ` +
        `(supported: ${[...MYSQL_PASSWORD_PLUGINS].join(', ')})`,
    );
  }
  return `IDENTIFIED WITH ${plugin} BY ${literal(password, mode)}`;
}

/**
 * `REQUIRE …` copied from the current account's `ssl_type` and X.509 columns. (Handover presents
 * no client certificate, so an account that requires X509 / ISSUER / SUBJECT cannot pass the
 * confused-deputy login in the first place; the clauses are copied faithfully all the same.)
 */
export function requireClause(row: AccountRow, mode: SqlMode): string {
  switch (row.sslType) {
    case '':
      return 'REQUIRE NONE';
    case 'ANY':
      return 'REQUIRE SSL';
    case 'X509':
      return 'REQUIRE X509';
    case 'SPECIFIED': {
      const parts = [
        row.x509Issuer && `ISSUER ${literal(row.x509Issuer, mode)}`,
        row.x509Subject && `SUBJECT ${literal(row.x509Subject, mode)}`,
        row.sslCipher && `CIPHER ${literal(row.sslCipher, mode)}`,
      ].filter((part) => part !== '');
      return parts.length === 0 ? 'REQUIRE SSL' : `REQUIRE ${parts.join(' AND ')}`;
    }
    default:
      throw new TargetError(`setSecret: unknown mysql.user.ssl_type "${row.sslType.slice(0, 20)}"`);
  }
}

/** `WITH …` resource limits copied from the current account. */
export function limitsClause(row: AccountRow): string {
  const limits = [
    `MAX_QUERIES_PER_HOUR ${row.maxQuestions}`,
    `MAX_UPDATES_PER_HOUR ${row.maxUpdates}`,
    `MAX_CONNECTIONS_PER_HOUR ${row.maxConnections}`,
    `MAX_USER_CONNECTIONS ${row.maxUserConnections}`,
  ];
  if (row.maxStatementTime !== undefined) limits.push(`MAX_STATEMENT_TIME ${row.maxStatementTime}`);
  return `WITH ${limits.join(' ')}`;
}

/**
 * The statements `set` runs as the master, in order. Pure, so unit tests can read them:
 *
 * 1. `CREATE USER IF NOT EXISTS … ACCOUNT LOCK` when the pending user does not exist;
 * 2. the grant differences (revokes, grants, default roles);
 * 3. `ALTER USER … IDENTIFIED … REQUIRE … WITH … ACCOUNT UNLOCK`.
 */
export function planSet(state: AlternatingState, password: string): string[] {
  const mode = state.sqlMode;
  const grantee = account(state.pending.account.user, state.pending.account.host, mode);
  const identified = identifiedBy(state, password);
  const statements: string[] = [];
  if (state.pending.row === undefined) {
    statements.push(`CREATE USER IF NOT EXISTS ${grantee} ${identified} ACCOUNT LOCK`);
  }
  statements.push(...planGrantSync(state.current.grants, state.pending.grants, grantee, state.server));
  statements.push(
    `ALTER USER ${grantee} ${identified} ${requireClause(state.current.row, mode)} ${limitsClause(state.current.row)} ACCOUNT UNLOCK`,
  );
  return statements;
}
