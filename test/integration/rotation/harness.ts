import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { PostgresMode } from '../../../lambdas/credentials/postgres/options';
import { quoteIdent, quoteLiteral } from '../../../lambdas/credentials/postgres/sql';
import { STRATEGIES } from '../../../lambdas/credentials/registry';
import { createRotationLambda } from '../../../lambdas/rotation/lambda';
import type { RotationOutcome } from '../../../local/emulator';
import { startPostgres, type TestPostgres } from '../../../local/postgres';
import { recordSecretMaterial } from '../../support/log-scan';
import { startSecretsSide } from './secrets-side';

export interface DatabaseSecret {
  readonly engine: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname: string;
  readonly masterarn?: string;
}

/**
 * One test file's world: a real PostgreSQL with TLS, Secrets Manager reached through the STANDARD
 * endpoint variable (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, as any SDK client in the Lambda reads it),
 * and the real rotation Lambdas (Powertools logger and metrics included) registered as rotation
 * functions.
 */
export async function startWorld() {
  const database = await startPostgres();
  const side = await startSecretsSide();
  const { sm } = side;
  const work = mkdtempSync(join(tmpdir(), 'handover-rotation-'));
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, database.ca);
  const handlers = new Map<PostgresMode, (event: unknown) => Promise<unknown>>();
  for (const mode of ['single-user', 'alternating-users'] as const) {
    const handler = createRotationLambda(
      STRATEGIES.postgres({
        HANDOVER_POSTGRES_MODE: mode,
        HANDOVER_TLS_MODE: 'verify-full',
        HANDOVER_TLS_CA_FILE: caFile,
      }),
    );
    handlers.set(mode, handler);
    await side.register(`postgres-${mode}`, handler);
  }
  const connection = { engine: 'postgres', host: 'localhost', port: database.port, dbname: 'postgres' };
  const masterArn = await side.createSecret(
    'master',
    JSON.stringify({ ...connection, ...database.superuser }),
  );
  recordSecretMaterial(database.superuser.password);
  let users = 0;

  const world = {
    database,
    aws: side.aws,
    /** The in-process emulator; for the emulator-only tests. */
    get emulator() {
      return side.aws.requireEmulator();
    },
    sm,
    handler(mode: PostgresMode) {
      const handler = handlers.get(mode);
      if (handler === undefined) throw new Error(`no handler for ${mode}`);
      return handler;
    },

    /** Creates a login role and its secret; returns the secret ARN and the initial value. */
    async createApp(mode: PostgresMode, overrides: Record<string, unknown> = {}, raw?: string) {
      users += 1;
      const username = `app_${users}_${mode === 'single-user' ? 's' : 'a'}`;
      const password = `Initial-${crypto.randomUUID()}`;
      recordSecretMaterial(password);
      await database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
      const value: DatabaseSecret = {
        ...connection,
        username,
        password,
        ...(mode === 'alternating-users' ? { masterarn: masterArn } : {}),
        ...overrides,
      };
      const arn = await side.createSecret('app', raw ?? JSON.stringify(value));
      return { arn, value, username, password };
    },

    rotate: (mode: PostgresMode, arn: string, clientRequestToken?: string): Promise<RotationOutcome> =>
      side.rotate(`postgres-${mode}`, arn, clientRequestToken),
    value: async (arn: string, selector: { VersionStage?: string; VersionId?: string }) =>
      (await side.value(arn, selector)) as unknown as DatabaseSecret,
    stages: side.stages,

    /** Whether a user/password logs in over TLS verify-full, as a consumer would. */
    async logsIn(username: string, password: string): Promise<boolean> {
      const client = new pg.Client({
        host: 'localhost',
        port: database.port,
        database: 'postgres',
        user: username,
        password,
        ssl: { ca: database.ca, rejectUnauthorized: true },
      });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    },

    async close() {
      await side.close();
      await database.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof startWorld>>;
export type { TestPostgres };
