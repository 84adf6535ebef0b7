import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type TestMariaDb } from '../../../local/mariadb';
import { recordSecretMaterial } from '../../support/log-scan';
import { type Aws, loadHandler, mysqlLogsIn, startRdsAws } from './harness';

/**
 * EMULATOR ONLY: RDS must know the local servers as DB instances (`emulator.rds.registerInstance`),
 * a set-up no AWS API allows; the tests also read the call log.
 *
 * A MariaDB secret whose host is a READ REPLICA: two real MariaDB servers with real replication
 * (binary log on the primary, `CHANGE MASTER TO` + `START SLAVE` on the replica, which runs with
 * `--read-only`, as an RDS for MariaDB read replica does). Users are created on the primary after
 * replication started, so they reach the replica the way RDS replicates them. Nothing simulated.
 * RDS (the emulator) knows them as instance `billing` and its read replica `billing-ro`.
 */
let primary: TestMariaDb;
let replica: TestMariaDb;
let aws: Aws;
let users = 0;
const master = { username: 'rds_master', password: `Master-${crypto.randomUUID()}` };
const replication = { username: 'repl', password: `Repl-${crypto.randomUUID()}` };

/** Waits until `check` holds on the replica (replication is asynchronous). */
async function replicated(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('replication did not catch up within 5 s');
}

beforeAll(async () => {
  [primary, replica] = await Promise.all([
    startMariaDb({ serverArgs: ['--log-bin=mariadb-bin', '--server-id=1'] }),
    startMariaDb({ serverArgs: ['--server-id=2', '--read-only=ON'] }),
  ]);
  recordSecretMaterial(
    master.password,
    replication.password,
    primary.rootUser.password,
    replica.rootUser.password,
  );
  await primary.query('CREATE USER ?@? IDENTIFIED BY ?', [replication.username, '%', replication.password]);
  await primary.query(`GRANT REPLICATION SLAVE ON *.* TO '${replication.username}'@'%'`);
  const [position] = await primary.query<{ File: string; Position: number }>('SHOW MASTER STATUS');
  await replica.query(
    `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER=?, MASTER_PASSWORD=?,
     MASTER_LOG_FILE=?, MASTER_LOG_POS=?, MASTER_USE_GTID=no`,
    [replication.username, replication.password, position?.File, position?.Position],
  );
  await replica.query('START SLAVE');
  // A master user like RDS for MariaDB's (no SUPER, no READ ONLY ADMIN), created on the primary.
  await primary.query('CREATE USER ?@? IDENTIFIED BY ?', [master.username, '%', master.password]);
  await primary.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, PROCESS, CREATE USER, RELOAD, SHOW DATABASES
     ON *.* TO 'rds_master'@'%' WITH GRANT OPTION`,
  );
  await primary.query('CREATE DATABASE billing');
  await replicated(async () => (await replica.query("SHOW DATABASES LIKE 'billing'")).length === 1);

  aws = await startRdsAws();
  // Each throwaway server has its own CA: trust both, as an RDS CA bundle trusts every instance.
  const caFile = aws.caFile('mariadb', `${primary.ca}\n${replica.ca}`);
  for (const mode of ['single-user', 'alternating-users'] as const) {
    const handler = await loadHandler('mysql', {
      HANDOVER_MYSQL_MODE: mode,
      HANDOVER_TLS_MODE: 'verify-full',
      HANDOVER_TLS_CA_FILE: caFile,
    });
    await aws.register(`mysql-${mode}`, handler);
  }
  aws.emulator.rds.registerInstance({
    identifier: 'billing',
    engine: 'mariadb',
    address: 'localhost',
    port: primary.port,
  });
  aws.emulator.rds.registerInstance({
    identifier: 'billing-ro',
    engine: 'mariadb',
    address: 'localhost',
    port: replica.port,
    readReplicaSource: 'billing',
  });
});

afterAll(async () => {
  await aws?.close();
  await replica?.stop();
  await primary?.stop();
});

/** A user created on the primary, once it has reached the replica. */
async function createUser(): Promise<{ username: string; password: string }> {
  users += 1;
  const username = `replica_app_${users}`;
  const password = `Initial-${crypto.randomUUID()}`;
  recordSecretMaterial(password);
  await primary.query('CREATE USER ?@? IDENTIFIED BY ? REQUIRE SSL', [username, '%', password]);
  await primary.query(`GRANT SELECT ON billing.* TO '${username}'@'%'`);
  await replicated(() => mysqlLogsIn(replica.ca, replica.port, username, password));
  return { username, password };
}

const onBoth = async (username: string, password: string) => [
  await mysqlLogsIn(primary.ca, primary.port, username, password),
  await mysqlLogsIn(replica.ca, replica.port, username, password),
];

describe('RDS: a MariaDB secret on a read replica (real MariaDB replication)', () => {
  it('is a real read-only replica: @@read_only = 1, fed by the primary', async () => {
    const [flags] = await replica.query<{ ro: number }>('SELECT @@GLOBAL.read_only AS ro');
    const [status] = await replica.query<{ Slave_IO_Running: string; Slave_SQL_Running: string }>(
      'SHOW SLAVE STATUS',
    );

    expect(flags?.ro).toBe(1);
    expect([status?.Slave_IO_Running, status?.Slave_SQL_Running]).toEqual(['Yes', 'Yes']);
  });

  it('rotates a single-user secret naming the replica instance: SET PASSWORD on its source, then the replica accepts it', async () => {
    const user = await createUser();
    const arn = await aws.createSecret({ ...user, dbInstanceIdentifier: 'billing-ro' });
    aws.emulator.resetCalls();

    const outcome = await aws.rotate('mysql-single-user', arn);

    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.every((step) => step.outcome === 'succeeded')).toBe(true);
    const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
    expect(Object.keys(current).sort()).toEqual(['dbInstanceIdentifier', 'password', 'username']);
    expect(await onBoth(user.username, String(current.password))).toEqual([true, true]);
    expect(await onBoth(user.username, user.password)).toEqual([false, false]);
    expect(aws.rdsCalls()).toContain('DescribeDBInstances:billing');
  });

  it('rotates alternating users on the replica with an RDS-managed master secret tagged with the primary', async () => {
    const user = await createUser();
    const masterArn = await aws.createSecret(master, [
      { Key: 'aws:rds:primaryDBInstanceArn', Value: aws.emulator.rds.instanceArn('billing') },
    ]);
    const arn = await aws.createSecret({
      ...user,
      host: 'localhost',
      port: replica.port,
      masterarn: masterArn,
    });

    for (let i = 0; i < 2; i++) {
      const outcome = await aws.rotate('mysql-alternating-users', arn);

      expect(outcome.status).toBe('succeeded');
      const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
      expect(await onBoth(String(current.username), String(current.password))).toEqual([true, true]);
    }
    const previous = await aws.value(arn, { VersionStage: 'AWSPREVIOUS' });
    expect(await onBoth(String(previous.username), String(previous.password))).toEqual([true, true]);
  });

  it('fails with an error saying the host is a read replica (@@read_only = 1) and changes nothing when the writer is unknown', async () => {
    const user = await createUser();
    const arn = await aws.createSecret({ ...user, host: 'localhost', port: replica.port });

    const outcome = await aws.rotate('mysql-single-user', arn);

    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain(`localhost:${replica.port} is a read replica (@@read_only = 1)`);
    expect(outcome.error).toContain('Nothing was changed.');
    expect(await onBoth(user.username, user.password)).toEqual([true, true]);
    const [status] = await replica.query<{ Last_SQL_Errno: number }>('SHOW SLAVE STATUS');
    expect(status?.Last_SQL_Errno).toBe(0);
  });
});
