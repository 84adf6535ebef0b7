import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStrategy, type PostgresSecret } from '../../../lambdas/credentials/postgres';
import { noPrevious } from '../../../lambdas/rotation/strategy';
import { CredentialTestError, RotationRefusedError, TargetError } from '../../../lambdas/shared/errors';
import { startPostgres, type TestPostgres } from '../../../local/postgres';
import { canLogin, context, leakWatch, login, MASTER_ARN, queryAs, SECRET_ID, secretJson } from './harness';

let server: TestPostgres;
const watch = leakWatch();
const master = { username: 'rotation_master', password: '' };
let counter = 0;

beforeAll(async () => {
  server = await startPostgres();
  master.password = watch.password('Master-passw0rd-0123456789abcdef');
  // Not a superuser: what RDS gives its master user that matters here is CREATEROLE (+ CREATEDB).
  await server.query(
    `CREATE ROLE ${master.username} LOGIN CREATEROLE CREATEDB PASSWORD '${master.password}'`,
  );
  // Like RDS's rds_superuser (a member of pg_monitor): lets inUse see client addresses.
  await server.query(`GRANT pg_read_all_stats TO ${master.username}`);
});

afterAll(async () => {
  watch.assertNoLeak();
  await server?.stop();
});

interface Pair {
  readonly base: string;
  readonly clone: string;
  readonly password: string;
  readonly schema: string;
  readonly table: string;
}

/** A base role created by the master (as on RDS), with a schema it may create in and a table it may read. */
async function freshPair(): Promise<Pair> {
  counter += 1;
  const base = `app${counter}`;
  const password = watch.password(`Base-passw0rd-${counter}-${'y'.repeat(16)}`);
  const client = await login(server, master.username, master.password);
  try {
    await client.query(`CREATE ROLE ${base} LOGIN PASSWORD '${password}'`);
  } finally {
    await client.end();
  }
  const schema = `s${counter}`;
  const table = `${schema}.orders`;
  await server.query(`CREATE SCHEMA ${schema}`);
  await server.query(`GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${base}`);
  await server.query(`CREATE TABLE ${table} (id int)`);
  await server.query(`GRANT SELECT ON ${table} TO ${base}`);
  return { base, clone: `${base}_clone`, password, schema, table };
}

function setup(pair: Pair, kinds: string[] = [], options: { resetUserInUse?: boolean } = {}) {
  const strategy = createPostgresStrategy({
    mode: 'alternating-users',
    tls: { mode: 'verify-full', ca: server.ca },
    onRoundTrip: (kind) => kinds.push(kind),
    ...options,
  });
  const current = strategy.parse(secretJson(server, pair.base, pair.password, { masterarn: MASTER_ARN }));
  // A master secret with credentials and its own host and port (the master never connects where
  // only the rotated secret points; RDS-managed master secrets are covered in test/integration/rds).
  const { ctx, secrets, lines } = context(watch, {
    [MASTER_ARN]: JSON.stringify({
      host: server.host,
      port: server.port,
      username: master.username,
      password: master.password,
    }),
    [SECRET_ID]: strategy.serialize(current),
  });
  return { strategy, current, ctx, secrets, lines, kinds };
}

type Setup = ReturnType<typeof setup>;

/** One full rotation (create, set, test, then what finishSecret does to AWSCURRENT). */
async function rotate(s: Setup, current: PostgresSecret): Promise<PostgresSecret> {
  const pending = await s.strategy.create(current, s.ctx);
  watch.password(pending.password);
  await s.strategy.set(pending, current, noPrevious, s.ctx);
  await s.strategy.test(pending, s.ctx);
  s.secrets[SECRET_ID] = s.strategy.serialize(pending);
  return pending;
}

async function role(name: string) {
  const [row] = await server.query<{
    rolcanlogin: boolean;
    rolcreatedb: boolean;
    rolconnlimit: number;
    rolvaliduntil: string | null;
    rolpassword: string | null;
    rolconfig: string[] | null;
  }>(
    `SELECT r.rolcanlogin, r.rolcreatedb, r.rolconnlimit, r.rolvaliduntil::date::text AS rolvaliduntil, a.rolpassword, r.rolconfig
     FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1`,
    [name],
  );
  return row;
}

describe('Alternating-users rotation against PostgreSQL', () => {
  it('creates the clone, which acts as the base role, and keeps the base working', async () => {
    const pair = await freshPair();
    const s = setup(pair);
    expect(await role(pair.clone)).toBeUndefined();

    const pending = await rotate(s, s.current);

    expect(pending.username).toBe(pair.clone);
    expect(
      await queryAs(
        server,
        pair.clone,
        pending.password,
        'SELECT session_user::text AS s, current_user::text AS c',
      ),
    ).toEqual([{ s: pair.clone, c: pair.base }]);
    expect(
      await queryAs(server, pair.clone, pending.password, `SELECT count(*)::int AS n FROM ${pair.table}`),
    ).toEqual([{ n: 0 }]);
    expect(await canLogin(server, pair.base, pair.password)).toBe(true);
    // connect+query (current proves itself), connect+2 queries (master), connect+query (test)
    expect(s.kinds).toEqual(['connect', 'query', 'connect', 'query', 'query', 'connect', 'query']);
    expect((await role(pair.clone))?.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(server.serverLog()).not.toContain(pending.password);
  });

  it('shares privileges, memberships and object ownership, and re-syncs attributes on every rotation', async () => {
    const pair = await freshPair();
    const s = setup(pair);
    const clone = await rotate(s, s.current);

    // A privilege granted to the base after the clone exists is the clone's too.
    await server.query(`GRANT INSERT ON ${pair.table} TO ${pair.base}`);
    await queryAs(server, pair.clone, clone.password, `INSERT INTO ${pair.table} VALUES (1)`);
    // So is a membership added to the base.
    await server.query(`CREATE ROLE reporting${pair.base} NOLOGIN`);
    await server.query(`CREATE TABLE ${pair.schema}.report (x int)`);
    await server.query(`GRANT SELECT ON ${pair.schema}.report TO reporting${pair.base}`);
    await server.query(`GRANT USAGE ON SCHEMA ${pair.schema} TO reporting${pair.base}`);
    await server.query(`GRANT reporting${pair.base} TO ${pair.base}`);
    expect(
      await queryAs(
        server,
        pair.clone,
        clone.password,
        `SELECT count(*)::int AS n FROM ${pair.schema}.report`,
      ),
    ).toEqual([{ n: 0 }]);
    // An object the clone creates belongs to the base, which can use and drop it.
    await queryAs(server, pair.clone, clone.password, `CREATE TABLE ${pair.schema}.made_by_clone (x int)`);
    const [owner] = await server.query<{ owner: string }>(
      `SELECT tableowner AS owner FROM pg_tables WHERE schemaname = $1 AND tablename = 'made_by_clone'`,
      [pair.schema],
    );
    expect(owner?.owner).toBe(pair.base);
    await queryAs(server, pair.base, pair.password, `INSERT INTO ${pair.schema}.made_by_clone VALUES (1)`);

    // Attributes changed on the base between rotations reach the clone at the next rotation,
    // and damage to the membership or the role setting is repaired.
    await server.query(`ALTER ROLE ${pair.base} CREATEDB CONNECTION LIMIT 7 VALID UNTIL '2099-01-01'`);
    await server.query(`REVOKE ${pair.base} FROM ${pair.clone} GRANTED BY ${master.username}`);
    await server.query(`ALTER ROLE ${pair.clone} RESET role`);
    const base = await rotate(s, clone);
    expect(base.username).toBe(pair.base);
    expect(await role(pair.clone)).toMatchObject({
      rolcreatedb: true,
      rolconnlimit: 7,
      rolvaliduntil: '2099-01-01',
      rolconfig: [`role=${pair.base}`],
    });
    expect(await queryAs(server, pair.clone, clone.password, 'SELECT current_user::text AS c')).toEqual([
      { c: pair.base },
    ]);
    expect(await canLogin(server, pair.base, pair.password)).toBe(false);
    expect(await canLogin(server, pair.base, base.password)).toBe(true);

    // And once more, back to the clone.
    const clone2 = await rotate(s, base);
    expect(await canLogin(server, pair.clone, clone.password)).toBe(false);
    await queryAs(server, pair.clone, clone2.password, `DROP TABLE ${pair.schema}.made_by_clone`);
  });

  it('is idempotent: set runs twice and after a partial failure, and converges', async () => {
    const pair = await freshPair();
    const s = setup(pair);
    const pending = await s.strategy.create(s.current, s.ctx);
    watch.password(pending.password);
    await s.strategy.set(pending, s.current, noPrevious, s.ctx);
    await s.strategy.set(pending, s.current, noPrevious, s.ctx);
    await s.strategy.test(pending, s.ctx);
    // A failure halfway (the membership lost) is repaired by running set again.
    await server.query(`REVOKE ${pair.base} FROM ${pair.clone} GRANTED BY ${master.username}`);
    await expect(s.strategy.test(pending, s.ctx)).rejects.toThrow();
    await s.strategy.set(pending, s.current, noPrevious, s.ctx);
    await s.strategy.test(pending, s.ctx);
  });

  it('refuses to act when the current credentials do not log in (confused deputy)', async () => {
    const pair = await freshPair();
    const s = setup(pair);
    const forged = { ...s.current, password: watch.password('Forged-passw0rd-zzzzzzzzzzzzzz') };
    const pending = await s.strategy.create(forged, s.ctx);
    watch.password(pending.password);

    const error = watch.error(
      await s.strategy.set(pending, forged, noPrevious, s.ctx).catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(/confused|proving the current credentials/);
    expect(await role(pair.clone)).toBeUndefined();

    // Once the clone exists, a forged rotation does not touch the other user's password either.
    const clone = await rotate(s, s.current);
    const before = await role(pair.base);
    const forgedClone = { ...clone, password: watch.password('Forged-passw0rd-yyyyyyyyyyyyyy') };
    const next = await s.strategy.create(forgedClone, s.ctx);
    watch.password(next.password);
    watch.error(await s.strategy.set(next, forgedClone, noPrevious, s.ctx).catch((e: unknown) => e));
    expect((await role(pair.base))?.rolpassword).toBe(before?.rolpassword);
    expect(await canLogin(server, pair.base, pair.password)).toBe(true);
  });

  it('reports sessions of the old user, revokes it without killing sessions, and restores it', async () => {
    const pair = await freshPair();
    const s = setup(pair);
    const old = s.current;
    const clone = await rotate(s, s.current);
    const session = await login(server, pair.base, pair.password, 'billing-report');
    try {
      const report = await s.strategy.inUse?.(old, new Date(), s.ctx);
      expect(report?.inUse).toBe(true);
      expect(report?.evidence).toMatch(new RegExp(`^1 session of ${pair.base} from 127\\.0\\.0\\.1`));
      // The straggler is named: who (user and application), where from, since when.
      expect(report?.stragglers).toHaveLength(1);
      expect(report?.stragglers?.[0]).toMatchObject({
        identity: `${pair.base} (application billing-report)`,
        from: '127.0.0.1',
        evidence: expect.stringMatching(/^1 session in pg_stat_activity \(0 active\), backend start \d{4}-/),
      });
      expect(report?.stragglers?.[0]?.lastSeen).toBeInstanceOf(Date);
      watch.see(JSON.stringify(report));
      expect((await s.strategy.inUse?.(clone, new Date(), s.ctx))?.inUse).toBe(false);

      await s.strategy.revoke?.(old, s.ctx);
      expect(await canLogin(server, pair.base, pair.password)).toBe(false);
      expect((await session.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await s.strategy.revoke?.(old, s.ctx); // idempotent

      await s.strategy.restore?.(old, s.ctx);
      expect(await canLogin(server, pair.base, pair.password)).toBe(true);
    } finally {
      await session.end();
    }

    // Never the current user.
    const refused = watch.error(await s.strategy.revoke?.(clone, s.ctx).catch((e: unknown) => e));
    expect(refused).toBeInstanceOf(TargetError);
    expect(await canLogin(server, pair.clone, clone.password)).toBe(true);

    // The next rotation moves back onto the revoked user and re-enables its login.
    await s.strategy.revoke?.(old, s.ctx);
    const base = await rotate(s, clone);
    expect(await canLogin(server, pair.base, base.password)).toBe(true);
  });

  describe('a rotation while clients still hold the other user (the interlock)', () => {
    /** A rotation base -> clone, a client still logged in as the base, and the next pending value (the base again). */
    async function overlap(options: { resetUserInUse?: boolean } = {}) {
      const pair = await freshPair();
      const s = setup(pair, [], options);
      const clone = await rotate(s, s.current);
      const straggler = await login(server, pair.base, pair.password);
      const next = await s.strategy.create(clone, s.ctx);
      watch.password(next.password);
      return { pair, s, clone, straggler, next };
    }

    it('refuses to reset the other user while it has sessions, names who holds it, and changes nothing', async () => {
      const { pair, s, clone, straggler, next } = await overlap();
      try {
        const error = watch.error(
          await s.strategy.set(next, clone, noPrevious, s.ctx).catch((e: unknown) => e),
        );

        expect(error).toBeInstanceOf(RotationRefusedError);
        expect((error as RotationRefusedError).reason).toBe('user-in-use');
        expect((error as Error).message).toContain(
          `user "${pair.base}" of secret ${SECRET_ID} is still in use`,
        );
        expect((error as Error).message).toMatch(new RegExp(`1 session of ${pair.base} from 127.0.0.1`));
        expect((error as Error).message).toContain(`user "${pair.clone}"`);
        // The clients on the old user keep logging in.
        expect(await canLogin(server, pair.base, pair.password)).toBe(true);
        expect(await canLogin(server, pair.base, next.password)).toBe(false);
      } finally {
        await straggler.end();
      }

      // Once they have moved, the retried rotation goes through.
      await s.strategy.set(next, clone, noPrevious, s.ctx);
      expect(await canLogin(server, pair.base, next.password)).toBe(true);
    });

    it('resets it when an emergency rollout carries the rotation, and logs who will fail', async () => {
      const { pair, s, clone, straggler, next } = await overlap();
      try {
        const emergency = {
          ...s.ctx,
          rollout: {
            holder: 'arn:aws:states:us-east-1:123456789012:execution:Handover-rollout:emergency-1',
            mode: 'emergency' as const,
            leaseUntil: new Date(Date.now() + 3600_000).toISOString(),
          },
        };

        await s.strategy.set(next, clone, noPrevious, emergency);

        expect(await canLogin(server, pair.base, next.password)).toBe(true);
        expect(await canLogin(server, pair.base, pair.password)).toBe(false);
        expect((await straggler.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        expect(s.lines.join('\n')).toMatch(/"outcome":"reset-in-use".*emergency rollout/);
      } finally {
        await straggler.end();
      }
    });

    it('resets it with resetUserInUse set for the secret', async () => {
      const { pair, s, clone, straggler, next } = await overlap({ resetUserInUse: true });
      try {
        await s.strategy.set(next, clone, noPrevious, s.ctx);

        expect(await canLogin(server, pair.base, next.password)).toBe(true);
        expect(s.lines.join('\n')).toMatch(/"outcome":"reset-in-use".*resetUserInUse is set/);
      } finally {
        await straggler.end();
      }
    });
  });
});
