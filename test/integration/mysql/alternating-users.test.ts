import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlStrategy, type MysqlSecret } from '../../../lambdas/credentials/mysql';
import type { MysqlConnect } from '../../../lambdas/credentials/mysql/connection';
import { noPrevious } from '../../../lambdas/rotation/strategy';
import { CredentialTestError, RotationRefusedError, TargetError } from '../../../lambdas/shared/errors';
import { startMariaDb, type TestMariaDb } from '../../../local/mariadb';
import {
  canLogin,
  context,
  failingConnect,
  grantsOf,
  leakWatch,
  login,
  MASTER_ARN,
  queryAs,
  SECRET_ID,
  secretJson,
} from './harness';

let server: TestMariaDb;
const watch = leakWatch();
const master = { username: 'rds_master', password: '' };
let counter = 0;

beforeAll(async () => {
  server = await startMariaDb({ generalLog: true });
  master.password = watch.password('Master-passw0rd-0123456789abcdef');
  // What RDS for MariaDB gives its master user: no SUPER, but CREATE USER, PROCESS and the
  // ordinary privileges WITH GRANT OPTION.
  await server.query(`CREATE USER '${master.username}'@'%' IDENTIFIED BY '${master.password}'`);
  await server.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER,
       SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, BINLOG MONITOR,
       CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER
     ON *.* TO '${master.username}'@'%' WITH GRANT OPTION`,
  );
});

afterAll(async () => {
  try {
    watch.assertNoLeak();
  } finally {
    await server?.stop();
  }
});

/** Runs SQL as the master, as an operator on RDS would. */
async function asMaster(...statements: string[]): Promise<void> {
  const connection = await login(server, master.username, master.password);
  try {
    for (const sql of statements) await connection.query(sql);
  } finally {
    await connection.end();
  }
}

interface Pair {
  readonly base: string;
  readonly clone: string;
  readonly password: string;
  /** A database whose name needs quoting: a doubled backtick and the word TO. */
  readonly db: string;
  readonly role: string;
}

/**
 * A base user made by the master (as on RDS): REQUIRE SSL, resource limits, database and column
 * privileges on oddly named objects, a role held WITH ADMIN OPTION and set as the default role.
 */
async function freshPair(): Promise<Pair> {
  counter += 1;
  const base = `app${counter}`;
  const password = watch.password(`Base-passw0rd-${counter}-${'y'.repeat(16)}`);
  const db = `sh\`\`op TO ${counter}`;
  const role = `reader${counter}`;
  await asMaster(
    `CREATE USER '${base}'@'%' IDENTIFIED BY '${password}' REQUIRE SSL WITH MAX_QUERIES_PER_HOUR 5000 MAX_USER_CONNECTIONS 7`,
    `CREATE DATABASE \`${db}\``,
    `CREATE TABLE \`${db}\`.\`or'ders\` (id int, \`no\`\`te\` text)`,
    `INSERT INTO \`${db}\`.\`or'ders\` VALUES (1, 'x')`,
    `GRANT SELECT, INSERT ON \`${db}\`.* TO '${base}'@'%'`,
    `GRANT UPDATE (\`no\`\`te\`) ON \`${db}\`.\`or'ders\` TO '${base}'@'%'`,
    `CREATE ROLE ${role}`,
    `GRANT SELECT ON mysql.db TO ${role}`,
    `GRANT ${role} TO '${base}'@'%' WITH ADMIN OPTION`,
    `SET DEFAULT ROLE ${role} FOR '${base}'@'%'`,
  );
  return { base, clone: `${base}_clone`, password, db, role };
}

function setup(pair: Pair, options: { kinds?: string[]; connect?: MysqlConnect } = {}) {
  const strategy = createMysqlStrategy({
    mode: 'alternating-users',
    tls: { mode: 'verify-full', ca: server.ca },
    ...(options.kinds && { onRoundTrip: (kind: 'connect' | 'query') => options.kinds?.push(kind) }),
    ...(options.connect && { connect: options.connect }),
  });
  const current = strategy.parse(secretJson(server, pair.base, pair.password, { masterarn: MASTER_ARN }));
  // A master secret with credentials and its own host and port (the master never connects where
  // only the rotated secret points; RDS-managed master secrets are covered in test/integration/rds).
  const { ctx, secrets, lines } = context(watch, {
    [MASTER_ARN]: JSON.stringify({
      host: 'localhost',
      port: server.port,
      username: master.username,
      password: master.password,
    }),
    [SECRET_ID]: strategy.serialize(current),
  });
  return { strategy, current, ctx, secrets, lines };
}

type Setup = ReturnType<typeof setup>;

/** One full rotation (create, set, test, then what finishSecret does to AWSCURRENT). */
async function rotate(s: Setup, current: MysqlSecret): Promise<MysqlSecret> {
  const pending = await s.strategy.create(current, s.ctx);
  watch.password(pending.password);
  await s.strategy.set(pending, current, noPrevious, s.ctx);
  await s.strategy.test(pending, s.ctx);
  s.secrets[SECRET_ID] = s.strategy.serialize(pending);
  return pending;
}

async function createUserOf(user: string): Promise<string> {
  const [row] = await server.query(`SHOW CREATE USER '${user}'@'%'`);
  return String(Object.values(row ?? {})[0])
    .replaceAll(`\`${user}\`@\`%\``, '<user>')
    .replace(/'\*[0-9A-F]{40}'/, '<hash>');
}

describe('Alternating-users rotation against MariaDB', () => {
  it('creates the clone with the same grants, REQUIRE SSL and limits, and keeps the base working', async () => {
    const pair = await freshPair();
    const kinds: string[] = [];
    const s = setup(pair, { kinds });

    const pending = await rotate(s, s.current);

    expect(pending.username).toBe(pair.clone);
    expect(await grantsOf(server, pair.clone)).toEqual(await grantsOf(server, pair.base));
    expect(await createUserOf(pair.clone)).toEqual(await createUserOf(pair.base));
    expect(await createUserOf(pair.clone)).toMatch(
      /REQUIRE SSL WITH MAX_QUERIES_PER_HOUR 5000 MAX_USER_CONNECTIONS 7/,
    );
    // REQUIRE SSL is enforced on the clone: no plaintext login even with the right password.
    expect(await canLogin(server, pair.clone, pending.password, false)).toBe(false);
    expect(await canLogin(server, pair.clone, pending.password)).toBe(true);
    // The clone uses its privileges: column UPDATE on an oddly named table, and the default role.
    await queryAs(
      server,
      pair.clone,
      pending.password,
      `UPDATE \`${pair.db}\`.\`or'ders\` SET \`no\`\`te\` = 'y'`,
    );
    expect(await queryAs(server, pair.clone, pending.password, 'SELECT CURRENT_ROLE() AS r')).toEqual([
      { r: pair.role },
    ]);
    expect(await canLogin(server, pair.base, pair.password)).toBe(true);
    // current: connect+hello; master: connect+hello+2 reads+create+5 grant statements+alter; test: connect+hello
    expect(kinds.filter((k) => k === 'connect')).toHaveLength(3);
    expect(server.generalLog()).not.toContain(pending.password);
  });

  it('replays the current grants on every rotation: additions, removals, and drift on the other user', async () => {
    const pair = await freshPair();
    const s = setup(pair);
    const clone = await rotate(s, s.current);

    // Between rotations: the current user (the clone) gains a privilege and loses another, and
    // someone grants the idle base user something extra.
    await asMaster(
      `CREATE TABLE \`${pair.db}\`.audit (x int)`,
      `GRANT DELETE ON \`${pair.db}\`.* TO '${pair.clone}'@'%'`,
      `REVOKE INSERT ON \`${pair.db}\`.* FROM '${pair.clone}'@'%'`,
      `GRANT CREATE ON \`${pair.db}\`.* TO '${pair.base}'@'%'`,
    );
    const base = await rotate(s, clone);

    expect(base.username).toBe(pair.base);
    expect(await grantsOf(server, pair.base)).toEqual(await grantsOf(server, pair.clone));
    await queryAs(server, pair.base, base.password, `DELETE FROM \`${pair.db}\`.audit`);
    await expect(
      queryAs(server, pair.base, base.password, `INSERT INTO \`${pair.db}\`.audit VALUES (1)`),
    ).rejects.toThrow(/command denied/);
    await expect(
      queryAs(server, pair.base, base.password, `CREATE TABLE \`${pair.db}\`.sneaky (x int)`),
    ).rejects.toThrow(/command denied/);
    expect(await canLogin(server, pair.clone, clone.password)).toBe(true);

    // And once more, back to the clone, which still matches.
    const clone2 = await rotate(s, base);
    expect(await grantsOf(server, pair.clone)).toEqual(await grantsOf(server, pair.base));
    expect(await canLogin(server, pair.clone, clone.password)).toBe(false);
    expect(await canLogin(server, pair.clone, clone2.password)).toBe(true);
  });

  it('copies changed REQUIRE options and limits at the next rotation', async () => {
    const pair = await freshPair();
    const s = setup(pair);
    const clone = await rotate(s, s.current);
    await asMaster(
      `ALTER USER '${pair.clone}'@'%' REQUIRE NONE WITH MAX_USER_CONNECTIONS 3 MAX_STATEMENT_TIME 10`,
    );

    const base = await rotate(s, clone);

    expect(await createUserOf(pair.base)).toEqual(await createUserOf(pair.clone));
    expect(await createUserOf(pair.base)).not.toMatch(/REQUIRE SSL/);
    expect(await canLogin(server, pair.base, base.password, false)).toBe(true);
  });

  it.each([
    ['off', ''],
    ['on', ',NO_BACKSLASH_ESCAPES'],
  ])(
    'replays grants on names with quotes and backslashes exactly (NO_BACKSLASH_ESCAPES %s)',
    async (_state, extraMode) => {
      const pair = await freshPair();
      // Names written with backticks: a quote and a backslash are ordinary characters there.
      const db = `q'b\\s ${pair.base}`;
      const role = `r'o\\le${pair.base}`;
      await asMaster(
        `CREATE DATABASE \`${db}\``,
        `CREATE TABLE \`${db}\`.\`t"1\` (\`c'\\\` int)`,
        `GRANT SELECT (\`c'\\\`) ON \`${db}\`.\`t"1\` TO '${pair.base}'@'%'`,
        `CREATE ROLE \`${role}\``,
        `GRANT \`${role}\` TO '${pair.base}'@'%'`,
        `SET DEFAULT ROLE \`${role}\` FOR '${pair.base}'@'%'`,
      );
      const [mode] = await server.query<{ m: string }>('SELECT @@GLOBAL.sql_mode AS m');
      const original = String(mode?.m ?? '');
      // The strategy's sessions inherit the global mode and must escape for it.
      await server.query(`SET GLOBAL sql_mode = '${original}${extraMode}'`);
      try {
        const s = setup(pair);
        const [hello] = await queryAs(server, pair.base, pair.password, 'SELECT @@SESSION.sql_mode AS m');
        expect(String(hello?.m).includes('NO_BACKSLASH_ESCAPES')).toBe(extraMode !== '');
        const clone = await rotate(s, s.current);
        expect(await grantsOf(server, pair.clone)).toEqual(await grantsOf(server, pair.base));
        expect(await grantsOf(server, pair.clone)).toContain(`SET DEFAULT ROLE \`${role}\` FOR <grantee>`);
        expect(
          await queryAs(server, pair.clone, clone.password, `SELECT \`c'\\\` FROM \`${db}\`.\`t"1\``),
        ).toEqual([]);
      } finally {
        await server.query(`SET GLOBAL sql_mode = '${original}'`);
      }
    },
  );

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
    expect(error.message).toMatch(/proving the current credentials: cannot log in/);
    expect(await server.query(`SELECT User FROM mysql.user WHERE User = '${pair.clone}'`)).toEqual([]);

    // Once the clone exists, a forged rotation does not touch the other user's password either.
    const clone = await rotate(s, s.current);
    const before = await server.query(
      `SELECT authentication_string AS a FROM mysql.user WHERE User = '${pair.base}'`,
    );
    const forgedClone = { ...clone, password: watch.password('Forged-passw0rd-yyyyyyyyyyyyyy') };
    const next = await s.strategy.create(forgedClone, s.ctx);
    watch.password(next.password);
    watch.error(await s.strategy.set(next, forgedClone, noPrevious, s.ctx).catch((e: unknown) => e));
    expect(
      await server.query(`SELECT authentication_string AS a FROM mysql.user WHERE User = '${pair.base}'`),
    ).toEqual(before);
    expect(await canLogin(server, pair.base, pair.password)).toBe(true);
  });

  it('reports sessions of the old user, locks it without killing sessions, and unlocks it', async () => {
    const pair = await freshPair();
    const s = setup(pair);
    const old = s.current;
    const clone = await rotate(s, s.current);
    // The database's name: `pair.db` is written for a backtick-quoted identifier.
    const database = pair.db.replaceAll('``', '`');
    const session = await login(server, pair.base, pair.password, true, database);
    try {
      const report = await s.strategy.inUse?.(old, new Date(), s.ctx);
      expect(report?.inUse).toBe(true);
      expect(report?.evidence).toBe(`1 session of ${pair.base} from 127.0.0.1 (0 running a statement)`);
      // The straggler is named: user@host, its database, how long idle.
      expect(report?.stragglers).toEqual([
        {
          identity: `${pair.base}@127.0.0.1 (database ${database})`,
          from: '127.0.0.1',
          lastSeen: expect.any(Date),
          evidence: expect.stringMatching(
            /^1 session in information_schema\.PROCESSLIST \(0 running a statement, the least idle \d+ s\)$/,
          ),
        },
      ]);
      watch.see(JSON.stringify(report));
      expect((await s.strategy.inUse?.(clone, new Date(), s.ctx))?.inUse).toBe(false);

      await s.strategy.revoke?.(old, s.ctx);
      expect(await canLogin(server, pair.base, pair.password)).toBe(false);
      await expect(login(server, pair.base, pair.password)).rejects.toThrow(/this account is locked/);
      const [rows] = await session.query('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
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

    // The next rotation moves back onto the locked user and unlocks it.
    await s.strategy.revoke?.(old, s.ctx);
    const base = await rotate(s, clone);
    expect(await canLogin(server, pair.base, base.password)).toBe(true);
  });

  it('refuses to reset the other user while it has sessions, and resets it when an emergency rollout carries the rotation', async () => {
    // GIVEN a rotation base -> clone, and a client still logged in as the base
    const pair = await freshPair();
    const s = setup(pair);
    const clone = await rotate(s, s.current);
    const straggler = await login(server, pair.base, pair.password);
    const next = await s.strategy.create(clone, s.ctx);
    watch.password(next.password);
    try {
      // WHEN the next rotation would reset the base
      const error = watch.error(
        await s.strategy.set(next, clone, noPrevious, s.ctx).catch((e: unknown) => e),
      );

      // THEN it refuses, naming the user and its sessions, and the client keeps logging in
      expect(error).toBeInstanceOf(RotationRefusedError);
      expect((error as RotationRefusedError).reason).toBe('user-in-use');
      expect(error.message).toContain(`1 session of ${pair.base} from 127.0.0.1`);
      expect(await canLogin(server, pair.base, pair.password)).toBe(true);

      // An emergency rollout's rotation resets it anyway (its sessions stay open)
      await s.strategy.set(next, clone, noPrevious, {
        ...s.ctx,
        rollout: {
          holder: 'arn:aws:states:us-east-1:123456789012:execution:Handover-rollout:emergency-1',
          mode: 'emergency',
          leaseUntil: new Date(Date.now() + 3600_000).toISOString(),
        },
      });
      expect(await canLogin(server, pair.base, next.password)).toBe(true);
      expect(await canLogin(server, pair.base, pair.password)).toBe(false);
      const [rows] = await straggler.query('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await straggler.end();
    }
  });

  describe('a failure injected before or after any statement of setSecret, then a re-run', () => {
    // Count the statements of a clean first rotation once, then fail each of them in turn.
    let statements: string[] = [];
    beforeAll(async () => {
      const pair = await freshPair();
      const counting = failingConnect(Number.POSITIVE_INFINITY, 'before');
      const s = setup(pair, { connect: counting.connect });
      await rotate(s, s.current);
      statements = counting.statements.map((sql) => sql.split(/\s+/).slice(0, 2).join(' '));
      expect(statements).toEqual([
        'SELECT User',
        'SHOW GRANTS',
        'CREATE USER',
        'GRANT SELECT,',
        'GRANT UPDATE',
        `GRANT \`reader${counter}\``,
        'SET DEFAULT',
        'ALTER USER',
      ]);
    });

    it.each(
      Array.from({ length: 8 }, (_, i) => i + 1).flatMap((n) => [
        [n, 'before'] as const,
        [n, 'after'] as const,
      ]),
    )('converges when statement %i fails %s reaching the server', async (n, when) => {
      const pair = await freshPair();
      const failing = failingConnect(n, when);
      const s = setup(pair, { connect: failing.connect });
      const pending = await s.strategy.create(s.current, s.ctx);
      watch.password(pending.password);

      const error = watch.error(
        await s.strategy.set(pending, s.current, noPrevious, s.ctx).catch((e: unknown) => e),
      );
      expect(error.message).toMatch(new RegExp(`injected failure ${when} statement ${n}`));
      // Until the final ALTER USER has run, the pending user cannot log in (created locked).
      const finished = n === statements.length && when === 'after';
      expect(await canLogin(server, pair.clone, pending.password)).toBe(finished);
      expect(await canLogin(server, pair.base, pair.password)).toBe(true);

      const retry = setup(pair);
      await retry.strategy.set(pending, s.current, noPrevious, retry.ctx);
      await retry.strategy.test(pending, retry.ctx);
      expect(await grantsOf(server, pair.clone)).toEqual(await grantsOf(server, pair.base));
      expect(await createUserOf(pair.clone)).toEqual(await createUserOf(pair.base));
      expect(await canLogin(server, pair.clone, pending.password)).toBe(true);
    });
  });
});
