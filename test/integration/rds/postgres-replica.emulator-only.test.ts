import { RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRdsDiscovery } from '../../../lambdas/credentials/database/rds/discovery';
import { createPostgresStrategy } from '../../../lambdas/credentials/postgres';
import { quoteIdent, quoteLiteral } from '../../../lambdas/credentials/postgres/sql';
import { createSecretsManagerPort } from '../../../lambdas/rotation/secrets-port';
import { noPrevious, type StrategyContext } from '../../../lambdas/rotation/strategy';
import { TargetError } from '../../../lambdas/shared/errors';
import { startPostgres, type TestPostgres } from '../../../local/postgres';
import { recordSecretMaterial } from '../../support/log-scan';
import { readOnlySecrets } from '../../support/secrets-port';
import { type Aws, loadHandler, pgLogsIn, startRdsAws } from './harness';
import { startPostgresReplica, type TestPostgresReplica } from './pg-replica';

/**
 * EMULATOR ONLY: RDS must know the local servers as DB instances (`emulator.rds.registerInstance`),
 * a set-up no AWS API allows; the tests also read the call log.
 *
 * A secret whose host is a READ REPLICA: a real PostgreSQL primary and a real streaming replica
 * (hot standby: `pg_is_in_recovery()` is true, writes fail with SQLSTATE 25006), nothing
 * simulated. RDS (the emulator) knows them as instance `orders` and its read replica `orders-ro`,
 * and as Aurora-like cluster `shop` (instances `shop-1` / `shop-2` on the same two servers; writer
 * endpoint on the primary).
 */
let primary: TestPostgres;
let replica: TestPostgresReplica;
let aws: Aws;
let users = 0;

beforeAll(async () => {
  primary = await startPostgres();
  replica = await startPostgresReplica(primary);
  aws = await startRdsAws();
  const caFile = aws.caFile('postgres', primary.ca);
  for (const mode of ['single-user', 'alternating-users'] as const) {
    const handler = await loadHandler('postgres', {
      HANDOVER_POSTGRES_MODE: mode,
      HANDOVER_TLS_MODE: 'verify-full',
      HANDOVER_TLS_CA_FILE: caFile,
    });
    await aws.register(`pg-${mode}`, handler);
  }
  aws.emulator.rds.registerInstance({
    identifier: 'orders',
    engine: 'postgres',
    address: 'localhost',
    port: primary.port,
  });
  aws.emulator.rds.registerInstance({
    identifier: 'orders-ro',
    engine: 'postgres',
    address: 'localhost',
    port: replica.port,
    readReplicaSource: 'orders',
  });
  // An Aurora-like cluster over the same two servers: writer endpoint on the primary.
  aws.emulator.rds.registerInstance({
    identifier: 'shop-1',
    engine: 'aurora-postgresql',
    address: 'localhost',
    port: primary.port,
  });
  aws.emulator.rds.registerInstance({
    identifier: 'shop-2',
    engine: 'aurora-postgresql',
    address: 'localhost',
    port: replica.port,
  });
  aws.emulator.rds.registerCluster({
    identifier: 'shop',
    engine: 'aurora-postgresql',
    endpoint: 'localhost',
    readerEndpoint: 'localhost',
    port: primary.port,
    members: [
      { instance: 'shop-1', writer: true },
      { instance: 'shop-2', writer: false },
    ],
  });
  recordSecretMaterial(primary.superuser.password);
});

afterAll(async () => {
  await aws?.close();
  await replica?.stop();
  await primary?.stop();
});

/** A login role created on the primary and replicated to the standby before the test goes on. */
async function createRole(): Promise<{ username: string; password: string }> {
  users += 1;
  const username = `replica_app_${users}`;
  const password = `Initial-${crypto.randomUUID()}`;
  recordSecretMaterial(password);
  await primary.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
  for (let i = 0; i < 200 && !(await pgLogsIn(primary.ca, replica.port, username, password)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { username, password };
}

const onBoth = async (username: string, password: string) => [
  await pgLogsIn(primary.ca, primary.port, username, password),
  await pgLogsIn(primary.ca, replica.port, username, password),
];

describe('RDS: a PostgreSQL secret on a read replica (a real streaming replica)', () => {
  it('is a real hot standby: in recovery, read-only, and fed by the primary', async () => {
    const [row] = await replica.query<{ in_recovery: boolean }>('SELECT pg_is_in_recovery() AS in_recovery');

    expect(row?.in_recovery).toBe(true);
    await expect(replica.query('CREATE ROLE never_created')).rejects.toMatchObject({ code: '25006' });
  });

  it('rotates a single-user secret naming the replica instance: the password changes on its source, then works on the replica', async () => {
    const role = await createRole();
    const arn = await aws.createSecret({ ...role, dbInstanceIdentifier: 'orders-ro' });
    aws.emulator.resetCalls();

    const outcome = await aws.rotate('pg-single-user', arn);

    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.every((step) => step.outcome === 'succeeded')).toBe(true);
    const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
    expect(Object.keys(current).sort()).toEqual(['dbInstanceIdentifier', 'password', 'username']);
    expect(await onBoth(role.username, String(current.password))).toEqual([true, true]);
    expect(await onBoth(role.username, role.password)).toEqual([false, false]);
    // Once for setSecret's location, then the replica's source; once more for testSecret.
    expect(aws.rdsCalls()).toEqual([
      'DescribeDBInstances:orders-ro',
      'DescribeDBInstances:orders-ro',
      'DescribeDBInstances:orders',
      'DescribeDBInstances:orders-ro',
    ]);
  });

  it("rotates an alternating-users secret on the cluster's reader: the master is sent to the writer endpoint", async () => {
    const role = await createRole();
    // A master secret with no RDS tags that points at the reader too: it first connects there,
    // finds it in recovery, and moves to the writer of the app secret's cluster.
    const master = await aws.createSecret({
      host: 'localhost',
      port: replica.port,
      username: primary.superuser.username,
      password: primary.superuser.password,
    });
    const arn = await aws.createSecret({
      ...role,
      host: 'localhost',
      port: replica.port,
      dbClusterIdentifier: 'shop',
      masterarn: master,
    });

    for (let i = 0; i < 2; i++) {
      const outcome = await aws.rotate('pg-alternating-users', arn);

      expect(outcome.status).toBe('succeeded');
      const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
      expect(await onBoth(String(current.username), String(current.password))).toEqual([true, true]);
    }
    const previous = await aws.value(arn, { VersionStage: 'AWSPREVIOUS' });
    expect(await onBoth(String(previous.username), String(previous.password))).toEqual([true, true]);
  });

  it('sends an RDS-managed master secret straight to the primary its tags name, for a secret naming no RDS database', async () => {
    const role = await createRole();
    const master = await aws.createSecret(
      { username: primary.superuser.username, password: primary.superuser.password },
      [{ Key: 'aws:rds:primaryDBInstanceArn', Value: aws.emulator.rds.instanceArn('orders') }],
    );
    const arn = await aws.createSecret({ ...role, host: 'localhost', port: replica.port, masterarn: master });
    aws.emulator.resetCalls();

    const outcome = await aws.rotate('pg-alternating-users', arn);

    expect(outcome.status).toBe('succeeded');
    const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
    expect(await onBoth(String(current.username), String(current.password))).toEqual([true, true]);
    // setSecret: the master's tags, then the tagged primary; the app secret needed no RDS call.
    expect(aws.describeSecretCalls(master)).toBe(1);
    expect(aws.rdsCalls()).toEqual([`DescribeDBInstances:${aws.emulator.rds.instanceArn('orders')}`]);
  });

  it('fails with an error saying the host is a read replica and what to do, and changes nothing, when the writer is unknown', async () => {
    const role = await createRole();
    const arn = await aws.createSecret({ ...role, host: 'localhost', port: replica.port });

    const outcome = await aws.rotate('pg-single-user', arn);

    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain(
      `localhost:${replica.port} is a read replica (pg_is_in_recovery() is true): passwords can only be changed on the writer`,
    );
    expect(outcome.error).toContain('Point the secret\'s "host" at the writer');
    expect(outcome.error).toContain('Nothing was changed.');
    expect(outcome.error).not.toContain(role.password);
    expect((await aws.value(arn, { VersionStage: 'AWSCURRENT' })).password).toBe(role.password);
    expect(await onBoth(role.username, role.password)).toEqual([true, true]);
  });

  it('fails setSecret when replication lags past replicationWaitMs, after changing the writer, and a re-run converges', async () => {
    const role = await createRole();
    const strategy = createPostgresStrategy({
      mode: 'single-user',
      tls: { mode: 'verify-full', ca: primary.ca },
      rds: createRdsDiscovery({
        rds: new RDSClient({}),
        secrets: createSecretsManagerPort(aws.sm),
      }),
      replicationWaitMs: 300,
    });
    const lines: string[] = [];
    const record = (message: string) => {
      lines.push(message);
    };
    const ctx: StrategyContext = {
      secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:lag',
      rotationId: crypto.randomUUID(),
      logger: { debug: record, info: record, warn: record },
      secrets: readOnlySecrets(() => '{}'),
    };
    const current = strategy.parse(JSON.stringify({ ...role, dbInstanceIdentifier: 'orders-ro' }));
    const pending = await strategy.create(current, ctx, noPrevious);
    recordSecretMaterial(pending.password);

    await replica.pauseReplay();
    let failure: unknown;
    try {
      await strategy.set(pending, current, noPrevious, ctx);
    } catch (error) {
      failure = error;
    } finally {
      await replica.resumeReplay();
    }

    expect(failure).toBeInstanceOf(TargetError);
    expect(String(failure)).toContain('still rejects it after 300 ms (replication lag?)');
    expect(await pgLogsIn(primary.ca, primary.port, role.username, pending.password)).toBe(true);

    // Secrets Manager retries setSecret later, once replication has caught up: the change is found
    // on the replica and not repeated.
    for (
      let i = 0;
      i < 200 && !(await pgLogsIn(primary.ca, replica.port, role.username, pending.password));
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    lines.length = 0;
    await strategy.set(pending, current, noPrevious, ctx);
    await strategy.test(pending, ctx);
    expect(await onBoth(role.username, pending.password)).toEqual([true, true]);
    expect(lines).toContain('pending password already set');
    expect(lines).not.toContain('pending password set');
  });
});
