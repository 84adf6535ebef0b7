import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReadReplicaError } from '../../../../lambdas/credentials/database/rds';
import { createMysqlStrategy } from '../../../../lambdas/credentials/mysql';
import { HELLO_SQL, type MysqlConnect } from '../../../../lambdas/credentials/mysql/connection';
import { AURORA_WRITER_SQL } from '../../../../lambdas/credentials/mysql/standby';
import { createPostgresStrategy } from '../../../../lambdas/credentials/postgres';
import type { PostgresConnect } from '../../../../lambdas/credentials/postgres/connection';
import { scramSha256Keys } from '../../../../lambdas/credentials/postgres/scram';
import { noPrevious } from '../../../../lambdas/rotation/strategy';
import { TargetError } from '../../../../lambdas/shared/errors';
import { readOnlySecrets } from '../../../support/secrets-port';
import { accessDenied, fakeContext } from '../mysql/fakes';
import { pgError } from '../postgres/fakes';
import { type FakeAws, fakeAws, rejectionOf } from './fakes';

const OLD = 'Old-Passw0rd-000000000000000000000';
const MASTER = 'Master-Passw0rd-0000000000000000000';

/**
 * An Aurora MySQL cluster behind {@link MysqlConnect}: a writer (`shop-1.local`, also the cluster
 * endpoint) and a reader (`shop-2.local`, `@@innodb_read_only = 1`, reporting `shop-1` as the
 * writer in `replica_host_status`). The reader catches up with the writer only after
 * `replicateAfter` more connection attempts, so replication lag is under the test's control.
 * Every connect, statement and close is recorded as `kind:server:detail`.
 */
function fakeAurora(replicateAfter = 1) {
  const writer = new Map([['app', OLD]]);
  let reader = new Map(writer);
  let behind = 0;
  let loseNextResponse = false;
  const events: string[] = [];
  const writerHosts = new Set(['shop-1.local', 'shop.cluster.local']);
  const connect: MysqlConnect = async (config) => {
    const server = writerHosts.has(config.host) ? 'writer' : 'reader';
    if (server === 'reader' && behind > 0) {
      behind -= 1;
      if (behind === 0) reader = new Map(writer);
    }
    events.push(`connect:${server}:${config.user}`);
    const users = server === 'writer' ? writer : reader;
    if (users.get(config.user) !== config.password) throw accessDenied(config.user);
    return {
      async query(sql) {
        if (sql === HELLO_SQL) {
          return [
            {
              version: '8.0.mysql_aurora.3.05.2',
              sql_mode: 'STRICT_TRANS_TABLES',
              account: `${config.user}@%`,
              read_only: 0,
              innodb_read_only: server === 'reader' ? 1 : 0,
            },
          ];
        }
        events.push(`query:${server}:${sql.split(' ').slice(0, 2).join(' ')}`);
        if (sql === AURORA_WRITER_SQL) return [{ writer: 'shop-1' }];
        const change = /^ALTER USER CURRENT_USER\(\) IDENTIFIED BY '([^']*)'/.exec(sql);
        if (change) {
          if (server === 'reader') throw new Error('the reader must never be written to');
          writer.set(config.user, change[1] ?? '');
          behind = replicateAfter;
          if (loseNextResponse) {
            loseNextResponse = false;
            throw Object.assign(new Error('Connection lost: The server closed the connection.'), {
              code: 'PROTOCOL_CONNECTION_LOST',
            });
          }
        }
        return [];
      },
      async end() {
        events.push(`end:${server}`);
      },
    };
  };
  return {
    connect,
    events,
    writer,
    get reader() {
      return reader;
    },
    /** The next ALTER USER takes effect but its response is lost (the connection drops). */
    loseNextResponse() {
      loseNextResponse = true;
    },
    catchUp() {
      behind = 0;
      reader = new Map(writer);
    },
    lagFor(attempts: number) {
      behind = attempts;
    },
  };
}

let aws: FakeAws;

beforeEach(() => {
  aws = fakeAws();
  aws.instance('shop-1', 'aurora-mysql', 'shop-1.local', 3306, { DBClusterIdentifier: 'shop' });
  aws.instance('shop-2', 'aurora-mysql', 'shop-2.local', 3306, { DBClusterIdentifier: 'shop' });
  aws.cluster(
    'shop',
    'aurora-mysql',
    { writer: 'shop.cluster.local', reader: 'shop.cluster-ro.local', port: 3306 },
    [
      { instance: 'shop-1', writer: true },
      { instance: 'shop-2', writer: false },
    ],
  );
});

afterEach(() => {
  aws.restore();
});

/** A single-user (or dual-password) strategy and the values of one rotation on the reader. */
async function mysqlRotation(
  db: ReturnType<typeof fakeAurora>,
  mode: 'single-user' | 'dual-password' = 'single-user',
  replicationWaitMs = 30_000,
) {
  const strategy = createMysqlStrategy({
    mode,
    tls: { mode: 'require' },
    connect: db.connect,
    rds: aws.discovery,
    replicationWaitMs,
  });
  const { ctx, lines } = fakeContext();
  const current = strategy.parse(JSON.stringify({ host: 'shop-2.local', username: 'app', password: OLD }));
  const pending = await strategy.create(current, ctx, noPrevious);
  return { strategy, ctx, lines, current, pending };
}

const alters = (events: readonly string[]) => events.filter((event) => event.includes('ALTER USER'));

describe('Replica handling: an Aurora MySQL reader', () => {
  it('changes the password on the writer the reader reports, then waits until the reader accepts it', async () => {
    const db = fakeAurora(1);
    const { strategy, ctx, current, pending } = await mysqlRotation(db);

    await strategy.set(pending, current, noPrevious, ctx);

    expect(db.events).toEqual([
      'connect:reader:app', // the pending password: not there yet
      'connect:reader:app', // the current password: logs in; the server is read-only
      'query:reader:SELECT SERVER_ID',
      'end:reader',
      'connect:writer:app', // on the writer: the pending password, not there
      'connect:writer:app',
      'query:writer:ALTER USER',
      'end:writer',
      'connect:reader:app', // the new password has reached the reader
      'end:reader',
    ]);
    // No RDS names in the secret: the writer came from the server, its endpoint from RDS.
    expect(aws.calls).toEqual(['DescribeDBInstances:shop-1', 'DescribeDBClusters:shop']);
    expect(db.writer.get('app')).toBe(pending.password);
    expect(db.reader.get('app')).toBe(pending.password);
  });

  it('fails after the change when the response is lost, and the re-run finds it on the writer instead of changing again', async () => {
    const db = fakeAurora(3);
    const { strategy, ctx, current, pending } = await mysqlRotation(db);
    db.loseNextResponse();

    const failure = await rejectionOf(strategy.set(pending, current, noPrevious, ctx));
    expect(failure.message).toContain('Connection lost');
    expect(db.writer.get('app')).toBe(pending.password);

    await strategy.set(pending, current, noPrevious, ctx);
    await strategy.test(pending, ctx);

    expect(alters(db.events)).toHaveLength(1);
    expect(db.reader.get('app')).toBe(pending.password);
  });

  it('fails before any change when the RDS look-up fails, and the re-run converges', async () => {
    const db = fakeAurora(1);
    const { strategy, ctx, current, pending } = await mysqlRotation(db);
    aws.rdsMock
      .on(DescribeDBInstancesCommand)
      .rejectsOnce(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));

    const failure = await rejectionOf(strategy.set(pending, current, noPrevious, ctx));

    expect(failure).toBeInstanceOf(TargetError);
    expect(failure.message).toContain(
      'RDS DescribeDBInstances for DB instance "shop-1" failed: AccessDenied',
    );
    expect(alters(db.events)).toEqual([]);
    expect(db.writer.get('app')).toBe(OLD);

    aws.restore();
    aws = fakeAws();
    aws.instance('shop-1', 'aurora-mysql', 'shop-1.local', 3306);
    const retry = await mysqlRotation(db);
    await retry.strategy.set(pending, current, noPrevious, ctx);

    expect(alters(db.events)).toHaveLength(1);
    expect(db.reader.get('app')).toBe(pending.password);
  });

  it('gives up when the reader lags past replicationWaitMs, and the re-run converges once it caught up', async () => {
    const db = fakeAurora(1_000_000);
    const { strategy, ctx, current, pending } = await mysqlRotation(db, 'single-user', 50);

    const failure = await rejectionOf(strategy.set(pending, current, noPrevious, ctx));

    expect(failure.message).toMatch(/read replica shop-2\.local:3306 still rejects it after 50 ms/);
    expect(db.writer.get('app')).toBe(pending.password);

    db.catchUp();
    db.events.length = 0;
    await strategy.set(pending, current, noPrevious, ctx);

    expect(db.events).toEqual(['connect:reader:app', 'end:reader']);
  });

  it('discards the old password on the writer (dual-password revoke), never on the reader', async () => {
    const db = fakeAurora(1);
    const { strategy, ctx } = await mysqlRotation(db, 'dual-password');
    const current = JSON.stringify({ host: 'shop-2.local', username: 'app', password: OLD });
    const old = strategy.parse(
      JSON.stringify({ host: 'shop-2.local', username: 'app', password: 'Older-Passw0rd-00000000000000000' }),
    );
    const revokeCtx = { ...ctx, secrets: readOnlySecrets(() => current) };

    await strategy.revoke?.(old, revokeCtx);

    expect(db.events.filter((event) => event.startsWith('query:'))).toEqual([
      'query:reader:SELECT SERVER_ID',
      'query:writer:ALTER USER',
    ]);
  });

  it('fails with a ReadReplicaError naming @@innodb_read_only when the strategy has no RDS discovery', async () => {
    const db = fakeAurora(1);
    const strategy = createMysqlStrategy({
      mode: 'single-user',
      tls: { mode: 'require' },
      connect: db.connect,
    });
    const { ctx } = fakeContext();
    const current = strategy.parse(JSON.stringify({ host: 'shop-2.local', username: 'app', password: OLD }));
    const pending = await strategy.create(current, ctx, noPrevious);

    const failure = await rejectionOf(strategy.set(pending, current, noPrevious, ctx));

    expect(failure).toBeInstanceOf(ReadReplicaError);
    expect(failure.message).toContain(
      'shop-2.local:3306 is a read replica (@@innodb_read_only = 1 (an Aurora MySQL reader))',
    );
    expect(alters(db.events)).toEqual([]);
  });
});

/** Whether `password` matches a stored password: plaintext, or a SCRAM-SHA-256 verifier. */
async function matches(stored: string | undefined, password: string): Promise<boolean> {
  const scram = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):/.exec(stored ?? '');
  if (scram === null) return stored === password;
  const keys = await scramSha256Keys(password, Buffer.from(scram[2] ?? '', 'base64'), Number(scram[1]));
  return keys.storedKey.toString('base64') === scram[3];
}

/**
 * A PostgreSQL primary (`orders.local`) and hot standby (`orders-ro.local`): the standby answers
 * `in_recovery: true` and copies the primary's roles on its next connection after a write.
 */
function fakePrimaryAndStandby(auroraWriter?: string) {
  const primary = new Map([
    ['postgres', MASTER],
    ['app', OLD],
  ]);
  let standby = new Map(primary);
  let stale = false;
  const events: string[] = [];
  const connect: PostgresConnect = async (config) => {
    const server = config.host === 'orders.local' ? 'primary' : 'standby';
    if (server === 'standby' && stale) {
      stale = false;
      standby = new Map(primary);
    }
    events.push(`connect:${server}:${config.user}`);
    const roles = server === 'primary' ? primary : standby;
    if (!(await matches(roles.get(config.user), config.password))) {
      throw pgError('28P01', `password authentication failed for user "${config.user}"`);
    }
    return {
      async query(text) {
        events.push(`query:${server}:${text.split(/\s+/).slice(0, 2).join(' ')}`);
        if (text.includes('session_user')) {
          return {
            rows: [{ ok: 1, session_user: config.user, current_user: config.user.replace(/_clone$/, '') }],
          };
        }
        if (text.includes('pg_roles')) {
          return { rows: [{ server_version: 160004, in_recovery: server === 'standby', roles: null }] };
        }
        if (text.includes('aurora_replica_status()')) {
          if (auroraWriter === undefined)
            throw pgError('42883', 'function aurora_replica_status() does not exist');
          return { rows: [{ writer: auroraWriter }] };
        }
        if (text.startsWith('ALTER ROLE') && server === 'standby') {
          throw pgError('25006', 'cannot execute ALTER ROLE in a read-only transaction');
        }
        if (text.includes('pg_is_in_recovery() AS in_recovery')) {
          return { rows: [{ in_recovery: server === 'standby' }] };
        }
        const own = /^ALTER ROLE "([^"]+)" WITH PASSWORD '([^']+)'/.exec(text);
        if (own) {
          primary.set(own[1] ?? '', own[2] ?? '');
          stale = true;
        }
        if (text.startsWith('BEGIN')) {
          if (server === 'standby')
            throw pgError('25006', 'cannot execute CREATE ROLE in a read-only transaction');
          const created = /(?:CREATE|ALTER) ROLE "([^"]+)" WITH LOGIN PASSWORD '([^']+)'/.exec(text);
          if (created) primary.set(created[1] ?? '', created[2] ?? '');
          stale = true;
        }
        return { rows: [] };
      },
      async end() {
        events.push(`end:${server}`);
      },
    };
  };
  return { connect, events, primary };
}

describe('Replica handling: a PostgreSQL hot standby', () => {
  it("sends the master to the replica's source when the secret's host is in recovery, and waits for the standby", async () => {
    aws.instance('orders', 'postgres', 'orders.local', 5432);
    aws.instance('orders-ro', 'postgres', 'orders-ro.local', 5432, {
      ReadReplicaSourceDBInstanceIdentifier: 'orders',
    });
    const db = fakePrimaryAndStandby();
    const masterArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:master-AbCdEf';
    const strategy = createPostgresStrategy({
      mode: 'alternating-users',
      tls: { mode: 'require' },
      connect: db.connect,
      rds: aws.discovery,
    });
    // The master secret points at the standby too (the master never goes where only the rotated
    // secret points).
    const { ctx } = fakeContext({
      [masterArn]: JSON.stringify({
        host: 'orders-ro.local',
        port: 5432,
        username: 'postgres',
        password: MASTER,
      }),
    });
    const current = strategy.parse(
      JSON.stringify({
        dbInstanceIdentifier: 'orders-ro',
        username: 'app',
        password: OLD,
        masterarn: masterArn,
      }),
    );
    const pending = await strategy.create(current, ctx, noPrevious);

    await strategy.set(pending, current, noPrevious, ctx);
    await strategy.test(pending, ctx);

    expect(db.events).toEqual([
      'connect:standby:app', // confused-deputy check, read-only
      'query:standby:SELECT 1',
      'end:standby',
      'connect:standby:postgres', // the master secret's own host: the standby
      "query:standby:SELECT current_setting('server_version_num')::int",
      'query:standby:SELECT server_id', // not Aurora (no aurora_replica_status()): no writer reported
      'end:standby',
      'connect:primary:postgres', // the replica's source
      "query:primary:SELECT current_setting('server_version_num')::int",
      'query:primary:BEGIN; CREATE',
      'end:primary',
      'connect:standby:app_clone', // replication reached the standby
      'end:standby',
      'connect:standby:app_clone', // testSecret, on the secret's own host
      'query:standby:SELECT 1',
      'end:standby',
    ]);
    // set: the secret's endpoint, the writer from the secret's own RDS name (the master secret has
    // its own host: its tags are not read); test: the secret's endpoint again.
    expect(aws.calls).toEqual([
      'DescribeDBInstances:orders-ro',
      'DescribeDBInstances:orders-ro',
      'DescribeDBInstances:orders',
      'DescribeDBInstances:orders-ro',
    ]);
  });
});

describe('Replica handling: an Aurora PostgreSQL reader, single user', () => {
  it('changes the password on the writer the reader reports (no RDS names in the secret) and waits for the reader', async () => {
    aws.instance('orders-1', 'aurora-postgresql', 'orders.local', 5432);
    const db = fakePrimaryAndStandby('orders-1');
    const strategy = createPostgresStrategy({
      mode: 'single-user',
      tls: { mode: 'require' },
      connect: db.connect,
      rds: aws.discovery,
    });
    const { ctx } = fakeContext();
    const current = strategy.parse(
      JSON.stringify({ host: 'orders-ro.local', port: 5432, username: 'app', password: OLD }),
    );
    const pending = await strategy.create(current, ctx, noPrevious);

    await strategy.set(pending, current, noPrevious, ctx);

    expect(db.events).toEqual([
      'connect:standby:app', // the pending password: not there
      'connect:standby:app', // the current one: logs in
      'query:standby:ALTER ROLE', // refused: read-only transaction (25006)
      'query:standby:SELECT pg_is_in_recovery()',
      'query:standby:SELECT server_id',
      'end:standby',
      'connect:primary:app', // the writer: the pending password, not there
      'connect:primary:app',
      'query:primary:ALTER ROLE',
      'end:primary',
      'connect:standby:app', // replicated
      'end:standby',
    ]);
    expect(aws.calls).toEqual(['DescribeDBInstances:orders-1']);
  });
});

describe('Replica handling: a read-only session that is not a replica', () => {
  it('reports the server error (SQLSTATE 25006) when the server is not in recovery, and asks RDS nothing', async () => {
    const events: string[] = [];
    const connect: PostgresConnect = async (config) => {
      if (config.password !== OLD) throw pgError('28P01', 'password authentication failed');
      return {
        async query(text) {
          events.push(text.split(/\s+/).slice(0, 2).join(' '));
          if (text.startsWith('ALTER ROLE')) {
            throw pgError('25006', 'cannot execute ALTER ROLE in a read-only transaction');
          }
          return { rows: [{ in_recovery: false }] };
        },
        async end() {},
      };
    };
    const strategy = createPostgresStrategy({
      mode: 'single-user',
      tls: { mode: 'require' },
      connect,
      rds: aws.discovery,
    });
    const { ctx } = fakeContext();
    const current = strategy.parse(
      JSON.stringify({ host: 'orders.local', port: 5432, username: 'app', password: OLD }),
    );
    const pending = await strategy.create(current, ctx, noPrevious);

    const failure = await rejectionOf(strategy.set(pending, current, noPrevious, ctx));

    expect(failure).toBeInstanceOf(TargetError);
    expect(failure).not.toBeInstanceOf(ReadReplicaError);
    expect(failure.message).toContain(
      '(SQLSTATE 25006): cannot execute ALTER ROLE in a read-only transaction',
    );
    expect(events).toEqual(['ALTER ROLE', 'SELECT pg_is_in_recovery()']);
    expect(aws.calls).toEqual([]);
  });
});
