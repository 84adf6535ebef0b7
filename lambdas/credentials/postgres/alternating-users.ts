import * as z from 'zod/mini';
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
import { logsIn, proveLogin } from './login';
import type { ResolvedOptions } from './options';
import {
  assertClonable,
  baseUsername,
  cloneUsername,
  type PostgresSecret,
  parsePostgresCredentials,
  parsePostgresSecret,
  serializePostgresSecret,
} from './schema';
import { scramSha256Verifier } from './scram';
import { countSessions } from './sessions';
import { quoteIdent, quoteLiteral } from './sql';
import { standby, writeUnlessStandby } from './standby';

/**
 * Alternating users: a master user keeps two login roles, `<base>` and `<base>_clone`, and each
 * rotation moves the secret to the other one, so the old credential keeps working until the
 * rollout workflow revokes it (`NOLOGIN`) after every consumer has moved.
 *
 * Privileges and ownership (AWS's template copies grants once and loses them, and objects created
 * by one user are owned by that user and unusable by the other). Here the BASE role holds every
 * privilege and owns every object; the clone is only a way to log in as it:
 *
 * - `GRANT "<base>" TO "<base>_clone"` (PostgreSQL 16+: `WITH INHERIT TRUE, SET TRUE`): the clone
 *   has the base's privileges and memberships, including ones granted later.
 * - `ALTER ROLE "<base>_clone" SET role = '<base>'`: every clone session runs `SET ROLE <base>` at
 *   login, so `current_user` is the base role: objects either user creates are owned by the base
 *   and usable by both, and `ALTER DEFAULT PRIVILEGES FOR ROLE <base>` covers both.
 * - The base's `CREATEDB`, `CREATEROLE`, `INHERIT`, `CONNECTION LIMIT` and `VALID UNTIL` are
 *   copied to the clone. `SUPERUSER`, `REPLICATION` and `BYPASSRLS` are never copied (the master
 *   usually cannot grant them, and a rotation must not escalate). Per-role settings of the base
 *   (`ALTER ROLE <base> SET ...`) do not apply to clone sessions: set them per database instead.
 *
 * All of this is re-asserted on EVERY rotation, in one transaction, by statements that are no-ops
 * when already true, so a re-run after a failure at any point converges.
 *
 * Master privileges: `CREATEROLE`. On PostgreSQL 16+ a `CREATEROLE` user may only alter and grant
 * roles it has `ADMIN OPTION` on: roles the master created have it automatically; for a base role
 * created by someone else run `GRANT "<base>" TO <master> WITH ADMIN OPTION` once. Copying
 * `CREATEDB` / `CREATEROLE` needs the master to hold that attribute. RDS's master user qualifies.
 */
export function alternatingUsersStrategy(options: ResolvedOptions): CredentialStrategy<PostgresSecret> {
  const settings = options.connection;
  const locator = options.locator;

  const parse = alternatingParse(parsePostgresSecret, assertClonable);

  return {
    type: 'postgres',
    variant: 'alternating-users',
    ...alternatingMembers(parse, serializePostgresSecret, options.passwordLength),

    async set(pending, current, _previous, ctx) {
      assertPartner(pending, current, 'pending');
      assertSameDatabase(pending, current);
      const { where, master } = await locateWithMaster(locator, current, ctx, parsePostgresCredentials);
      const secrets = [pending.password, current.password, master.password];
      // Confused-deputy check: whoever wrote this secret must know the current password before the
      // master changes anything on its behalf (read-only: a read replica answers it too).
      await proveLogin(settings, at(current, where), 'setSecret: proving the current credentials', secrets);
      // The pending password is asserted (created or set) on every run rather than probed first:
      // setting it again is harmless for anyone who already holds it, and saves a login.
      const verifier = await scramSha256Verifier(pending.password);
      let changedOn: Endpoint;
      try {
        changedOn = await onMasterWriter(locator, current, master, ctx, (endpoint) =>
          withSession(
            settings,
            masterLogin(master, current, endpoint),
            'setSecret: logging in as the master user',
            secrets,
            async (session) => {
              const { state, inRecovery } = await readRoles(session, baseUsername(pending.username));
              if (inRecovery) return standby(session, 'setSecret');
              // The pending user is the previous credential: its clients must have moved first.
              if (state.roles.has(pending.username)) {
                assertResettable(
                  await countSessions(session, pending.username, undefined, 'setSecret'),
                  pending.username,
                  current.username,
                  options,
                  ctx,
                );
              }
              await session.query(
                planSet(state, pending.username, verifier).join(';\n'),
                'setSecret: updating roles',
              );
              ctx.logger.info('pending user set and privileges synchronised', {
                ...who('setSecret', pending.username),
                outcome: state.roles.has(pending.username) ? 'changed' : 'created',
                base: state.base,
                host: endpoint.host,
              });
              return undefined;
            },
          ),
        );
      } catch (error) {
        throw redactError(error, [verifier]);
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
      const currentUser = await proveLogin(
        settings,
        at(pending, where),
        'testSecret: logging in with the pending credentials',
        [],
      );
      const base = baseUsername(pending.username);
      if (currentUser !== base) {
        throw new TargetError(
          `testSecret: sessions of "${pending.username}" act as "${currentUser}", expected the base role "${base}"`,
        );
      }
      ctx.logger.info('pending credentials work', {
        ...who('testSecret', pending.username),
        outcome: 'passed',
      });
    },

    /** Every live session of the old user counts (excluding this check's own), whenever it started. */
    async inUse(old, _since, ctx) {
      return withSession(
        settings,
        await masterLoginForSessions(locator, old, ctx, parsePostgresCredentials),
        'inUse: logging in as the master user',
        [old.password],
        (session) => countSessions(session, old.username, undefined),
      );
    },

    /** `ALTER ROLE <old> NOLOGIN`: existing sessions are not terminated; new logins fail. */
    async revoke(old, ctx) {
      await setLogin(old, false, ctx);
    },

    /** `ALTER ROLE <old> LOGIN`: undoes {@link revoke}. */
    async restore(old, ctx) {
      await setLogin(old, true, ctx);
    },
  };

  async function setLogin(old: PostgresSecret, login: boolean, ctx: StrategyContext): Promise<void> {
    const step = login ? 'restore' : 'revoke';
    const current = await currentForRevoke(ctx, parse, old, step, login ? undefined : 'disable');
    const master = await loadMaster(current, ctx, parsePostgresCredentials);
    await onMasterWriter(locator, current, master, ctx, (endpoint) =>
      withSession(
        settings,
        masterLogin(master, current, endpoint),
        `${step}: logging in as the master user`,
        [old.password],
        (session) =>
          writeUnlessStandby(session, step, () =>
            session.query(
              `ALTER ROLE ${quoteIdent(old.username)} WITH ${login ? 'LOGIN' : 'NOLOGIN'}`,
              `${step}: ALTER ROLE`,
            ),
          ),
      ),
    );
    ctx.logger.info(login ? 'old user can log in again' : 'old user can no longer log in', {
      ...who(step, old.username),
      outcome: login ? 'restored' : 'revoked',
    });
  }
}

const roleSchema = z.object({
  rolname: z.string(),
  rolinherit: z.boolean(),
  rolcreatedb: z.boolean(),
  rolcreaterole: z.boolean(),
  rolconnlimit: z.int(),
  rolvaliduntil: z.nullable(z.string()),
});
type Role = z.output<typeof roleSchema>;

const stateSchema = z.object({
  server_version: z.pipe(z.coerce.number(), z.int()),
  in_recovery: z.optional(z.boolean()),
  roles: z.nullable(z.array(roleSchema)),
});

/** What the master sees of the pair, read in one round trip. */
export interface RoleState {
  readonly serverVersion: number;
  readonly base: string;
  readonly clone: string;
  readonly roles: ReadonlyMap<string, Role>;
}

const ROLES_SQL = `SELECT current_setting('server_version_num')::int AS server_version,
  pg_is_in_recovery() AS in_recovery,
  (SELECT json_agg(json_build_object(
     'rolname', rolname, 'rolinherit', rolinherit, 'rolcreatedb', rolcreatedb, 'rolcreaterole', rolcreaterole,
     'rolconnlimit', rolconnlimit, 'rolvaliduntil', rolvaliduntil::text))
   FROM pg_roles WHERE rolname = ANY($1::text[])) AS roles`;

/** The pair's roles, and whether the server is a hot standby (read in the same round trip). */
async function readRoles(session: Session, base: string): Promise<{ state: RoleState; inRecovery: boolean }> {
  const clone = cloneUsername(base);
  const [row] = await session.query(ROLES_SQL, 'setSecret: reading roles', [[base, clone]]);
  const parsed = stateSchema.safeParse(row);
  if (!parsed.success) throw new TargetError('setSecret: unexpected answer reading pg_roles');
  const roles = new Map((parsed.data.roles ?? []).map((role) => [role.rolname, role]));
  return {
    state: { serverVersion: parsed.data.server_version, base, clone, roles },
    inRecovery: parsed.data.in_recovery === true,
  };
}

/** A role as `CREATE ROLE` makes it. */
const NEW_ROLE: Omit<Role, 'rolname'> = {
  rolinherit: true,
  rolcreatedb: false,
  rolcreaterole: false,
  rolconnlimit: -1,
  rolvaliduntil: null,
};

/**
 * The statements `set` runs as the master, in one transaction. Pure, so unit tests can read them.
 * Attribute clauses are emitted only where the clone differs from the base (an unchanged
 * attribute needs no privilege), the membership and the role setting always (both idempotent).
 */
export function planSet(state: RoleState, pending: string, verifier: string): string[] {
  const { base, clone } = state;
  const password = `LOGIN PASSWORD ${quoteLiteral(verifier)}`;
  const statements = ['BEGIN'];
  statements.push(
    state.roles.has(pending)
      ? `ALTER ROLE ${quoteIdent(pending)} WITH ${password}`
      : `CREATE ROLE ${quoteIdent(pending)} WITH ${password}`,
  );
  const baseRole = state.roles.get(base) ?? { rolname: base, ...NEW_ROLE };
  const cloneRole = state.roles.get(clone) ?? { rolname: clone, ...NEW_ROLE };
  const clauses: string[] = [];
  const flag = (on: boolean, name: string) => (on ? name : `NO${name}`);
  if (baseRole.rolinherit !== cloneRole.rolinherit) clauses.push(flag(baseRole.rolinherit, 'INHERIT'));
  if (baseRole.rolcreatedb !== cloneRole.rolcreatedb) clauses.push(flag(baseRole.rolcreatedb, 'CREATEDB'));
  if (baseRole.rolcreaterole !== cloneRole.rolcreaterole)
    clauses.push(flag(baseRole.rolcreaterole, 'CREATEROLE'));
  if (baseRole.rolconnlimit !== cloneRole.rolconnlimit)
    clauses.push(`CONNECTION LIMIT ${baseRole.rolconnlimit}`);
  // No expiry reads back as NULL or 'infinity', depending on how it was set: the same thing.
  if ((baseRole.rolvaliduntil ?? 'infinity') !== (cloneRole.rolvaliduntil ?? 'infinity')) {
    clauses.push(`VALID UNTIL ${quoteLiteral(baseRole.rolvaliduntil ?? 'infinity')}`);
  }
  if (clauses.length > 0) statements.push(`ALTER ROLE ${quoteIdent(clone)} WITH ${clauses.join(' ')}`);
  statements.push(
    state.serverVersion >= 160000
      ? `GRANT ${quoteIdent(base)} TO ${quoteIdent(clone)} WITH INHERIT TRUE, SET TRUE`
      : `GRANT ${quoteIdent(base)} TO ${quoteIdent(clone)}`,
  );
  statements.push(`ALTER ROLE ${quoteIdent(clone)} SET role = ${quoteLiteral(base)}`);
  statements.push('COMMIT');
  return statements;
}
