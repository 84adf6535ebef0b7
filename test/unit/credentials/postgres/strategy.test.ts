import { describe, expect, it } from 'vitest';
import { MasterEndpointError } from '../../../../lambdas/credentials/database/rds';
import { createPostgresStrategy, planSet } from '../../../../lambdas/credentials/postgres';
import type { RoleState } from '../../../../lambdas/credentials/postgres/alternating-users';
import { ConnectionError } from '../../../../lambdas/credentials/postgres/connection';
import { noPrevious } from '../../../../lambdas/rotation/strategy';
import {
  CredentialTestError,
  HandoverError,
  SecretFormatError,
  TargetError,
} from '../../../../lambdas/shared/errors';
import { fakeContext, fakeDatabase, pgError } from './fakes';

const MASTER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf';
const P = {
  current: 'Current-passw0rd-aaaaaaaaaaaaaaaa',
  pending: 'Pending-passw0rd-bbbbbbbbbbbbbbbb',
  previous: 'Previous-passw0rd-cccccccccccccccc',
  master: 'Master-passw0rd-dddddddddddddddd',
  clone: 'Clone-passw0rd-eeeeeeeeeeeeeeee',
};
const ALL_PASSWORDS = Object.values(P);

const secretJson = (username: string, password: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    engine: 'postgres',
    host: 'db.example.internal',
    port: 5432,
    username,
    password,
    dbname: 'orders',
    masterarn: MASTER_ARN,
    ...extra,
  });

function expectNoPassword(texts: readonly string[]): void {
  for (const text of texts) for (const password of ALL_PASSWORDS) expect(text).not.toContain(password);
}

async function rejection(promise: Promise<unknown> | undefined): Promise<Error> {
  if (promise === undefined) throw new Error('expected the method to exist');
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('Function: createPostgresStrategy', () => {
  it('validates every option and reports all problems at once', () => {
    const error = (() => {
      try {
        createPostgresStrategy({
          mode: 'single-user',
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
    expect(error.message).toMatch(/passwordLength .* got 8/);
    expect(error.message).toMatch(/connectTimeoutMs .* got -1/);
    expect(error.message).toMatch(/tls\.ca must be PEM/);
  });

  it('defaults to verify-full against the RDS CA bundle with the secret host as the expected name', async () => {
    const db = fakeDatabase({ app: P.pending });
    const strategy = createPostgresStrategy({ mode: 'single-user', connect: db.connect });
    const { ctx } = fakeContext();
    await strategy.test(strategy.parse(secretJson('app', P.pending)), ctx);
    const ssl = db.configs[0]?.ssl;
    expect(ssl).not.toBe(false);
    if (ssl === false || ssl === undefined) return;
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(Array.isArray(ssl.ca) && ssl.ca.length).toBeGreaterThan(10);
    expect(db.configs[0]).toMatchObject({ host: 'db.example.internal', port: 5432, database: 'orders' });
  });
});

describe('Single-user strategy', () => {
  const make = (users: Record<string, string>) => {
    const db = fakeDatabase(users);
    const kinds: string[] = [];
    const strategy = createPostgresStrategy({
      mode: 'single-user',
      connect: db.connect,
      onRoundTrip: (kind) => kinds.push(kind),
    });
    return { db, kinds, strategy };
  };

  it('creates a new password for the same user and keeps every other field', async () => {
    const { strategy } = make({});
    const { ctx } = fakeContext();
    const current = strategy.parse(secretJson('app', P.current, { port: '5432', proxy: 'x' }));
    const pending = await strategy.create(current, ctx);
    expect(pending.username).toBe('app');
    expect(pending.password).not.toBe(P.current);
    expect(pending.password).toHaveLength(32);
    const out = JSON.parse(strategy.serialize(pending));
    expect(out).toMatchObject({ port: '5432', proxy: 'x', username: 'app', password: pending.password });
  });

  it('does nothing when the pending password already works', async () => {
    const { strategy, db, kinds } = make({ app: P.pending });
    const { ctx, lines } = fakeContext();
    await strategy.set(
      strategy.parse(secretJson('app', P.pending)),
      strategy.parse(secretJson('app', P.current)),
      noPrevious,
      ctx,
    );
    expect(db.events).toEqual(['connect:app', 'end:app']);
    expect(kinds).toEqual(['connect']);
    expect(lines.join('\n')).toMatch(/already set/);
  });

  it('logs in with the current password and sends a SCRAM verifier, never the plaintext', async () => {
    const { strategy, db, kinds } = make({ app: P.current });
    const { ctx, lines } = fakeContext();
    await strategy.set(
      strategy.parse(secretJson('app', P.pending)),
      strategy.parse(secretJson('app', P.current)),
      noPrevious,
      ctx,
    );
    expect(db.events).toEqual(['connect:app', 'connect:app', 'query:app:ALTER ROLE', 'end:app']);
    expect(db.configs.map((c) => c.password)).toEqual([P.pending, P.current]);
    expect(db.statements[0]).toMatch(/^ALTER ROLE "app" WITH PASSWORD 'SCRAM-SHA-256\$4096:[^']+'$/);
    expect(kinds).toEqual(['connect', 'connect', 'query']);
    expectNoPassword([...db.statements, ...lines]);
  });

  it('falls back to the previous password', async () => {
    const { strategy, db } = make({ app: P.previous });
    const { ctx } = fakeContext();
    await strategy.set(
      strategy.parse(secretJson('app', P.pending)),
      strategy.parse(secretJson('app', P.current)),
      async () => strategy.parse(secretJson('app', P.previous)),
      ctx,
    );
    expect(db.configs.map((c) => c.password)).toEqual([P.pending, P.current, P.previous]);
    expect(db.events.at(-2)).toBe('query:app:ALTER ROLE');
  });

  it('fails with a CredentialTestError when no password logs in, without leaking any', async () => {
    const { strategy, db } = make({ app: 'something-else-entirely' });
    const { ctx } = fakeContext();
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('app', P.pending)),
        strategy.parse(secretJson('app', P.current)),
        async () => strategy.parse(secretJson('app', P.previous)),
        ctx,
      ),
    );
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(/"app" can log in on db\.example\.internal:5432/);
    expect(db.statements).toEqual([]);
    expectNoPassword([error.message, String(error.stack)]);
  });

  it('stops at a network error instead of trying the next password', async () => {
    const { strategy, db } = make({ app: P.current });
    db.failConnectWith(
      Object.assign(new Error(`connect ECONNREFUSED (password=${P.pending})`), { code: 'ECONNREFUSED' }),
    );
    const { ctx } = fakeContext();
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('app', P.pending)),
        strategy.parse(secretJson('app', P.current)),
        noPrevious,
        ctx,
      ),
    );
    expect(error).toBeInstanceOf(TargetError);
    expect(db.events).toEqual(['connect:app']);
    expect(error.message).toMatch(
      /setSecret: probing the pending password: cannot log in: user "app" on db\.example\.internal:5432/,
    );
    expectNoPassword([error.message, String(error.stack), String((error.cause as Error).message)]);
  });

  it('reports a TLS failure as such, with the mode', async () => {
    const { strategy, db } = make({ app: P.pending });
    db.failConnectWith(
      Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
    );
    const { ctx } = fakeContext();
    const error = await rejection(strategy.test(strategy.parse(secretJson('app', P.pending)), ctx));
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(/TLS failed in mode verify-full for user "app"/);
  });

  it('includes the SQLSTATE of a failed statement', async () => {
    const db = fakeDatabase({ app: P.current }, (_user, text) => {
      if (text.startsWith('ALTER ROLE')) throw pgError('42501', 'permission denied to alter role');
      return [];
    });
    const strategy = createPostgresStrategy({ mode: 'single-user', connect: db.connect });
    const { ctx } = fakeContext();
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('app', P.pending)),
        strategy.parse(secretJson('app', P.current)),
        noPrevious,
        ctx,
      ),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(
      /ALTER ROLE \.\.\. PASSWORD: user "app" on db\.example\.internal:5432 failed \(SQLSTATE 42501\)/,
    );
  });

  it('refuses a pending value for another user', async () => {
    const { strategy, db } = make({});
    const { ctx } = fakeContext();
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('admin', P.pending)),
        strategy.parse(secretJson('app', P.current)),
        noPrevious,
        ctx,
      ),
    );
    expect(error).toBeInstanceOf(SecretFormatError);
    expect(db.events).toEqual([]);
  });

  it('tests the pending credentials with SELECT 1 and checks the session user', async () => {
    const db = fakeDatabase({ app: P.pending }, () => [
      { ok: 1, session_user: 'someone_else', current_user: 'x' },
    ]);
    const strategy = createPostgresStrategy({ mode: 'single-user', connect: db.connect });
    const { ctx } = fakeContext();
    const error = await rejection(strategy.test(strategy.parse(secretJson('app', P.pending)), ctx));
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(/session user is not "app"/);
  });

  it('has no revoke and no restore', () => {
    const { strategy } = make({});
    expect(strategy.revoke).toBeUndefined();
    expect(strategy.restore).toBeUndefined();
  });
});

describe('Alternating-users strategy', () => {
  // The master secret says where the master connects (never where the rotated secret points): the
  // same server as the rotated secret here.
  const masterJson = JSON.stringify({
    host: 'db.example.internal',
    port: 5432,
    username: 'master',
    password: P.master,
  });
  const make = (users: Record<string, string>) => {
    const db = fakeDatabase(users, (user, text) => {
      if (text.includes('server_version_num')) {
        return [
          {
            server_version: 180000,
            roles: [
              {
                rolname: 'app',
                rolinherit: true,
                rolcreatedb: false,
                rolcreaterole: false,
                rolconnlimit: -1,
                rolvaliduntil: null,
              },
            ],
          },
        ];
      }
      if (text.includes('session_user')) {
        return [{ ok: 1, session_user: user, current_user: user.replace(/_clone$/, '') }];
      }
      return undefined;
    });
    const kinds: string[] = [];
    const strategy = createPostgresStrategy({
      mode: 'alternating-users',
      connect: db.connect,
      onRoundTrip: (kind) => kinds.push(kind),
    });
    return { db, kinds, strategy };
  };

  it('creates the pending value for the other user', async () => {
    const { strategy } = make({});
    const { ctx } = fakeContext();
    const fromBase = await strategy.create(strategy.parse(secretJson('app', P.current)), ctx);
    expect(fromBase.username).toBe('app_clone');
    const fromClone = await strategy.create(strategy.parse(secretJson('app_clone', P.current)), ctx);
    expect(fromClone.username).toBe('app');
    expect(fromClone.password).not.toBe(P.current);
  });

  it('proves the current credentials, then lets the master create the clone in one transaction', async () => {
    const { strategy, db, kinds } = make({ app: P.current, master: P.master });
    const { ctx, lines, reads } = fakeContext({ [MASTER_ARN]: masterJson });
    await strategy.set(
      strategy.parse(secretJson('app_clone', P.pending)),
      strategy.parse(secretJson('app', P.current)),
      noPrevious,
      ctx,
    );
    expect(reads).toEqual([MASTER_ARN]);
    expect(db.events).toEqual([
      'connect:app',
      'query:app:SELECT 1',
      'end:app',
      'connect:master',
      "query:master:SELECT current_setting('server_version_num')::int",
      'query:master:BEGIN; CREATE',
      'end:master',
    ]);
    expect(kinds).toEqual(['connect', 'query', 'connect', 'query', 'query']);
    const tx = db.statements.at(-1) ?? '';
    expect(tx.split(';\n')).toEqual([
      'BEGIN',
      expect.stringMatching(/^CREATE ROLE "app_clone" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:[^']+'$/),
      'GRANT "app" TO "app_clone" WITH INHERIT TRUE, SET TRUE',
      `ALTER ROLE "app_clone" SET role = 'app'`,
      'COMMIT',
    ]);
    // The master connects where its own secret points.
    expect(db.configs[1]).toMatchObject({
      user: 'master',
      host: 'db.example.internal',
      port: 5432,
      database: 'orders',
    });
    expectNoPassword([...db.statements, ...lines]);
  });

  it('never sends the master password where only the rotated secret points', async () => {
    // GIVEN a master secret with credentials only (no host, no RDS name; no RDS discovery to read
    // tags) and a rotated secret whoever can write it pointed at their own server
    const { strategy, db } = make({ app: P.current, master: P.master });
    const { ctx } = fakeContext({
      [MASTER_ARN]: JSON.stringify({ username: 'master', password: P.master }),
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
    expect(db.statements.filter((sql) => /ROLE/.test(sql))).toEqual([]);
    expectNoPassword([error.message]);
  });

  it('does nothing as the master when the current credentials do not log in (confused deputy)', async () => {
    const { strategy, db } = make({ app: 'not-what-the-secret-says', master: P.master });
    const { ctx } = fakeContext({ [MASTER_ARN]: masterJson });
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('app_clone', P.pending)),
        strategy.parse(secretJson('app', P.current)),
        noPrevious,
        ctx,
      ),
    );
    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toMatch(
      /proving the current credentials: cannot log in: user "app".*SQLSTATE 28P01/,
    );
    expect(db.events).toEqual(['connect:app']);
    expectNoPassword([error.message, String(error.stack)]);
  });

  it.each([
    ['a user outside the pair', 'rdsadmin'],
    ['the current user itself', 'app'],
  ])('refuses a pending value for %s before any connection', async (_name, username) => {
    const { strategy, db } = make({});
    const { ctx } = fakeContext({ [MASTER_ARN]: masterJson });
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson(username, P.pending)),
        strategy.parse(secretJson('app', P.current)),
        noPrevious,
        ctx,
      ),
    );
    expect(error).toBeInstanceOf(SecretFormatError);
    expect(db.events).toEqual([]);
  });

  it('refuses a master secret that names one of the rotated users', async () => {
    const { strategy, db } = make({});
    const { ctx } = fakeContext({
      [MASTER_ARN]: JSON.stringify({ username: 'app_clone', password: P.master }),
    });
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('app_clone', P.pending)),
        strategy.parse(secretJson('app', P.current)),
        noPrevious,
        ctx,
      ),
    );
    expect(error).toBeInstanceOf(SecretFormatError);
    expect(db.events).toEqual([]);
  });

  it('reports a malformed master secret as a master secret error', async () => {
    const { strategy } = make({});
    const { ctx } = fakeContext({ [MASTER_ARN]: JSON.stringify({ username: 'master' }) });
    const error = await rejection(
      strategy.set(
        strategy.parse(secretJson('app_clone', P.pending)),
        strategy.parse(secretJson('app', P.current)),
        noPrevious,
        ctx,
      ),
    );
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as SecretFormatError).field).toBe('password');
    expect(error.message).toMatch(/^master secret: /);
  });

  it('checks that pending sessions act as the base role', async () => {
    const db = fakeDatabase({ app_clone: P.pending }, (user) => [
      { ok: 1, session_user: user, current_user: user },
    ]);
    const strategy = createPostgresStrategy({ mode: 'alternating-users', connect: db.connect });
    const { ctx } = fakeContext();
    const error = await rejection(strategy.test(strategy.parse(secretJson('app_clone', P.pending)), ctx));
    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toMatch(/act as "app_clone", expected the base role "app"/);
  });

  it('refuses to revoke the user the current secret uses', async () => {
    const { strategy, db } = make({ master: P.master });
    const { ctx } = fakeContext({
      [MASTER_ARN]: masterJson,
      [fakeContext().ctx.secretId]: secretJson('app', P.current),
    });
    const error = await rejection(strategy.revoke?.(strategy.parse(secretJson('app', P.previous)), ctx));
    expect(error).toBeInstanceOf(TargetError);
    expect(db.events).toEqual([]);
  });

  it('revokes and restores the old user through the master', async () => {
    const { strategy, db } = make({ master: P.master });
    const { ctx } = fakeContext({
      [MASTER_ARN]: masterJson,
      [fakeContext().ctx.secretId]: secretJson('app_clone', P.current),
    });
    const old = strategy.parse(secretJson('app', P.previous));
    await strategy.revoke?.(old, ctx);
    await strategy.restore?.(old, ctx);
    expect(db.statements).toEqual(['ALTER ROLE "app" WITH NOLOGIN', 'ALTER ROLE "app" WITH LOGIN']);
  });
});

describe('Function: planSet', () => {
  const role = (rolname: string, overrides: Partial<Record<string, unknown>> = {}) => ({
    rolname,
    rolinherit: true,
    rolcreatedb: false,
    rolcreaterole: false,
    rolconnlimit: -1,
    rolvaliduntil: null as string | null,
    ...overrides,
  });
  const state = (serverVersion: number, roles: ReturnType<typeof role>[]): RoleState => ({
    serverVersion,
    base: 'app',
    clone: 'app_clone',
    roles: new Map(roles.map((r) => [r.rolname, r])),
  });

  it('copies differing attributes of the base to the clone', () => {
    const plan = planSet(
      state(170000, [
        role('app', {
          rolcreatedb: true,
          rolconnlimit: 20,
          rolvaliduntil: '2030-01-01 00:00:00+00',
          rolinherit: false,
        }),
        role('app_clone'),
      ]),
      'app_clone',
      'SCRAM-SHA-256$4096:x$y:z',
    );
    expect(plan).toContain(
      `ALTER ROLE "app_clone" WITH NOINHERIT CREATEDB CONNECTION LIMIT 20 VALID UNTIL '2030-01-01 00:00:00+00'`,
    );
    expect(plan[1]).toBe(`ALTER ROLE "app_clone" WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:x$y:z'`);
  });

  it('emits no attribute change when the clone already matches (no expiry as NULL or infinity)', () => {
    const plan = planSet(
      state(180000, [role('app'), role('app_clone', { rolvaliduntil: 'infinity' })]),
      'app',
      'SCRAM-SHA-256$4096:x$y:z',
    );
    expect(plan).toEqual([
      'BEGIN',
      `ALTER ROLE "app" WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:x$y:z'`,
      'GRANT "app" TO "app_clone" WITH INHERIT TRUE, SET TRUE',
      `ALTER ROLE "app_clone" SET role = 'app'`,
      'COMMIT',
    ]);
  });

  it('uses the pre-16 GRANT syntax on PostgreSQL 15', () => {
    const plan = planSet(state(150004, [role('app')]), 'app_clone', 'v');
    expect(plan).toContain('GRANT "app" TO "app_clone"');
    expect(plan[1]).toBe(`CREATE ROLE "app_clone" WITH LOGIN PASSWORD 'v'`);
  });

  it('never copies SUPERUSER, REPLICATION or BYPASSRLS', () => {
    const plan = planSet(
      state(180000, [role('app', { rolsuper: true, rolreplication: true, rolbypassrls: true })]),
      'app_clone',
      'v',
    );
    expect(plan.join(' ')).not.toMatch(/SUPERUSER|REPLICATION|BYPASSRLS/);
  });
});
