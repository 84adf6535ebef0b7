import { describe, expect, it } from 'vitest';
import { MasterEndpointError } from '../../../../lambdas/credentials/database/rds';
import {
  ConnectionError,
  createMysqlStrategy,
  type MysqlMode,
  type MysqlSecret,
  nativePasswordHash,
  ownPasswordStatement,
  parseServerVersion,
  retainStatement,
} from '../../../../lambdas/credentials/mysql';
import { GrantParseError } from '../../../../lambdas/credentials/mysql/grants';
import { noPrevious, type PreviousReader } from '../../../../lambdas/rotation/strategy';
import {
  CredentialTestError,
  HandoverError,
  SecretFormatError,
  TargetError,
} from '../../../../lambdas/shared/errors';
import { fakeContext, fakeMysql, masterAnswers, mysqlError, rejection, userRow } from './fakes';

const MASTER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf';
const SECRET_ID = fakeContext().ctx.secretId;
const P = {
  current: 'Current-passw0rd-aaaaaaaaaaaaaaaa',
  pending: 'Pending-passw0rd-bbbbbbbbbbbbbbbb',
  previous: 'Previous-passw0rd-cccccccccccccccc',
  master: 'Master-passw0rd-dddddddddddddddd',
};
const ALL_PASSWORDS = [...Object.values(P), nativePasswordHash(P.pending)];
const MARIADB = '10.11.19-MariaDB-0+deb12u1-log';

const secretJson = (username: string, password: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    engine: 'mysql',
    host: 'db.example.internal',
    port: 3306,
    username,
    password,
    dbname: 'orders',
    masterarn: MASTER_ARN,
    ...extra,
  });

function expectNoSecret(texts: readonly string[]): void {
  for (const text of texts) for (const secret of ALL_PASSWORDS) expect(text).not.toContain(secret);
}

/** Every message and string property down an error's cause chain. */
function errorTexts(error: Error): string[] {
  const texts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    texts.push(e.message, String(e.stack));
    for (const value of Object.values(e)) if (typeof value === 'string') texts.push(value);
  }
  return texts;
}

describe('Function: createMysqlStrategy', () => {
  it('validates every option and reports all problems at once', () => {
    const error = (() => {
      try {
        createMysqlStrategy({
          mode: 'triple-password' as MysqlMode,
          passwordLength: 8,
          connectTimeoutMs: -1,
          tls: { mode: 'verify-full', ca: 'not a pem' },
        });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(HandoverError);
    expect(error.message).toMatch(/mode must be one of single-user, alternating-users, dual-password/);
    expect(error.message).toMatch(/passwordLength .* got 8/);
    expect(error.message).toMatch(/connectTimeoutMs .* got -1/);
    expect(error.message).toMatch(/tls\.ca must be PEM/);
  });

  it('defaults to verify-full against the RDS CA bundle and connects where the secret points', async () => {
    const db = fakeMysql({ app: P.pending });
    const strategy = createMysqlStrategy({ mode: 'single-user', connect: db.connect });
    await strategy.test(strategy.parse(secretJson('app', P.pending)), fakeContext().ctx);
    const ssl = db.configs[0]?.ssl;
    if (ssl === false || ssl === undefined) throw new Error('expected TLS');
    expect(ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true });
    expect(Array.isArray(ssl.ca) && ssl.ca.length).toBeGreaterThan(10);
    expect(db.configs[0]).toMatchObject({ host: 'db.example.internal', port: 3306, database: 'orders' });
  });

  it.each(['single-user', 'alternating-users', 'dual-password'] as const)('builds the %s variant', (mode) => {
    const strategy = createMysqlStrategy({ mode });
    expect(strategy).toMatchObject({ type: 'mysql', variant: mode });
  });
});

describe('Single-user strategy', () => {
  const make = (users: Record<string, string>, version = '8.0.35') => {
    const db = fakeMysql(users, { version });
    const kinds: string[] = [];
    const strategy = createMysqlStrategy({
      mode: 'single-user',
      connect: db.connect,
      onRoundTrip: (kind) => kinds.push(kind),
    });
    return { db, kinds, strategy };
  };
  const set = (
    s: ReturnType<typeof make>['strategy'],
    previous: PreviousReader<MysqlSecret> = noPrevious,
  ) => {
    const { ctx, lines, reads } = fakeContext();
    const run = s.set(
      s.parse(secretJson('app', P.pending)),
      s.parse(secretJson('app', P.current)),
      previous,
      ctx,
    );
    return { run, lines, reads };
  };

  it('creates a new password for the same user and keeps every other field', async () => {
    const { strategy } = make({});
    const current = strategy.parse(secretJson('app', P.current, { port: '3306', proxy: 'x' }));
    const pending = await strategy.create(current, fakeContext().ctx);
    expect(pending.username).toBe('app');
    expect(pending.password).toMatch(/^[A-Za-z0-9._~-]{32}$/);
    expect(JSON.parse(strategy.serialize(pending))).toMatchObject({
      port: '3306',
      proxy: 'x',
      password: pending.password,
    });
  });

  it('does nothing when the pending password already works', async () => {
    const { strategy, db, kinds } = make({ app: P.pending });
    const { run, lines } = set(strategy);
    await run;
    expect(db.events).toEqual(['connect:app', 'hello:app', 'end:app']);
    expect(db.statements).toEqual([]);
    expect(kinds).toEqual(['connect', 'query']);
    expect(lines.join('\n')).toMatch(/already set/);
  });

  it('on MySQL, logs in with the current password and runs ALTER USER CURRENT_USER()', async () => {
    const { strategy, db, kinds } = make({ app: P.current });
    const { run, lines } = set(strategy);
    await run;
    expect(db.events).toEqual(['connect:app', 'connect:app', 'hello:app', 'query:app:ALTER USER', 'end:app']);
    expect(db.configs.map((c) => c.password)).toEqual([P.pending, P.current]);
    expect(db.statements).toEqual([`ALTER USER CURRENT_USER() IDENTIFIED BY '${P.pending}'`]);
    expect(kinds).toEqual(['connect', 'connect', 'query', 'query']);
    expectNoSecret(lines);
  });

  it('on MariaDB, sends only the mysql_native_password hash with SET PASSWORD', async () => {
    const { strategy, db } = make({ app: P.current }, MARIADB);
    const { run } = set(strategy);
    await run;
    expect(db.statements).toEqual([`SET PASSWORD = '${nativePasswordHash(P.pending)}'`]);
    expect(db.statements.join('')).not.toContain(P.pending);
  });

  it('escapes the password for the session SQL mode', () => {
    const session = (sqlMode: { noBackslashEscapes: boolean; ansiQuotes: boolean }) => ({
      server: parseServerVersion('8.0.35'),
      literal: (value: string) =>
        sqlMode.noBackslashEscapes ? `'${value.replaceAll("'", "''")}'` : 'unused',
    });
    expect(ownPasswordStatement(session({ noBackslashEscapes: true, ansiQuotes: false }), "a'b")).toBe(
      "ALTER USER CURRENT_USER() IDENTIFIED BY 'a''b'",
    );
  });

  it('falls back to the previous password, read only then', async () => {
    const { strategy, db } = make({ app: P.previous });
    let reads = 0;
    const { run } = set(strategy, async () => {
      reads += 1;
      return strategy.parse(secretJson('app', P.previous));
    });
    await run;
    expect(reads).toBe(1);
    expect(db.configs.map((c) => c.password)).toEqual([P.pending, P.current, P.previous]);
    expect(db.statements).toHaveLength(1);
  });

  it('never reads the previous value when the current password works', async () => {
    const { strategy } = make({ app: P.current });
    let reads = 0;
    await set(strategy, async () => {
      reads += 1;
      return undefined;
    }).run;
    expect(reads).toBe(0);
  });

  it('fails with a CredentialTestError when no password logs in, changing nothing and leaking nothing', async () => {
    const { strategy, db } = make({ app: 'something-else-entirely' });
    const error = await rejection(
      set(strategy, async () => strategy.parse(secretJson('app', P.previous))).run,
    );
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(/"app" can log in on db\.example\.internal:3306/);
    expect(db.statements).toEqual([]);
    expectNoSecret(errorTexts(error));
  });

  it('stops at a network error instead of trying the next password', async () => {
    const { strategy, db } = make({ app: P.current });
    db.failConnectWith(
      Object.assign(new Error(`connect ECONNREFUSED (password=${P.pending})`), {
        code: 'ECONNREFUSED',
        errno: -111,
      }),
    );
    const error = await rejection(set(strategy).run);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(db.events).toEqual(['connect:app']);
    expect(error.message).toMatch(
      /setSecret: probing the pending password: cannot log in: user "app" on db\.example\.internal:3306 failed \(ECONNREFUSED, errno -111\)/,
    );
    expectNoSecret(errorTexts(error));
  });

  it('reports a TLS failure as such, with the mode, and does not retry', async () => {
    const { strategy, db } = make({ app: P.pending });
    db.failConnectWith(
      Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'HANDSHAKE_SSL_ERROR',
      }),
    );
    const error = await rejection(
      strategy.test(strategy.parse(secretJson('app', P.pending)), fakeContext().ctx),
    );
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(
      /TLS failed in mode verify-full for user "app" on db\.example\.internal:3306; not retrying without TLS/,
    );
    expect(db.events).toEqual(['connect:app']);
  });

  it('names the server error and never repeats the statement (mysql2 attaches it to its errors)', async () => {
    const { strategy, db } = make({ app: P.current });
    db.failStatement(
      1,
      mysqlError(
        'ER_PARSE_ERROR',
        1064,
        '42000',
        `You have an error in your SQL syntax; check the manual near '${P.pending.slice(0, 20)}' at line 1`,
        `ALTER USER CURRENT_USER() IDENTIFIED BY '${P.pending}'`,
      ),
    );
    const error = await rejection(set(strategy).run);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(
      /setSecret: changing the password: user "app" on db\.example\.internal:3306 failed \(ER_PARSE_ERROR, errno 1064, SQLSTATE 42000\): SQL syntax error/,
    );
    expect(error.cause).toBeUndefined();
    expectNoSecret(errorTexts(error));
    expect(errorTexts(error).join('')).not.toContain(P.pending.slice(0, 20));
  });

  it('refuses a pending value for another user before connecting', async () => {
    const { strategy, db } = make({});
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('admin', P.pending)),
        strategy.parse(secretJson('app', P.current)),
        noPrevious,
        fakeContext().ctx,
      ),
    );
    expect(error).toBeInstanceOf(SecretFormatError);
    expect(db.events).toEqual([]);
  });

  it('refuses a pending value for another database before connecting', async () => {
    const { strategy, db } = make({});
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('app', P.pending, { host: 'other.internal' })),
        strategy.parse(secretJson('app', P.current)),
        noPrevious,
        fakeContext().ctx,
      ),
    );
    expect((error as SecretFormatError).field).toBe('host');
    expect(db.events).toEqual([]);
  });

  it('tests the pending credentials and checks CURRENT_USER()', async () => {
    const db = fakeMysql({ app: P.pending }, { currentUser: () => '' });
    const strategy = createMysqlStrategy({ mode: 'single-user', connect: db.connect });
    const error = await rejection(
      strategy.test(strategy.parse(secretJson('app', P.pending)), fakeContext().ctx),
    );
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(/CURRENT_USER\(\) is not "app"/);
  });

  it('refuses MySQL before 5.7.6 with a clear error', async () => {
    const { strategy, db } = make({ app: P.current }, '5.6.51-log');
    const error = await rejection(set(strategy).run);
    expect(error.message).toMatch(
      /single-user mode needs MySQL 5\.7\.6\+ or MariaDB 10\.2\+; the server is MySQL 5\.6\.51/,
    );
    expect(db.statements).toEqual([]);
  });

  it('has no revoke, no restore and no inUse', () => {
    const { strategy } = make({});
    expect(strategy.revoke).toBeUndefined();
    expect(strategy.restore).toBeUndefined();
    expect(strategy.inUse).toBeUndefined();
  });
});

describe('Dual-password strategy', () => {
  const make = (users: Record<string, string>, version = '8.0.35', secrets: Record<string, string> = {}) => {
    const db = fakeMysql(users, { version });
    const strategy = createMysqlStrategy({ mode: 'dual-password', connect: db.connect });
    const { ctx, lines } = fakeContext(secrets);
    return { db, strategy, ctx, lines };
  };

  it('builds the RETAIN CURRENT PASSWORD statement', () => {
    expect(retainStatement("a'b", { noBackslashEscapes: false, ansiQuotes: false })).toBe(
      "ALTER USER CURRENT_USER() IDENTIFIED BY 'a\\'b' RETAIN CURRENT PASSWORD",
    );
  });

  it('keeps the current password valid as the secondary one on MySQL 8.0.14+', async () => {
    const { strategy, db, ctx } = make({ app: P.current });
    await strategy.set(
      strategy.parse(secretJson('app', P.pending)),
      strategy.parse(secretJson('app', P.current)),
      noPrevious,
      ctx,
    );
    expect(db.statements).toEqual([
      `ALTER USER CURRENT_USER() IDENTIFIED BY '${P.pending}' RETAIN CURRENT PASSWORD`,
    ]);
  });

  it('does not run RETAIN twice: a re-run finds the pending password working (a second one would drop the current)', async () => {
    const { strategy, db, ctx } = make({ app: P.pending });
    await strategy.set(
      strategy.parse(secretJson('app', P.pending)),
      strategy.parse(secretJson('app', P.current)),
      noPrevious,
      ctx,
    );
    expect(db.statements).toEqual([]);
  });

  it.each([
    [
      MARIADB,
      /the server is MariaDB 10\.11\.19 .*MariaDB has no dual passwords\. Use alternating-users instead/,
    ],
    ['8.0.13', /the server is MySQL 8\.0\.13 .*dual passwords arrived in MySQL 8\.0\.14/],
    ['5.7.44-log', /the server is MySQL 5\.7\.44/],
  ])(
    'fails on %s with an error naming the mode and the server, changing nothing',
    async (version, message) => {
      const { strategy, db, ctx } = make({ app: P.current }, version);
      const error = await rejection(
        strategy.set(
          strategy.parse(secretJson('app', P.pending)),
          strategy.parse(secretJson('app', P.current)),
          noPrevious,
          ctx,
        ),
      );
      expect(error).toBeInstanceOf(TargetError);
      expect(error.message).toMatch(/^dual-password mode needs MySQL 8\.0\.14 or later/);
      expect(error.message).toMatch(message);
      expect(db.statements).toEqual([]);
    },
  );

  it('revokes by discarding the old password, logged in with AWSCURRENT', async () => {
    const { strategy, db, ctx, lines } = make({ app: P.pending }, '8.0.35', {
      [SECRET_ID]: secretJson('app', P.pending),
    });
    await strategy.revoke?.(strategy.parse(secretJson('app', P.current)), ctx);
    expect(db.configs.map((c) => c.password)).toEqual([P.pending]);
    expect(db.statements).toEqual(['ALTER USER CURRENT_USER() DISCARD OLD PASSWORD']);
    expect(lines.join('\n')).toMatch(/old password discarded/);
  });

  it('refuses to revoke the current password or another user, before connecting', async () => {
    const { strategy, db, ctx } = make({ app: P.pending }, '8.0.35', {
      [SECRET_ID]: secretJson('app', P.pending),
    });
    expect(
      await rejection(strategy.revoke?.(strategy.parse(secretJson('app', P.pending)), ctx)),
    ).toBeInstanceOf(TargetError);
    expect(
      await rejection(strategy.revoke?.(strategy.parse(secretJson('other', P.current)), ctx)),
    ).toBeInstanceOf(SecretFormatError);
    expect(db.events).toEqual([]);
  });

  it('refuses to revoke on MariaDB with the capability error', async () => {
    const { strategy, db, ctx } = make({ app: P.pending }, MARIADB, {
      [SECRET_ID]: secretJson('app', P.pending),
    });
    const error = await rejection(strategy.revoke?.(strategy.parse(secretJson('app', P.current)), ctx));
    expect(error.message).toMatch(/dual-password mode needs MySQL 8\.0\.14/);
    expect(db.statements).toEqual([]);
  });

  it('has no restore (a discarded password cannot come back) and no inUse', () => {
    const { strategy } = make({});
    expect(strategy.restore).toBeUndefined();
    expect(strategy.inUse).toBeUndefined();
  });
});

describe('Alternating-users strategy', () => {
  // The master secret says where the master connects (never where the rotated secret points): the
  // same server as the rotated secret here.
  const masterJson = JSON.stringify({
    host: 'db.example.internal',
    port: 3306,
    username: 'master',
    password: P.master,
  });
  const make = (
    options: {
      version?: string;
      users?: Record<string, string>;
      rows?: Record<string, unknown>[];
      grants?: Record<string, string[]>;
      defaultRoles?: Record<string, { user: string; host: string }[]>;
      process?: boolean;
      sessions?: Record<string, unknown>[];
      secrets?: Record<string, string>;
    } = {},
  ) => {
    const db = fakeMysql(options.users ?? { app: P.current, master: P.master }, {
      version: options.version ?? '8.0.35',
      onQuery: masterAnswers({
        rows: options.rows ?? [userRow('app')],
        grants: options.grants ?? {
          app: ['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT SELECT ON `shop`.* TO `app`@`%`'],
        },
        ...(options.defaultRoles && { defaultRoles: options.defaultRoles }),
        ...(options.process !== undefined && { process: options.process }),
        ...(options.sessions && { sessions: options.sessions }),
      }),
    });
    const kinds: string[] = [];
    const strategy = createMysqlStrategy({
      mode: 'alternating-users',
      connect: db.connect,
      onRoundTrip: (kind) => kinds.push(kind),
    });
    const { ctx, lines, reads } = fakeContext({ [MASTER_ARN]: masterJson, ...options.secrets });
    const set = (pendingUser = 'app_clone', currentUser = 'app') =>
      strategy.set(
        strategy.parse(secretJson(pendingUser, P.pending)),
        strategy.parse(secretJson(currentUser, P.current)),
        noPrevious,
        ctx,
      );
    return { db, kinds, strategy, ctx, lines, reads, set };
  };

  it('creates the pending value for the other user', async () => {
    const { strategy, ctx } = make();
    expect((await strategy.create(strategy.parse(secretJson('app', P.current)), ctx)).username).toBe(
      'app_clone',
    );
    expect((await strategy.create(strategy.parse(secretJson('app_clone', P.current)), ctx)).username).toBe(
      'app',
    );
  });

  it('proves the current credentials, then the master creates the clone locked, grants, and unlocks it last (MySQL 8)', async () => {
    const { db, kinds, reads, lines, set } = make({
      rows: [userRow('app', '%', { ssl_type: 'ANY', max_questions: 10, max_user_connections: 5 })],
      defaultRoles: { app: [{ user: 'reader', host: '%' }] },
      grants: {
        app: [
          'GRANT USAGE ON *.* TO `app`@`%`',
          'GRANT SELECT ON `shop`.* TO `app`@`%`',
          'GRANT `reader`@`%` TO `app`@`%`',
        ],
      },
    });
    await set();
    expect(reads).toEqual([MASTER_ARN]);
    expect(db.events).toEqual([
      'connect:app',
      'hello:app',
      'end:app',
      'connect:master',
      'hello:master',
      'query:master:SELECT User',
      'query:master:SHOW GRANTS',
      'query:master:SELECT DEFAULT_ROLE_USER',
      'query:master:CREATE USER',
      'query:master:GRANT SELECT',
      'query:master:GRANT `reader`@`%`',
      'query:master:ALTER USER',
      'query:master:ALTER USER',
      'end:master',
    ]);
    expect(db.statements.slice(3)).toEqual([
      `CREATE USER IF NOT EXISTS 'app_clone'@'%' IDENTIFIED WITH caching_sha2_password BY '${P.pending}' ACCOUNT LOCK`,
      "GRANT SELECT ON `shop`.* TO 'app_clone'@'%'",
      "GRANT `reader`@`%` TO 'app_clone'@'%'",
      "ALTER USER 'app_clone'@'%' DEFAULT ROLE 'reader'@'%'",
      `ALTER USER 'app_clone'@'%' IDENTIFIED WITH caching_sha2_password BY '${P.pending}' REQUIRE SSL ` +
        'WITH MAX_QUERIES_PER_HOUR 10 MAX_UPDATES_PER_HOUR 0 MAX_CONNECTIONS_PER_HOUR 0 MAX_USER_CONNECTIONS 5 ACCOUNT UNLOCK',
    ]);
    expect(kinds.filter((k) => k === 'connect')).toHaveLength(2);
    // The master connects where its own secret points.
    expect(db.configs[1]).toMatchObject({
      user: 'master',
      host: 'db.example.internal',
      port: 3306,
      database: 'orders',
    });
    expect(lines.join('\n')).toMatch(/"outcome":"created"/);
    expectNoSecret(lines);
  });

  it('on MariaDB sends only the password hash, and copies MAX_STATEMENT_TIME and X.509 requirements', async () => {
    const { db, set } = make({
      version: MARIADB,
      rows: [
        userRow('app', '%', {
          plugin: 'mysql_native_password',
          ssl_type: 'SPECIFIED',
          x509_issuer: Buffer.from("/CN=O'Reilly CA"),
          x509_subject: Buffer.from('/CN=app'),
          ssl_cipher: '',
          max_statement_time: '2.500000',
        }),
        userRow('app_clone', '%', { plugin: 'mysql_native_password', max_statement_time: '0.000000' }),
      ],
      grants: {
        app: [
          'GRANT USAGE ON *.* TO `app`@`%`',
          'GRANT `reader` TO `app`@`%`',
          'SET DEFAULT ROLE `reader` FOR `app`@`%`',
        ],
        app_clone: ['GRANT USAGE ON *.* TO `app_clone`@`%`', 'GRANT DELETE ON `shop`.* TO `app_clone`@`%`'],
      },
    });
    await set();
    const hash = nativePasswordHash(P.pending);
    // After the state reads and the in-use check of the pending user (PROCESS privilege, PROCESSLIST).
    expect(db.statements.slice(5)).toEqual([
      "REVOKE DELETE ON `shop`.* FROM 'app_clone'@'%'",
      "GRANT `reader` TO 'app_clone'@'%'",
      "SET DEFAULT ROLE `reader` FOR 'app_clone'@'%'",
      `ALTER USER 'app_clone'@'%' IDENTIFIED BY PASSWORD '${hash}' REQUIRE ISSUER '/CN=O\\'Reilly CA' AND SUBJECT '/CN=app' ` +
        'WITH MAX_QUERIES_PER_HOUR 0 MAX_UPDATES_PER_HOUR 0 MAX_CONNECTIONS_PER_HOUR 0 MAX_USER_CONNECTIONS 0 MAX_STATEMENT_TIME 2.500000 ACCOUNT UNLOCK',
    ]);
    expect(db.statements.join('\n')).not.toContain(P.pending);
  });

  it('copies the host part of the account the current credentials matched', async () => {
    const db = fakeMysql(
      { app: P.current, master: P.master },
      {
        host: '10.0.%',
        onQuery: masterAnswers({
          rows: [userRow('app', '10.0.%')],
          grants: { app: ['GRANT USAGE ON *.* TO `app`@`10.0.%`'] },
        }),
      },
    );
    const strategy = createMysqlStrategy({ mode: 'alternating-users', connect: db.connect });
    const { ctx } = fakeContext({ [MASTER_ARN]: masterJson });
    await strategy.set(
      strategy.parse(secretJson('app_clone', P.pending)),
      strategy.parse(secretJson('app', P.current)),
      noPrevious,
      ctx,
    );
    expect(db.statements.at(-1)).toMatch(/^ALTER USER 'app_clone'@'10\.0\.%' /);
  });

  it('never sends the master password where only the rotated secret points', async () => {
    // GIVEN a master secret with credentials only (no host, no RDS name; no RDS discovery to read
    // tags) and a rotated secret whoever can write it pointed at their own server
    const { db, strategy, ctx } = make({
      secrets: { [MASTER_ARN]: JSON.stringify({ username: 'master', password: P.master }) },
    });

    // WHEN
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('app_clone', P.pending, { host: 'attacker.example' })),
        strategy.parse(secretJson('app', P.current, { host: 'attacker.example' })),
        noPrevious,
        ctx,
      ),
    );

    // THEN a typed error names the master secret and the missing field; the master never connected
    expect(error).toBeInstanceOf(MasterEndpointError);
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as MasterEndpointError).field).toBe('host');
    expect((error as MasterEndpointError).masterSecretId).toBe(MASTER_ARN);
    expect(error.message).toContain(`master secret ${MASTER_ARN}: field "host" is required`);
    expect(db.configs.filter((config) => config.user === 'master')).toEqual([]);
    expectNoSecret([error.message]);
  });

  it('does nothing as the master when the current credentials do not log in (confused deputy)', async () => {
    const { db, set } = make({ users: { app: 'not-what-the-secret-says', master: P.master } });
    const error = await rejection(set());
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(
      /proving the current credentials: cannot log in: user "app".*ER_ACCESS_DENIED_ERROR, errno 1045/,
    );
    expect(db.events).toEqual(['connect:app']);
    expectNoSecret(errorTexts(error));
  });

  it.each([
    ['a user outside the pair', 'rdsadmin'],
    ['the current user itself', 'app'],
  ])('refuses a pending value for %s before any connection', async (_name, username) => {
    const { db, set } = make();
    expect(await rejection(set(username))).toBeInstanceOf(SecretFormatError);
    expect(db.events).toEqual([]);
  });

  it('refuses a master secret that names one of the rotated users', async () => {
    const { db, set } = make({
      secrets: { [MASTER_ARN]: JSON.stringify({ username: 'app_clone', password: P.master }) },
    });
    expect(await rejection(set())).toBeInstanceOf(SecretFormatError);
    expect(db.events).toEqual([]);
  });

  it('reports a malformed master secret as a master secret error', async () => {
    const { set } = make({ secrets: { [MASTER_ARN]: JSON.stringify({ username: 'master' }) } });
    const error = await rejection(set());
    expect((error as SecretFormatError).field).toBe('password');
    expect(error.message).toMatch(/^master secret: /);
  });

  it('refuses, once connected, a clone name longer than the server accepts (MySQL 5.7: 32), before any write', async () => {
    const base = 'a'.repeat(27);
    const { db, set } = make({ version: '5.7.44-log', users: { [base]: P.current, master: P.master } });
    const error = await rejection(set(`${base}_clone`, base));
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as SecretFormatError).field).toBe('username');
    expect(error.message).toMatch(/"a{27}_clone" has 33 characters; MySQL 5\.7\.44 .* accepts at most 32/);
    expect(db.statements).toEqual([]);
  });

  it('refuses an account whose plugin has no password (e.g. IAM authentication), before any write', async () => {
    const { db, set } = make({ rows: [userRow('app', '%', { plugin: 'AWSAuthenticationPlugin' })] });
    const error = await rejection(set());
    expect(error.message).toMatch(
      /authenticates with "AWSAuthenticationPlugin", which has no password to rotate/,
    );
    expect(db.statements.filter((s) => !/^(SELECT|SHOW)/.test(s))).toEqual([]);
  });

  it('refuses grants it cannot copy faithfully (MySQL partial revokes), before any write', async () => {
    const { db, set } = make({
      grants: { app: ['GRANT SELECT ON *.* TO `app`@`%`', 'REVOKE SELECT ON `mysql`.* FROM `app`@`%`'] },
    });
    const error = await rejection(set());
    expect(error).toBeInstanceOf(GrantParseError);
    expect(db.statements.filter((s) => !/^(SELECT|SHOW)/.test(s))).toEqual([]);
  });

  it('names the failed statement by number and verb only, and leaks neither password nor statement', async () => {
    const { db, set } = make();
    db.failStatement(
      5,
      mysqlError(
        'ER_DBACCESS_DENIED_ERROR',
        1044,
        '42000',
        "Access denied for user 'master'@'%' to database 'shop'",
        'GRANT …',
      ),
    );
    const error = await rejection(set());
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(
      /^setSecret: statement 2 of 3 \(GRANT SELECT\): user "master" on db\.example\.internal:3306 failed \(ER_DBACCESS_DENIED_ERROR, errno 1044, SQLSTATE 42000\): Access denied/,
    );
    expectNoSecret(errorTexts(error));
  });

  it('checks that pending logs in as itself', async () => {
    const db = fakeMysql({ app_clone: P.pending });
    const strategy = createMysqlStrategy({ mode: 'alternating-users', connect: db.connect });
    await strategy.test(strategy.parse(secretJson('app_clone', P.pending)), fakeContext().ctx);
    expect(db.events).toEqual(['connect:app_clone', 'hello:app_clone', 'end:app_clone']);
  });

  it('reports sessions of the old user with their client addresses', async () => {
    const { strategy, ctx } = make({
      sessions: [
        { host: '10.0.1.7:51234', db: 'orders', command: 'Sleep', idle: 12 },
        { host: '10.0.1.8:40000', db: 'orders', command: 'Query', idle: 0 },
        { host: '10.0.1.7:51235', db: 'orders', command: 'Sleep', idle: 3 },
      ],
    });
    const before = Date.now();
    const report = await strategy.inUse?.(strategy.parse(secretJson('app', P.previous)), new Date(), ctx);
    expect(report).toMatchObject({
      inUse: true,
      evidence: '3 sessions of app from 10.0.1.7, 10.0.1.8 (1 running a statement)',
    });
    // Each client host and database is named, with how long it has been idle.
    expect(report?.stragglers?.map(({ lastSeen: _, ...straggler }) => straggler)).toEqual([
      {
        identity: 'app@10.0.1.7 (database orders)',
        from: '10.0.1.7',
        evidence: '2 sessions in information_schema.PROCESSLIST (0 running a statement, the least idle 3 s)',
      },
      {
        identity: 'app@10.0.1.8 (database orders)',
        from: '10.0.1.8',
        evidence: '1 session in information_schema.PROCESSLIST (1 running a statement, the least idle 0 s)',
      },
    ]);
    const idle = before - (report?.stragglers?.[0]?.lastSeen?.getTime() ?? 0);
    expect(idle).toBeGreaterThanOrEqual(2_900);
    expect(idle).toBeLessThan(60_000);
  });

  it('reports no use when PROCESSLIST has no session of the old user', async () => {
    const { strategy, ctx, db } = make();
    const report = await strategy.inUse?.(strategy.parse(secretJson('app', P.previous)), new Date(), ctx);
    expect(report).toEqual({ inUse: false, evidence: 'no sessions of app' });
    expect(db.statements.at(-1)).toMatch(
      /FROM information_schema\.PROCESSLIST\s+WHERE USER = 'app' AND ID <> CONNECTION_ID\(\)/,
    );
  });

  it('refuses to report usage when the master cannot see other users (no PROCESS privilege)', async () => {
    const { strategy, ctx } = make({ process: false });
    const error = await rejection(
      strategy.inUse?.(strategy.parse(secretJson('app', P.previous)), new Date(), ctx),
    );
    expect(error.message).toMatch(
      /"master" cannot see other users' sessions: grant it the PROCESS privilege/,
    );
  });

  it('refuses to revoke the user the current secret uses', async () => {
    const { strategy, ctx, db } = make({ secrets: { [SECRET_ID]: secretJson('app', P.current) } });
    expect(
      await rejection(strategy.revoke?.(strategy.parse(secretJson('app', P.previous)), ctx)),
    ).toBeInstanceOf(TargetError);
    expect(db.events).toEqual([]);
  });

  it('locks and unlocks every account of the old user through the master', async () => {
    const { strategy, ctx, db } = make({
      rows: [userRow('app', '%'), userRow('app', '10.%')],
      secrets: { [SECRET_ID]: secretJson('app_clone', P.current) },
    });
    const old = strategy.parse(secretJson('app', P.previous));
    await strategy.revoke?.(old, ctx);
    await strategy.restore?.(old, ctx);
    expect(db.statements.filter((s) => s.startsWith('ALTER'))).toEqual([
      "ALTER USER 'app'@'%', 'app'@'10.%' ACCOUNT LOCK",
      "ALTER USER 'app'@'%', 'app'@'10.%' ACCOUNT UNLOCK",
    ]);
  });

  it('treats revoking a user that no longer exists as done, but cannot restore it', async () => {
    const { strategy, ctx, db, lines } = make({
      rows: [],
      secrets: { [SECRET_ID]: secretJson('app_clone', P.current) },
    });
    const old = strategy.parse(secretJson('app', P.previous));
    await strategy.revoke?.(old, ctx);
    expect(lines.join('\n')).toMatch(/nothing to lock/);
    expect(await rejection(strategy.restore?.(old, ctx))).toBeInstanceOf(TargetError);
    expect(db.statements.filter((s) => s.startsWith('ALTER'))).toEqual([]);
  });
});
