import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  changeOnWriter,
  createDatabaseLocator,
  type DatabaseLocator,
  type Endpoint,
  MasterEndpointError,
  RDS_MASTER_SECRET_TAGS,
  ReadReplicaError,
} from '../../../../lambdas/credentials/database/rds';
import { SecretFormatError, TargetError } from '../../../../lambdas/shared/errors';
import { clusterArn, type FakeAws, fakeAws, instanceArn, recordingLogger, rejectionOf } from './fakes';

const MASTER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-AbCdEf';

let aws: FakeAws;
let locator: DatabaseLocator;
const { logger, lines } = recordingLogger();

beforeEach(() => {
  aws = fakeAws();
  lines.length = 0;
  locator = createDatabaseLocator({ family: 'postgres', discovery: aws.discovery });
});

afterEach(() => {
  aws.restore();
});

describe('Function: createDatabaseLocator > locate', () => {
  it('returns the host and port as written without calling RDS', async () => {
    aws.instance('orders', 'postgres', 'orders.rds.example', 5432);

    const endpoint = await locator.locate(
      { host: 'db.internal', port: 6432, dbInstanceIdentifier: 'orders' },
      logger,
    );

    expect(endpoint).toEqual({ host: 'db.internal', port: 6432 });
    expect(aws.calls).toEqual([]);
  });

  it("resolves dbInstanceIdentifier to the instance's endpoint and port", async () => {
    aws.instance('orders', 'postgres', 'orders.abc.us-east-1.rds.amazonaws.com', 5433);

    const endpoint = await locator.locate({ dbInstanceIdentifier: 'orders' }, logger);

    expect(endpoint).toEqual({ host: 'orders.abc.us-east-1.rds.amazonaws.com', port: 5433 });
    expect(aws.calls).toEqual(['DescribeDBInstances:orders']);
    expect(lines.join('\n')).toContain('database endpoint looked up in RDS');
  });

  it("resolves dbClusterIdentifier to the cluster's writer endpoint, never the reader endpoint", async () => {
    aws.cluster('shop', 'aurora-postgresql', {
      writer: 'shop.cluster-x',
      reader: 'shop.cluster-ro-x',
      port: 5432,
    });

    const endpoint = await locator.locate({ dbClusterIdentifier: 'shop' }, logger);

    expect(endpoint).toEqual({ host: 'shop.cluster-x', port: 5432 });
    expect(aws.calls).toEqual(['DescribeDBClusters:shop']);
  });

  it('prefers the cluster when a secret names both a cluster and an instance', async () => {
    aws.cluster('shop', 'aurora-postgresql', {
      writer: 'shop.cluster-x',
      reader: 'shop.cluster-ro-x',
      port: 5432,
    });
    aws.instance('shop-2', 'aurora-postgresql', 'shop-2.x', 5432);

    const endpoint = await locator.locate(
      { dbClusterIdentifier: 'shop', dbInstanceIdentifier: 'shop-2' },
      logger,
    );

    expect(endpoint.host).toBe('shop.cluster-x');
    expect(aws.calls).toEqual(['DescribeDBClusters:shop']);
  });

  it('takes only the missing port from RDS when the secret has a host', async () => {
    aws.instance('orders', 'postgres', 'orders.rds.example', 5999);

    const endpoint = await locator.locate(
      { host: 'orders.cname.example', dbInstanceIdentifier: 'orders' },
      logger,
    );

    expect(endpoint).toEqual({ host: 'orders.cname.example', port: 5999 });
  });

  it('asks RDS again on every call: nothing is cached', async () => {
    aws.instance('orders', 'postgres', 'old.rds.example', 5432);
    await locator.locate({ dbInstanceIdentifier: 'orders' }, logger);
    aws.instance('orders', 'postgres', 'new.rds.example', 5432);

    const endpoint = await locator.locate({ dbInstanceIdentifier: 'orders' }, logger);

    expect(endpoint.host).toBe('new.rds.example');
    expect(aws.calls).toHaveLength(2);
  });

  it.each([
    ['dbInstanceIdentifier', { dbInstanceIdentifier: 'missing' }, /RDS has no DB instance "missing"/],
    ['dbClusterIdentifier', { dbClusterIdentifier: 'missing' }, /RDS has no DB cluster "missing"/],
  ] as const)(
    'fails with a SecretFormatError naming %s when RDS has no such database',
    async (field, secret, message) => {
      const error = await rejectionOf(locator.locate(secret, logger));

      expect(error).toBeInstanceOf(SecretFormatError);
      expect((error as SecretFormatError).field).toBe(field);
      expect(error.message).toMatch(message);
    },
  );

  it('refuses an instance of another engine family, naming the field and both engines', async () => {
    aws.instance('billing', 'mysql', 'billing.rds.example', 3306);

    const error = await rejectionOf(locator.locate({ dbInstanceIdentifier: 'billing' }, logger));

    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as SecretFormatError).field).toBe('dbInstanceIdentifier');
    expect(error.message).toContain('runs engine "mysql"; this function rotates PostgreSQL');
  });

  it.each(['mysql', 'mariadb', 'aurora-mysql'])('accepts engine %s for the MySQL family', async (engine) => {
    aws.instance('billing', engine, 'billing.rds.example', 3306);
    const mysql = createDatabaseLocator({ family: 'mysql', discovery: aws.discovery });

    expect(await mysql.locate({ dbInstanceIdentifier: 'billing' }, logger)).toEqual({
      host: 'billing.rds.example',
      port: 3306,
    });
  });

  it('fails clearly while the instance has no endpoint yet', async () => {
    aws.instance('orders', 'postgres', 'x', 1, { Endpoint: undefined, DBInstanceStatus: 'creating' });

    const error = await rejectionOf(locator.locate({ dbInstanceIdentifier: 'orders' }, logger));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toBe(
      'RDS instance "orders" has no endpoint yet (status: creating): retry when it is available',
    );
  });

  it('names the field when the strategy was built without RDS discovery', async () => {
    const offline = createDatabaseLocator({ family: 'postgres' });

    const error = await rejectionOf(offline.locate({ dbClusterIdentifier: 'shop' }, logger));

    expect((error as SecretFormatError).field).toBe('dbClusterIdentifier');
    expect(error.message).toContain('without RDS discovery');
  });

  it('refuses a hand-built location with neither host nor RDS names', async () => {
    const error = await rejectionOf(locator.locate({ port: 5432 }, logger));

    expect((error as SecretFormatError).field).toBe('host');
  });

  it('reports an RDS failure as a TargetError naming the operation and the identifier', async () => {
    aws.rdsMock
      .on(DescribeDBInstancesCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));

    const error = await rejectionOf(locator.locate({ dbInstanceIdentifier: 'orders' }, logger));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toBe(
      'RDS DescribeDBInstances for DB instance "orders" failed: AccessDenied: not authorized',
    );
  });

  it('says what to check when the RDS API cannot be reached', async () => {
    aws.rdsMock
      .on(DescribeDBInstancesCommand)
      .rejects(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }));

    const error = await rejectionOf(locator.locate({ dbInstanceIdentifier: 'orders' }, logger));

    expect(error.message).toContain('interface VPC endpoint');
  });
});

describe('Function: createDatabaseLocator > findWriter', () => {
  const replica: Endpoint = { host: 'orders-ro.rds.example', port: 5432 };
  const evidence = 'pg_is_in_recovery() is true';

  it("finds a read replica's source instance", async () => {
    aws.instance('orders', 'postgres', 'orders.rds.example', 5432);
    aws.instance('orders-ro', 'postgres', replica.host, 5432, {
      ReadReplicaSourceDBInstanceIdentifier: 'orders',
    });

    const writer = await locator.findWriter(
      { secret: { dbInstanceIdentifier: 'orders-ro' }, readOnly: replica, evidence },
      logger,
    );

    expect(writer).toEqual({ host: 'orders.rds.example', port: 5432 });
    expect(aws.calls).toEqual(['DescribeDBInstances:orders-ro', 'DescribeDBInstances:orders']);
    expect(lines.join('\n')).toContain('read replica detected: changing the password on the writer');
  });

  it('follows a replica of a replica to the primary', async () => {
    aws.instance('orders', 'postgres', 'orders.rds.example', 5432);
    aws.instance('orders-ro', 'postgres', 'orders-ro.rds.example', 5432, {
      ReadReplicaSourceDBInstanceIdentifier: 'orders',
    });
    aws.instance('orders-ro-2', 'postgres', 'orders-ro-2.rds.example', 5432, {
      ReadReplicaSourceDBInstanceIdentifier: instanceArn('orders-ro'),
    });

    const writer = await locator.findWriter(
      { secret: { dbInstanceIdentifier: 'orders-ro-2' }, readOnly: replica, evidence },
      logger,
    );

    expect(writer.host).toBe('orders.rds.example');
  });

  it("finds the cluster's writer endpoint for an instance in a cluster", async () => {
    aws.cluster(
      'shop',
      'aurora-postgresql',
      { writer: 'shop.cluster-x', reader: 'shop.cluster-ro-x', port: 5432 },
      [
        { instance: 'shop-1', writer: true },
        { instance: 'shop-2', writer: false },
      ],
    );
    aws.instance('shop-2', 'aurora-postgresql', 'shop-2.x', 5432, { DBClusterIdentifier: 'shop' });

    const writer = await locator.findWriter(
      { secret: { dbInstanceIdentifier: 'shop-2' }, readOnly: { host: 'shop-2.x', port: 5432 }, evidence },
      logger,
    );

    expect(writer).toEqual({ host: 'shop.cluster-x', port: 5432 });
  });

  it("finds the writer endpoint when the secret's host is the cluster's reader endpoint", async () => {
    aws.cluster('shop', 'aurora-postgresql', {
      writer: 'shop.cluster-x',
      reader: 'shop.cluster-ro-x',
      port: 5432,
    });

    const writer = await locator.findWriter(
      {
        secret: { dbClusterIdentifier: 'shop' },
        readOnly: { host: 'shop.cluster-ro-x', port: 5432 },
        evidence,
      },
      logger,
    );

    expect(writer).toEqual({ host: 'shop.cluster-x', port: 5432 });
  });

  it('refuses a cross-region source it cannot see, as a TargetError that says so', async () => {
    aws.instance('orders-ro', 'postgres', replica.host, 5432, {
      ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:eu-west-1:123456789012:db:orders',
    });

    const error = await rejectionOf(
      locator.findWriter(
        { secret: { dbInstanceIdentifier: 'orders-ro' }, readOnly: replica, evidence },
        logger,
      ),
    );

    expect(error).toBeInstanceOf(TargetError);
    expect(error).not.toBeInstanceOf(SecretFormatError);
    expect(error.message).toContain('a cross-region source is not supported');
  });

  it.each([
    ['instance', RDS_MASTER_SECRET_TAGS.instance, instanceArn('orders'), 'orders.rds.example'],
    ['cluster', RDS_MASTER_SECRET_TAGS.cluster, clusterArn('shop'), 'shop.cluster-x'],
  ])('finds the primary an RDS-managed master secret is tagged with (%s)', async (_kind, tag, arn, host) => {
    aws.instance('orders', 'postgres', 'orders.rds.example', 5432);
    aws.cluster('shop', 'aurora-postgresql', {
      writer: 'shop.cluster-x',
      reader: 'shop.cluster-ro-x',
      port: 5432,
    });
    aws.tagSecret(MASTER_ARN, { [tag]: arn, 'aws:secretsmanager:owningService': 'rds' });

    const writer = await locator.findWriter(
      { secret: {}, readOnly: replica, evidence, masterSecretId: MASTER_ARN },
      logger,
    );

    expect(writer.host).toBe(host);
    expect(aws.calls[0]).toBe(`DescribeSecret:${MASTER_ARN}`);
  });

  it('uses the writer the server itself reports (Aurora MySQL) when nothing else names it', async () => {
    aws.instance('shop-1', 'aurora-postgresql', 'shop-1.x', 5432);
    let asked = 0;

    const writer = await locator.findWriter(
      {
        secret: {},
        readOnly: replica,
        evidence,
        serverReportedWriter: async () => {
          asked += 1;
          return 'shop-1';
        },
      },
      logger,
    );

    expect(writer.host).toBe('shop-1.x');
    expect(asked).toBe(1);
  });

  it('asks the secret first: the cluster, then the instance, and stops at the first writer', async () => {
    aws.cluster('shop', 'aurora-postgresql', {
      writer: 'shop.cluster-x',
      reader: 'shop.cluster-ro-x',
      port: 5432,
    });
    aws.instance('orders', 'postgres', 'orders.rds.example', 5432);

    await locator.findWriter(
      {
        secret: { dbClusterIdentifier: 'shop', dbInstanceIdentifier: 'orders' },
        readOnly: replica,
        evidence,
      },
      logger,
    );

    expect(aws.calls).toEqual(['DescribeDBClusters:shop']);
  });

  it('fails with a ReadReplicaError that says which host, why, and what to do when nothing names the writer', async () => {
    const error = await rejectionOf(locator.findWriter({ secret: {}, readOnly: replica, evidence }, logger));

    expect(error).toBeInstanceOf(ReadReplicaError);
    expect((error as ReadReplicaError).endpoint).toEqual(replica);
    expect(error.message).toBe(
      'orders-ro.rds.example:5432 is a read replica (pg_is_in_recovery() is true): passwords can only be changed ' +
        'on the writer, and Handover cannot find it: the secret names no RDS instance or cluster, and no ' +
        'RDS-managed master secret names the primary. Point the secret\'s "host" at the writer (the primary ' +
        'instance or the cluster endpoint), or add "dbInstanceIdentifier" / "dbClusterIdentifier" so the ' +
        'writer can be looked up in RDS. Nothing was changed.',
    );
  });

  it('fails (failover in progress?) when RDS names the read-only host itself as the writer', async () => {
    aws.instance('orders', 'postgres', replica.host, 5432);

    const error = await rejectionOf(
      locator.findWriter({ secret: { dbInstanceIdentifier: 'orders' }, readOnly: replica, evidence }, logger),
    );

    expect(error).toBeInstanceOf(ReadReplicaError);
    expect(error.message).toContain(
      'RDS instance "orders" names orders-ro.rds.example:5432 itself as the writer',
    );
  });

  it('says RDS discovery is missing when the strategy has none', async () => {
    const offline = createDatabaseLocator({ family: 'postgres' });

    const error = await rejectionOf(offline.findWriter({ secret: {}, readOnly: replica, evidence }, logger));

    expect(error.message).toContain('this function was built without RDS discovery');
  });
});

describe('Function: createDatabaseLocator > locateMaster', () => {
  it("uses the master secret's own host and port, and no AWS call", async () => {
    expect(await locator.locateMaster({ host: 'admin.example', port: 5433 }, MASTER_ARN, logger)).toEqual({
      host: 'admin.example',
      port: 5433,
    });
    expect(aws.calls).toEqual([]);
  });

  it("never takes the rotated secret's port: a PostgreSQL master host without port names port, MySQL means 3306", async () => {
    const error = await rejectionOf(locator.locateMaster({ host: 'admin.example' }, MASTER_ARN, logger));
    expect(error).toBeInstanceOf(MasterEndpointError);
    expect(error).toMatchObject({ field: 'port', masterSecretId: MASTER_ARN });
    expect(error.message).toContain(`master secret ${MASTER_ARN}: field "port" is required`);

    const mysql = createDatabaseLocator({ family: 'mysql', discovery: aws.discovery });
    expect(await mysql.locateMaster({ host: 'admin.example' }, MASTER_ARN, logger)).toEqual({
      host: 'admin.example',
      port: 3306,
    });
    expect(aws.calls).toEqual([]);
  });

  it("looks up a master secret's own RDS names", async () => {
    aws.instance('orders', 'postgres', 'orders.rds.example', 5440);

    expect(await locator.locateMaster({ dbInstanceIdentifier: 'orders' }, MASTER_ARN, logger)).toEqual({
      host: 'orders.rds.example',
      port: 5440,
    });
  });

  it.each([
    [
      'instance',
      RDS_MASTER_SECRET_TAGS.instance,
      instanceArn('orders'),
      { host: 'orders.rds.example', port: 5432 },
    ],
    ['cluster', RDS_MASTER_SECRET_TAGS.cluster, clusterArn('shop'), { host: 'shop.cluster-x', port: 5432 }],
  ])(
    'connects an RDS-managed master secret (%s tag) to the primary its tags name',
    async (_kind, tag, arn, expected) => {
      aws.instance('orders', 'postgres', 'orders.rds.example', 5432);
      aws.cluster('shop', 'aurora-postgresql', {
        writer: 'shop.cluster-x',
        reader: 'shop.cluster-ro-x',
        port: 5432,
      });
      aws.tagSecret(MASTER_ARN, { [tag]: arn });

      const endpoint = await locator.locateMaster({}, MASTER_ARN, logger);

      expect(endpoint).toEqual(expected);
      expect(aws.calls[0]).toBe(`DescribeSecret:${MASTER_ARN}`);
      expect(lines.join('\n')).toContain('master endpoint from its RDS tags');
    },
  );

  it('refuses an untagged master secret with no location, naming it and "host": never where the rotated secret points', async () => {
    const error = await rejectionOf(locator.locateMaster({}, MASTER_ARN, logger));

    expect(error).toBeInstanceOf(MasterEndpointError);
    expect(error).toMatchObject({ field: 'host', masterSecretId: MASTER_ARN });
    expect(error.message.startsWith(`master secret ${MASTER_ARN}: field "host" is required`)).toBe(true);
    expect(error.message).toContain('The master never connects where the rotated secret points');
    expect(aws.calls).toEqual([`DescribeSecret:${MASTER_ARN}`]);
  });

  it('says so when it cannot read the tags for lack of RDS discovery', async () => {
    const offline = createDatabaseLocator({ family: 'postgres' });

    const error = await rejectionOf(offline.locateMaster({}, MASTER_ARN, logger));

    expect(error).toBeInstanceOf(MasterEndpointError);
    expect(error.message).toContain('built without RDS discovery');
  });
});

describe('Function: changeOnWriter', () => {
  const replica: Endpoint = { host: 'orders-ro.rds.example', port: 5432 };
  const primary: Endpoint = { host: 'orders.rds.example', port: 5432 };

  beforeEach(() => {
    aws.instance('orders', 'postgres', primary.host, primary.port);
    aws.instance('orders-ro', 'postgres', replica.host, replica.port, {
      ReadReplicaSourceDBInstanceIdentifier: 'orders',
    });
  });

  it('writes where the secret points when that server accepts writes, and asks RDS nothing', async () => {
    const writes: string[] = [];

    const changedOn = await changeOnWriter(
      locator,
      primary,
      { secret: { dbInstanceIdentifier: 'orders' } },
      async (endpoint) => {
        writes.push(endpoint.host);
        return undefined;
      },
      logger,
    );

    expect(changedOn).toEqual(primary);
    expect(writes).toEqual(['orders.rds.example']);
    expect(aws.calls).toEqual([]);
  });

  it('writes on the writer when the first server is read-only', async () => {
    const writes: string[] = [];

    const changedOn = await changeOnWriter(
      locator,
      replica,
      { secret: { dbInstanceIdentifier: 'orders-ro' } },
      async (endpoint) => {
        writes.push(endpoint.host);
        return endpoint.host === replica.host ? { evidence: '@@read_only = 1' } : undefined;
      },
      logger,
    );

    expect(changedOn).toEqual(primary);
    expect(writes).toEqual(['orders-ro.rds.example', 'orders.rds.example']);
  });

  it('fails (failover in progress?) when the writer is read-only too', async () => {
    const error = await rejectionOf(
      changeOnWriter(
        locator,
        replica,
        { secret: { dbInstanceIdentifier: 'orders-ro' } },
        async () => ({ evidence: '@@read_only = 1' }),
        logger,
      ),
    );

    expect(error).toBeInstanceOf(ReadReplicaError);
    expect(error.message).toBe(
      'the writer orders.rds.example:5432 is read-only too (@@read_only = 1): a failover may be in progress; ' +
        'retry the rotation when it is over. Nothing was changed.',
    );
  });
});

describe('Function: createDatabaseLocator > waitForReplication', () => {
  const wait = (probe: () => Promise<boolean>) => ({
    replica: { host: 'orders-ro.rds.example', port: 5432 },
    writer: { host: 'orders.rds.example', port: 5432 },
    username: 'app',
    probe,
  });

  /** A clock that moves only when the locator sleeps. */
  function fakeClock() {
    let now = 0;
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    };
  }

  it('probes until the new password reaches the replica, backing off', async () => {
    const clock = fakeClock();
    const timed = createDatabaseLocator({ family: 'postgres', replicationWaitMs: 30_000, ...clock });
    let probes = 0;

    const count = await timed.waitForReplication(
      wait(async () => {
        probes += 1;
        return probes === 4;
      }),
      logger,
    );

    expect(count).toBe(4);
    expect(clock.sleeps).toEqual([100, 200, 400]);
    expect(lines.join('\n')).toContain('password change reached the read replica');
  });

  it('gives up after replicationWaitMs with an error naming both servers and saying a re-run is safe', async () => {
    const clock = fakeClock();
    const timed = createDatabaseLocator({ family: 'postgres', replicationWaitMs: 2500, ...clock });

    const error = await rejectionOf(
      timed.waitForReplication(
        wait(async () => false),
        logger,
      ),
    );

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toBe(
      'the password of "app" was changed on the writer orders.rds.example:5432, but the read replica ' +
        'orders-ro.rds.example:5432 still rejects it after 2500 ms (replication lag?). Re-running setSecret is ' +
        'safe: it finds the change and waits again.',
    );
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(2500);
  });
});
