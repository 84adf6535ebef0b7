import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type TestMariaDb } from '../../../local/mariadb';
import { recordSecretMaterial } from '../../support/log-scan';
import { type Aws, loadHandler, mysqlLogsIn, startRdsAws } from './harness';

/**
 * EMULATOR ONLY: RDS must know the local servers as DB instances (`emulator.rds.registerInstance`),
 * a set-up no AWS API allows; the tests also read the call log.
 *
 * Full rotations of MariaDB secrets that leave the endpoint to RDS: RotateSecret through the real
 * SDK, the emulator playing Secrets Manager and RDS (standard endpoint variables), the REAL MySQL
 * `handler.ts` (module-scope Secrets Manager and RDS clients) and a real MariaDB server with TLS
 * verify-full. RDS's instance `billing-db` (engine mariadb) points at that server.
 */
let database: TestMariaDb;
let aws: Aws;
let users = 0;
const master = { username: 'rds_master', password: `Master-${crypto.randomUUID()}` };

beforeAll(async () => {
  database = await startMariaDb();
  aws = await startRdsAws();
  const caFile = aws.caFile('mariadb', database.ca);
  for (const mode of ['single-user', 'alternating-users'] as const) {
    const handler = await loadHandler('mysql', {
      HANDOVER_MYSQL_MODE: mode,
      HANDOVER_TLS_MODE: 'verify-full',
      HANDOVER_TLS_CA_FILE: caFile,
    });
    await aws.register(`mysql-${mode}`, handler);
  }
  aws.emulator.rds.registerInstance({
    identifier: 'billing-db',
    engine: 'mariadb',
    address: 'localhost',
    port: database.port,
    masterUsername: master.username,
  });
  // A master user like RDS for MariaDB's: no SUPER; CREATE USER, PROCESS and ordinary privileges WITH GRANT OPTION.
  recordSecretMaterial(master.password, database.rootUser.password);
  await database.query('CREATE USER ?@? IDENTIFIED BY ?', [master.username, '%', master.password]);
  await database.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, PROCESS, CREATE USER, RELOAD, SHOW DATABASES
     ON *.* TO 'rds_master'@'%' WITH GRANT OPTION`,
  );
  await database.query('CREATE DATABASE billing');
});

afterAll(async () => {
  await aws?.close();
  await database?.stop();
});

async function createUser(): Promise<{ username: string; password: string }> {
  users += 1;
  const username = `rds_app_${users}`;
  const password = `Initial-${crypto.randomUUID()}`;
  recordSecretMaterial(password);
  await database.query('CREATE USER ?@? IDENTIFIED BY ? REQUIRE SSL', [username, '%', password]);
  await database.query(`GRANT SELECT ON billing.* TO '${username}'@'%'`);
  return { username, password };
}

describe('RDS: MariaDB secrets that name an instance instead of a host', () => {
  it('rotates a single-user secret holding only dbInstanceIdentifier: endpoint, port and engine from RDS, JSON as written', async () => {
    const user = await createUser();
    const arn = await aws.createSecret({ ...user, dbInstanceIdentifier: 'billing-db' });
    aws.emulator.resetCalls();

    for (let i = 0; i < 2; i++) {
      const outcome = await aws.rotate('mysql-single-user', arn);

      expect(outcome.status).toBe('succeeded');
      const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
      expect(Object.keys(current).sort()).toEqual(['dbInstanceIdentifier', 'password', 'username']);
      expect(await mysqlLogsIn(database.ca, database.port, user.username, String(current.password))).toBe(
        true,
      );
    }
    expect(await mysqlLogsIn(database.ca, database.port, user.username, user.password)).toBe(false);
    expect(new Set(aws.rdsCalls())).toEqual(new Set(['DescribeDBInstances:billing-db']));
  });

  it('rotates alternating users with an RDS-managed master secret (only username and password, tagged with the instance)', async () => {
    const user = await createUser();
    const masterArn = await aws.createSecret(master, [
      { Key: 'aws:rds:primaryDBInstanceArn', Value: aws.emulator.rds.instanceArn('billing-db') },
      { Key: 'aws:secretsmanager:owningService', Value: 'rds' },
    ]);
    const arn = await aws.createSecret({ ...user, dbInstanceIdentifier: 'billing-db', masterarn: masterArn });
    aws.emulator.resetCalls();

    for (let i = 0; i < 2; i++) {
      const outcome = await aws.rotate('mysql-alternating-users', arn);

      expect(outcome.status).toBe('succeeded');
      const current = await aws.value(arn, { VersionStage: 'AWSCURRENT' });
      expect(current.username).toBe(i === 0 ? `${user.username}_clone` : user.username);
      expect(
        await mysqlLogsIn(database.ca, database.port, String(current.username), String(current.password)),
      ).toBe(true);
      const previous = await aws.value(arn, { VersionStage: 'AWSPREVIOUS' });
      expect(
        await mysqlLogsIn(database.ca, database.port, String(previous.username), String(previous.password)),
      ).toBe(true);
    }
    // The clone got the same grants (it can read billing.*), through the master found by its tags.
    const grants = await database.query(`SHOW GRANTS FOR '${user.username}_clone'@'%'`);
    expect(JSON.stringify(grants)).toContain('`billing`.*');
    expect(aws.describeSecretCalls(masterArn)).toBe(2);
    expect(aws.rdsCalls()).toContain(`DescribeDBInstances:${aws.emulator.rds.instanceArn('billing-db')}`);
  });

  it('refuses an RDS instance of another engine family, naming the field, and changes nothing', async () => {
    aws.emulator.rds.registerInstance({
      identifier: 'orders-pg',
      engine: 'postgres',
      address: 'localhost',
      port: 5432,
    });
    const user = await createUser();
    const arn = await aws.createSecret({ ...user, dbInstanceIdentifier: 'orders-pg' });

    const outcome = await aws.rotate('mysql-single-user', arn);

    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain(
      'RDS instance "orders-pg" (secret field "dbInstanceIdentifier") runs engine "postgres"; this function rotates MySQL / MariaDB',
    );
    expect(await mysqlLogsIn(database.ca, database.port, user.username, user.password)).toBe(true);
  });
});
