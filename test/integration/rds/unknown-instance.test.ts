import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral } from '../../../lambdas/credentials/postgres/sql';
import { startPostgres, type TestPostgres } from '../../../local/postgres';
import { recordSecretMaterial } from '../../support/log-scan';
import { type Aws, loadHandler, pgLogsIn, startRdsAws } from './harness';

/**
 * A PostgreSQL secret naming a DB instance RDS does not have: RotateSecret through the real SDK,
 * Secrets Manager and RDS where the run says (an endpoint given, or the emulator), the REAL
 * `handler.ts` and a real PostgreSQL server. Portable: no instance needs registering.
 */
let database: TestPostgres;
let aws: Aws;

beforeAll(async () => {
  database = await startPostgres();
  aws = await startRdsAws();
  const handler = await loadHandler('postgres', {
    HANDOVER_POSTGRES_MODE: 'single-user',
    HANDOVER_TLS_MODE: 'verify-full',
    HANDOVER_TLS_CA_FILE: aws.caFile('postgres', database.ca),
  });
  await aws.register('pg-single-user', handler);
  recordSecretMaterial(database.superuser.password);
});

afterAll(async () => {
  await aws?.close();
  await database?.stop();
});

describe('RDS: a secret naming an instance RDS does not have', () => {
  it('fails with a clear error naming the field, and changes nothing', async () => {
    const username = 'rds_app_unknown';
    const password = `Initial-${crypto.randomUUID()}`;
    recordSecretMaterial(password);
    await database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
    const arn = await aws.createSecret({ username, password, dbInstanceIdentifier: 'no-such-db' });

    const outcome = await aws.rotate('pg-single-user', arn);

    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain(
      'RDS has no DB instance "no-such-db" (secret field "dbInstanceIdentifier")',
    );
    expect((await aws.value(arn, { VersionStage: 'AWSCURRENT' })).password).toBe(password);
    expect(await pgLogsIn(database.ca, database.port, username, password)).toBe(true);
  });
});
