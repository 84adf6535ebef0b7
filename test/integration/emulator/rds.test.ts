import {
  DBClusterNotFoundFault,
  DBInstanceNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { RUN_ID } from '../../support/lambda-functions';
import { errorOf, startTestAws } from './harness';

/**
 * RDS's answers for instances and clusters that do not exist (Query protocol), against the emulator
 * or any given endpoint. Instances at local servers are emulator-only: rds.emulator-only.test.ts.
 */
let aws: AwsWorld;
let rds: RDSClient;

beforeAll(async () => {
  aws = await startTestAws(['rds']);
  rds = new RDSClient({ maxAttempts: 1 });
});

afterAll(async () => {
  rds.destroy();
  await aws.close();
});

describe('RDS: DB instances and clusters that do not exist', () => {
  it('fails DescribeDBInstances with DBInstanceNotFoundFault (HTTP 404) for an unknown identifier', async () => {
    const id = `nope-${RUN_ID}`;

    const error = await errorOf(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })));

    expect(error).toBeInstanceOf(DBInstanceNotFoundFault);
    expect(error.message).toBe(`DBInstance ${id} not found.`);
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });

  it('fails DescribeDBClusters with DBClusterNotFoundFault (HTTP 404) for an unknown cluster', async () => {
    const id = `nope-${RUN_ID}`;

    const error = await errorOf(rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })));

    expect(error).toBeInstanceOf(DBClusterNotFoundFault);
    expect(error.message).toBe(`DBCluster ${id} not found.`);
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });
});
