import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral } from '../../../lambdas/credentials/postgres/sql';
import { startPostgres, type TestPostgres } from '../../../local/postgres';
import { recordSecretMaterial } from '../../support/log-scan';
import { type Aws, loadHandler, pgLogsIn, startRdsAws } from './harness';

/**
 * EMULATOR ONLY: RDS's instance and cluster must point at a local PostgreSQL, a set-up no AWS API
 * allows (`emulator.rds.registerInstance`); the tests also read the call log and inject faults. A
 * secret naming an instance RDS does not have is tested portably in unknown-instance.test.ts.
 *
 * Full rotations of PostgreSQL secrets that leave the endpoint to RDS: RotateSecret through the
 * real SDK, the emulator playing Secrets Manager and RDS (reached through the standard endpoint
 * variables), the REAL `handler.ts` (its own module-scope Secrets Manager and RDS clients) and a
 * real PostgreSQL server with TLS verify-full. RDS's instance and cluster point at that server.
 */
let database: TestPostgres;
let aws: Aws;
let users = 0;

beforeAll(async () => {
  database = await startPostgres();
  aws = await startRdsAws();
  const caFile = aws.caFile('postgres', database.ca);
  for (const mode of ['single-user', 'alternating-users'] as const) {
    const handler = await loadHandler('postgres', {
      HANDOVER_POSTGRES_MODE: mode,
      HANDOVER_TLS_MODE: 'verify-full',
      HANDOVER_TLS_CA_FILE: caFile,
    });
    await aws.register(`pg-${mode}`, handler);
  }
  aws.emulator.rds.registerInstance({
    identifier: 'orders-db',
    engine: 'postgres',
    address: 'localhost',
    port: database.port,
  });
  aws.emulator.rds.registerCluster({
    identifier: 'orders-cluster',
    engine: 'aurora-postgresql',
    endpoint: 'localhost',
    readerEndpoint: '127.0.0.1',
    port: database.port,
    members: [{ instance: 'orders-db', writer: true }],
  });
  recordSecretMaterial(database.superuser.password);
});

afterAll(async () => {
  await aws?.close();
  await database?.stop();
});

async function createRole(): Promise<{ username: string; password: string }> {
  users += 1;
  const username = `rds_app_${users}`;
  const password = `Initial-${crypto.randomUUID()}`;
  recordSecretMaterial(password);
  await database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
  return { username, password };
}

const rdsManagedMaster = () =>
  aws.createSecret({ username: database.superuser.username, password: database.superuser.password }, [
    { Key: 'aws:rds:primaryDBInstanceArn', Value: aws.emulator.rds.instanceArn('orders-db') },
    { Key: 'aws:secretsmanager:owningService', Value: 'rds' },
  ]);

describe('RDS: PostgreSQL secrets that name an instance or cluster instead of a host', () => {
  it('rotates a single-user secret holding only dbInstanceIdentifier, and keeps its JSON as written', async () => {
    const role = await createRole();
    const arn = await aws.createSecret({ ...role, dbInstanceIdentifier: 'orders-db' });
    aws.emulator.resetCalls();

    for (let i = 0; i < 2; i++) {
      const outcome = await aws.rotate('pg-single-user', arn);

      expect(outcome.status).toBe('succeeded');
      const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
      expect(Object.keys(current).sort()).toEqual(['dbInstanceIdentifier', 'password', 'username']);
      expect(await pgLogsIn(database.ca, database.port, role.username, String(current.password))).toBe(true);
    }
    expect(await pgLogsIn(database.ca, database.port, role.username, role.password)).toBe(false);
    expect(new Set(aws.rdsCalls())).toEqual(new Set(['DescribeDBInstances:orders-db']));
  });

  it("rotates an alternating-users secret holding only dbClusterIdentifier, through the cluster's writer endpoint", async () => {
    const role = await createRole();
    const master = await aws.createSecret({
      engine: 'postgres',
      host: 'localhost',
      port: database.port,
      username: database.superuser.username,
      password: database.superuser.password,
    });
    const arn = await aws.createSecret({ ...role, dbClusterIdentifier: 'orders-cluster', masterarn: master });
    aws.emulator.resetCalls();

    const outcome = await aws.rotate('pg-alternating-users', arn);

    expect(outcome.status).toBe('succeeded');
    const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
    expect(current).toEqual({
      username: `${role.username}_clone`,
      password: current.password,
      dbClusterIdentifier: 'orders-cluster',
      masterarn: master,
    });
    expect(
      await pgLogsIn(database.ca, database.port, `${role.username}_clone`, String(current.password)),
    ).toBe(true);
    expect(await pgLogsIn(database.ca, database.port, role.username, role.password)).toBe(true);
    expect(new Set(aws.rdsCalls())).toEqual(new Set(['DescribeDBClusters:orders-cluster']));
  });

  it('uses an RDS-managed master secret (only username and password, tagged with the primary) for alternating users', async () => {
    const role = await createRole();
    const master = await rdsManagedMaster();
    const arn = await aws.createSecret({ ...role, dbInstanceIdentifier: 'orders-db', masterarn: master });
    aws.emulator.resetCalls();

    for (let i = 0; i < 2; i++) {
      const outcome = await aws.rotate('pg-alternating-users', arn);

      expect(outcome.status).toBe('succeeded');
      const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
      expect(
        await pgLogsIn(database.ca, database.port, String(current.username), String(current.password)),
      ).toBe(true);
    }
    // The master's host came from its tags: DescribeSecret, then the tagged instance's ARN.
    expect(aws.describeSecretCalls(master)).toBe(2);
    expect(aws.rdsCalls()).toContain(`DescribeDBInstances:${aws.emulator.rds.instanceArn('orders-db')}`);
  });

  it('fails a step when RDS refuses the look-up, before any change, and the retried step converges', async () => {
    const role = await createRole();
    const arn = await aws.createSecret({ ...role, dbInstanceIdentifier: 'orders-db' });
    const fault = aws.emulator.faults.add({
      service: 'rds',
      operation: 'DescribeDBInstances',
      error: {
        type: 'AccessDenied',
        message: 'not authorized to perform rds:DescribeDBInstances',
        status: 403,
      },
      times: 1,
    });

    const outcome = await aws.rotate('pg-single-user', arn);

    expect(fault.hits).toBe(1);
    expect(outcome.status).toBe('succeeded');
    const failed = outcome.steps.filter((step) => step.outcome === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error).toContain(
      'RDS DescribeDBInstances for DB instance "orders-db" failed: AccessDenied',
    );
    const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
    expect(await pgLogsIn(database.ca, database.port, role.username, String(current.password))).toBe(true);
  });
});
