import {
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { errorOf, startTestAws } from './harness';

/**
 * EMULATOR ONLY: the emulator's RDS through the real SDK over HTTP (Query protocol, RDS's XML list
 * shapes), with instances and clusters registered in-process (`emulator.rds.registerInstance`), a
 * set-up no AWS API allows without creating real databases; and its call log and faults. Unknown
 * instances and clusters are tested portably in rds.test.ts.
 */
let aws: AwsWorld;
let emulator: Emulator;
let rds: RDSClient;

beforeAll(async () => {
  aws = await startTestAws(['rds']);
  emulator = aws.requireEmulator();
  rds = new RDSClient({ maxAttempts: 1 });
  emulator.rds.registerInstance({
    identifier: 'Orders',
    engine: 'postgres',
    address: 'orders.local',
    port: 5432,
    engineVersion: '16.4',
    masterUsername: 'postgres',
    dbName: 'orders',
  });
  emulator.rds.registerInstance({
    identifier: 'orders-ro',
    engine: 'postgres',
    address: 'orders-ro.local',
    port: 5433,
    readReplicaSource: 'orders',
  });
  emulator.rds.registerInstance({ identifier: 'orders-new', engine: 'postgres', status: 'creating' });
  emulator.rds.registerInstance({
    identifier: 'shop-1',
    engine: 'aurora-mysql',
    address: 'shop-1.local',
    port: 3306,
  });
  emulator.rds.registerInstance({
    identifier: 'shop-2',
    engine: 'aurora-mysql',
    address: 'shop-2.local',
    port: 3306,
  });
  emulator.rds.registerCluster({
    identifier: 'shop',
    engine: 'aurora-mysql',
    endpoint: 'shop.cluster.local',
    readerEndpoint: 'shop.cluster-ro.local',
    port: 3306,
    members: [
      { instance: 'shop-1', writer: true },
      { instance: 'shop-2', writer: false },
    ],
  });
});

afterEach(() => {
  emulator.faults.clear();
  emulator.resetCalls();
});

afterAll(async () => {
  rds.destroy();
  await aws.close();
});

const instance = async (id: string) =>
  (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];

describe('Emulator: RDS DescribeDBInstances', () => {
  it('returns an instance by identifier, case-insensitively, with its endpoint, engine and ARN', async () => {
    const found = await instance('ORDERS');

    expect(found).toMatchObject({
      DBInstanceIdentifier: 'orders',
      Engine: 'postgres',
      EngineVersion: '16.4',
      DBInstanceStatus: 'available',
      MasterUsername: 'postgres',
      DBName: 'orders',
      Endpoint: { Address: 'orders.local', Port: 5432 },
      DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders',
      ReadReplicaDBInstanceIdentifiers: ['orders-ro'],
    });
    expect(found?.ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
    expect(found?.DBClusterIdentifier).toBeUndefined();
  });

  it('returns an instance by ARN, and a read replica with its source', async () => {
    const found = await instance(emulator.rds.instanceArn('orders-ro'));

    expect(found).toMatchObject({
      DBInstanceIdentifier: 'orders-ro',
      ReadReplicaSourceDBInstanceIdentifier: 'orders',
      Endpoint: { Address: 'orders-ro.local', Port: 5433 },
    });
  });

  it("gives a cluster member its cluster's identifier", async () => {
    expect((await instance('shop-2'))?.DBClusterIdentifier).toBe('shop');
  });

  it('has no endpoint while an instance is being created', async () => {
    const found = await instance('orders-new');

    expect(found?.DBInstanceStatus).toBe('creating');
    expect(found?.Endpoint).toBeUndefined();
  });

  it.each([
    ['an unknown identifier', 'nope'],
    ['an ARN in another region', 'arn:aws:rds:eu-west-1:123456789012:db:orders'],
  ])('fails with DBInstanceNotFoundFault (HTTP 404) for %s', async (_name, id) => {
    const error = await errorOf(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })));

    expect(error).toBeInstanceOf(DBInstanceNotFoundFault);
    expect(error.message).toBe(`DBInstance ${id} not found.`);
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });

  it('lists every instance without an identifier, filtered by instance id, cluster id or engine', async () => {
    const ids = async (filters: { Name: string; Values: string[] }[] = []) =>
      (await rds.send(new DescribeDBInstancesCommand({ Filters: filters }))).DBInstances?.map(
        (i) => i.DBInstanceIdentifier,
      );

    expect(await ids()).toEqual(['orders', 'orders-new', 'orders-ro', 'shop-1', 'shop-2']);
    expect(await ids([{ Name: 'db-cluster-id', Values: ['shop'] }])).toEqual(['shop-1', 'shop-2']);
    expect(await ids([{ Name: 'engine', Values: ['postgres'] }])).toEqual([
      'orders',
      'orders-new',
      'orders-ro',
    ]);
    expect(
      await ids([{ Name: 'db-instance-id', Values: ['orders-ro', emulator.rds.instanceArn('shop-1')] }]),
    ).toEqual(['orders-ro', 'shop-1']);
  });

  it('pages with MaxRecords and Marker, and refuses MaxRecords outside 20-100', async () => {
    for (let i = 0; i < 20; i++) {
      emulator.rds.registerInstance({ identifier: `page-${String(i).padStart(2, '0')}`, engine: 'mysql' });
    }
    const first = await rds.send(new DescribeDBInstancesCommand({ MaxRecords: 20 }));
    const second = await rds.send(new DescribeDBInstancesCommand({ MaxRecords: 20, Marker: first.Marker }));
    const error = await errorOf(rds.send(new DescribeDBInstancesCommand({ MaxRecords: 5 })));
    for (let i = 0; i < 20; i++) emulator.rds.removeInstance(`page-${String(i).padStart(2, '0')}`);

    expect(first.DBInstances).toHaveLength(20);
    expect(first.Marker).toBeDefined();
    expect(second.DBInstances).toHaveLength(5);
    expect(second.Marker).toBeUndefined();
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('refuses a filter it does not support, rather than ignoring it', async () => {
    const error = await errorOf(
      rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'dbi-resource-id', Values: ['x'] }] })),
    );

    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toContain('Unrecognized filter name: dbi-resource-id');
  });
});

describe('Emulator: RDS DescribeDBClusters', () => {
  it('returns a cluster with its writer and reader endpoints, port and members', async () => {
    const out = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'SHOP' }));

    expect(out.DBClusters).toEqual([
      {
        DBClusterIdentifier: 'shop',
        Engine: 'aurora-mysql',
        Status: 'available',
        Endpoint: 'shop.cluster.local',
        ReaderEndpoint: 'shop.cluster-ro.local',
        Port: 3306,
        DBClusterMembers: [
          {
            DBInstanceIdentifier: 'shop-1',
            IsClusterWriter: true,
            DBClusterParameterGroupStatus: 'in-sync',
            PromotionTier: 1,
          },
          {
            DBInstanceIdentifier: 'shop-2',
            IsClusterWriter: false,
            DBClusterParameterGroupStatus: 'in-sync',
            PromotionTier: 2,
          },
        ],
        DBClusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:shop',
      },
    ]);
  });

  it('returns a cluster by ARN, and lists clusters without an identifier', async () => {
    const byArn = await rds.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: emulator.rds.clusterArn('shop') }),
    );
    const all = await rds.send(new DescribeDBClustersCommand({}));

    expect(byArn.DBClusters?.[0]?.DBClusterIdentifier).toBe('shop');
    expect(all.DBClusters?.map((c) => c.DBClusterIdentifier)).toEqual(['shop']);
  });
});

describe('Emulator: RDS plumbing', () => {
  it('logs calls with the identifier and applies faults to the rds service', async () => {
    emulator.faults.add({ service: 'rds', operation: 'DescribeDBInstances', error: 'throttle' });

    const error = await errorOf(instance('orders'));

    expect(error.name).toBe('ThrottlingException');
    expect(
      emulator.calls.map(({ service, operation, secretId }) => ({ service, operation, secretId })),
    ).toEqual([{ service: 'rds', operation: 'DescribeDBInstances', secretId: 'orders' }]);
  });

  it('is reached through the standard AWS_ENDPOINT_URL_RDS variable', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_RDS;
    process.env.AWS_ENDPOINT_URL_RDS = emulator.endpoint;
    try {
      const client = new RDSClient({ region: 'us-east-1', credentials: emulator.bootstrapCredentials });
      const out = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders' }));
      client.destroy();

      expect(out.DBInstances?.[0]?.DBInstanceIdentifier).toBe('orders');
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_RDS;
      else process.env.AWS_ENDPOINT_URL_RDS = saved;
    }
  });

  it('refuses to register an identifier RDS would not accept', () => {
    expect(() => emulator.rds.registerInstance({ identifier: '1db', engine: 'postgres' })).toThrow(TypeError);
    expect(() => emulator.rds.registerCluster({ identifier: 'a--b', engine: 'aurora-mysql' })).toThrow(
      TypeError,
    );
  });
});
