import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { MysqlMode } from '../../../lambdas/credentials/mysql';
import { STRATEGIES } from '../../../lambdas/credentials/registry';
import { createRotationLambda } from '../../../lambdas/rotation/lambda';
import type { RotationOutcome } from '../../../local/emulator';
import { startMariaDb, type TestMariaDb } from '../../../local/mariadb';
import { recordSecretMaterial } from '../../support/log-scan';
import { startSecretsSide } from './secrets-side';

export interface MysqlDatabaseSecret {
  readonly engine: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname: string;
  readonly masterarn?: string;
}

export const MYSQL_MODES_UNDER_TEST = ['single-user', 'alternating-users', 'dual-password'] as const;

/**
 * One test file's world: a real MariaDB with TLS, Secrets Manager reached through the STANDARD
 * endpoint variable (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, as any SDK client in the Lambda reads it),
 * and the real MySQL rotation Lambdas (Powertools logger and metrics included), built through the
 * credential registry from an explicit environment per mode.
 */
export async function startMysqlWorld() {
  const database = await startMariaDb();
  try {
    return await buildWorld(database);
  } catch (error) {
    await database.stop();
    throw error;
  }
}

async function buildWorld(database: TestMariaDb) {
  const side = await startSecretsSide();
  const { sm } = side;
  const work = mkdtempSync(join(tmpdir(), 'handover-mysql-rotation-'));
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, database.ca);
  const handlers = new Map<MysqlMode, (event: unknown) => Promise<unknown>>();
  for (const mode of MYSQL_MODES_UNDER_TEST) {
    const handler = createRotationLambda(
      STRATEGIES.mysql({
        HANDOVER_MYSQL_MODE: mode,
        HANDOVER_TLS_MODE: 'verify-full',
        HANDOVER_TLS_CA_FILE: caFile,
      }),
    );
    handlers.set(mode, handler);
    await side.register(`mysql-${mode}`, handler);
  }

  // A master user like RDS for MariaDB's: no SUPER; CREATE USER, PROCESS and ordinary privileges WITH GRANT OPTION.
  const masterUser = { username: 'rds_master', password: `Master-${crypto.randomUUID()}` };
  recordSecretMaterial(masterUser.password, database.rootUser.password);
  await database.query('CREATE USER ?@? IDENTIFIED BY ?', [masterUser.username, '%', masterUser.password]);
  await database.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, PROCESS, CREATE USER, RELOAD, SHOW DATABASES
     ON *.* TO 'rds_master'@'%' WITH GRANT OPTION`,
  );
  await database.query('CREATE DATABASE app');
  await database.query('CREATE TABLE app.orders (id int)');
  const connection = { engine: 'mariadb', host: 'localhost', port: database.port, dbname: 'app' };
  // The master secret says where the master connects (it never goes where only the rotated secret
  // points; RDS-managed master secrets, tagged with their instance, are in test/integration/rds).
  const masterArn = await side.createSecret(
    'master',
    JSON.stringify({ host: 'localhost', port: database.port, ...masterUser }),
  );
  let users = 0;

  const world = {
    database,
    aws: side.aws,
    /** The in-process emulator; for the emulator-only tests. */
    get emulator() {
      return side.aws.requireEmulator();
    },
    sm,
    masterUser,
    handler(mode: MysqlMode) {
      const handler = handlers.get(mode);
      if (handler === undefined) throw new Error(`no handler for ${mode}`);
      return handler;
    },

    /** Creates a user (REQUIRE SSL, SELECT on app.*) and its secret; returns the ARN and the initial value. */
    async createApp(mode: MysqlMode, overrides: Record<string, unknown> = {}, raw?: string) {
      users += 1;
      const username = `app_${users}_${mode === 'single-user' ? 's' : mode === 'dual-password' ? 'd' : 'a'}`;
      const password = `Initial-${crypto.randomUUID()}`;
      recordSecretMaterial(password);
      await database.query('CREATE USER ?@? IDENTIFIED BY ? REQUIRE SSL', [username, '%', password]);
      await database.query(`GRANT SELECT, INSERT ON app.* TO '${username}'@'%'`);
      const value: MysqlDatabaseSecret = {
        ...connection,
        username,
        password,
        ...(mode === 'alternating-users' ? { masterarn: masterArn } : {}),
        ...overrides,
      };
      const arn = await side.createSecret('app', raw ?? JSON.stringify({ ...value, proxy: 'kept-as-is' }));
      return { arn, value, username, password };
    },

    rotate: (mode: MysqlMode, arn: string, clientRequestToken?: string): Promise<RotationOutcome> =>
      side.rotate(`mysql-${mode}`, arn, clientRequestToken),
    value: async (arn: string, selector: { VersionStage?: string; VersionId?: string }) =>
      (await side.value(arn, selector)) as MysqlDatabaseSecret & Record<string, unknown>,
    stages: side.stages,

    /**
     * Whether a user/password logs in over TLS verify-full and can read the app's table, as a
     * consumer reading the secret would.
     */
    async logsIn(username: string, password: string): Promise<boolean> {
      try {
        const client = await createConnection({
          host: 'localhost',
          port: database.port,
          user: username,
          password,
          database: 'app',
          ssl: { ca: database.ca, rejectUnauthorized: true, verifyIdentity: true },
        });
        try {
          await client.query('SELECT COUNT(*) AS n FROM orders');
          return true;
        } finally {
          await client.end();
        }
      } catch {
        return false;
      }
    },

    async close() {
      try {
        await side.close();
      } finally {
        await database.stop();
        rmSync(work, { recursive: true, force: true });
      }
    },
  };
  return world;
}

export type MysqlWorld = Awaited<ReturnType<typeof startMysqlWorld>>;
export type { TestMariaDb };
