import {
  type DBCluster,
  DBClusterNotFoundFault,
  type DBInstance,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { RdsDiscovery } from '../../../../lambdas/credentials/database/rds';
import { createRdsDiscovery } from '../../../../lambdas/credentials/database/rds/discovery';
import { createSecretsManagerPort } from '../../../../lambdas/rotation/secrets-port';
import type { StrategyLogger } from '../../../../lambdas/rotation/strategy';
import { SecretFormatError } from '../../../../lambdas/shared/errors';

const ACCOUNT = '123456789012';
export const instanceArn = (id: string) => `arn:aws:rds:us-east-1:${ACCOUNT}:db:${id}`;
export const clusterArn = (id: string) => `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:${id}`;

/** Strips an ARN to its identifier, as RDS accepts both. */
const idOf = (value: string) => value.replace(/^arn:aws:rds:[^:]*:[^:]*:(db|cluster):/, '');

/**
 * AWS at the SDK boundary: `RDSClient` and `SecretsManagerClient` mocked with aws-sdk-client-mock,
 * answering DescribeDBInstances / DescribeDBClusters from registered shapes (the SDK's own types)
 * and DescribeSecret from registered tags, and recording every call. The discovery under test is
 * the real {@link createRdsDiscovery} over real SDK clients.
 */
export function fakeAws() {
  const rdsMock = mockClient(RDSClient);
  const smMock = mockClient(SecretsManagerClient);
  const instances = new Map<string, DBInstance>();
  const clusters = new Map<string, DBCluster>();
  const tags = new Map<string, Record<string, string>>();
  const calls: string[] = [];

  rdsMock.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    const id = input.DBInstanceIdentifier ?? '';
    calls.push(`DescribeDBInstances:${id}`);
    const found = instances.get(idOf(id));
    if (found === undefined) {
      throw new DBInstanceNotFoundFault({ message: `DBInstance ${id} not found.`, $metadata: {} });
    }
    return { DBInstances: [found] };
  });
  rdsMock.on(DescribeDBClustersCommand).callsFake((input: { DBClusterIdentifier?: string }) => {
    const id = input.DBClusterIdentifier ?? '';
    calls.push(`DescribeDBClusters:${id}`);
    const found = clusters.get(idOf(id));
    if (found === undefined) {
      throw new DBClusterNotFoundFault({ message: `DBCluster ${id} not found.`, $metadata: {} });
    }
    return { DBClusters: [found] };
  });
  smMock.on(DescribeSecretCommand).callsFake((input: { SecretId?: string }) => {
    const id = input.SecretId ?? '';
    calls.push(`DescribeSecret:${id}`);
    return {
      ARN: id,
      Tags: Object.entries(tags.get(id) ?? {}).map(([Key, Value]) => ({ Key, Value })),
    };
  });

  const discovery: RdsDiscovery = createRdsDiscovery({
    rds: new RDSClient({ region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } }),
    secrets: createSecretsManagerPort(
      new SecretsManagerClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 't', secretAccessKey: 't' },
      }),
    ),
  });

  return {
    discovery,
    calls,
    rdsMock,
    smMock,
    /** An available instance with an endpoint. */
    instance(id: string, engine: string, host: string, port: number, extra: Partial<DBInstance> = {}) {
      instances.set(id, {
        DBInstanceIdentifier: id,
        Engine: engine,
        DBInstanceStatus: 'available',
        Endpoint: { Address: host, Port: port },
        DBInstanceArn: instanceArn(id),
        ...extra,
      });
    },
    /** An available cluster: writer endpoint, reader endpoint, members. */
    cluster(
      id: string,
      engine: string,
      endpoint: { writer: string; reader: string; port: number },
      members: { instance: string; writer: boolean }[] = [],
      extra: Partial<DBCluster> = {},
    ) {
      clusters.set(id, {
        DBClusterIdentifier: id,
        Engine: engine,
        Status: 'available',
        Endpoint: endpoint.writer,
        ReaderEndpoint: endpoint.reader,
        Port: endpoint.port,
        DBClusterMembers: members.map((m) => ({
          DBInstanceIdentifier: m.instance,
          IsClusterWriter: m.writer,
        })),
        DBClusterArn: clusterArn(id),
        ...extra,
      });
    },
    tagSecret(secretId: string, values: Record<string, string>) {
      tags.set(secretId, values);
    },
    restore() {
      rdsMock.restore();
      smMock.restore();
    },
  };
}

export type FakeAws = ReturnType<typeof fakeAws>;

/** A logger that records lines (`level message {fields}`). */
export function recordingLogger(): { logger: StrategyLogger; lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { logger: { debug: record('debug'), info: record('info'), warn: record('warn') }, lines };
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection, but it resolved');
}

/** The `SecretFormatError` `fn` throws; fails the test when it throws nothing or something else. */
export function formatError(fn: () => unknown): SecretFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SecretFormatError) return error;
    throw error;
  }
  throw new Error('expected a SecretFormatError');
}
