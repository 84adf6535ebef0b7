import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
  type Tag,
} from '@aws-sdk/client-secrets-manager';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { vi } from 'vitest';
import type { RotationOutcome } from '../../../local/emulator';
import { startAws } from '../../support/aws';
import { recordSecretMaterial } from '../../support/log-scan';

/** A rotation Lambda handler as `handler.ts` exports it. */
export type Handler = (event: unknown) => Promise<unknown>;

/**
 * Loads a database type's REAL `handler.ts` (its composition root: SDK clients for Secrets Manager
 * and RDS at module scope, configuration from the environment), as Lambda would, with `env` set.
 * Each call gets a fresh module instance.
 */
export async function loadHandler(type: 'postgres' | 'mysql', env: Record<string, string>): Promise<Handler> {
  Object.assign(process.env, env);
  vi.resetModules();
  const module =
    type === 'postgres'
      ? await import('../../../lambdas/credentials/postgres/handler')
      : await import('../../../lambdas/credentials/mysql/handler');
  return module.handler;
}

/**
 * The AWS side of an RDS test file: Secrets Manager and RDS (endpoints given, or the emulator)
 * reached through the STANDARD endpoint variables `AWS_ENDPOINT_URL_SECRETS_MANAGER` and
 * `AWS_ENDPOINT_URL_RDS`, as the handlers' module-scope SDK clients read them, and helpers to
 * register rotation functions, create secrets and rotate them. Registering DB instances whose
 * endpoints are local servers is the emulator's (`emulator.rds`): no AWS API allows it, so the
 * tests that need it are in the emulator-only group.
 */
export async function startRdsAws() {
  const world = await startAws({ services: ['secretsmanager', 'rds'] });
  const sm = new SecretsManagerClient({});
  const work = mkdtempSync(join(tmpdir(), 'handover-rds-'));
  const functions = new Map<string, string>();

  const aws = {
    world,
    /** The in-process emulator; for the emulator-only tests. */
    get emulator() {
      return world.requireEmulator();
    },
    sm,

    /** Makes `handler` the rotation function called `name`. */
    async register(name: string, handler: Handler): Promise<void> {
      functions.set(name, await world.rotation.register(name, handler));
    },

    /** Writes a CA certificate to a file, for `HANDOVER_TLS_CA_FILE`. */
    caFile(name: string, pem: string): string {
      const path = join(work, `${name}.pem`);
      writeFileSync(path, pem);
      return path;
    },

    /** Creates a secret (recording its password for the log scan); returns its ARN. */
    async createSecret(value: Record<string, unknown>, tags: Tag[] = []): Promise<string> {
      if (typeof value.password === 'string') recordSecretMaterial(value.password);
      const out = await sm.send(
        new CreateSecretCommand({
          Name: `rds-test-${crypto.randomUUID()}`,
          SecretString: JSON.stringify(value),
          ...(tags.length > 0 && { Tags: tags }),
        }),
      );
      return out.ARN ?? '';
    },

    /** RotateSecret through the SDK, then wait until Secrets Manager's side of it settles. */
    async rotate(function_: string, arn: string, clientRequestToken?: string): Promise<RotationOutcome> {
      const functionArn = functions.get(function_);
      if (functionArn === undefined) throw new Error(`no rotation function named ${function_}`);
      const outcome = await world.rotation.rotate(arn, functionArn, {
        ...(clientRequestToken !== undefined && { token: clientRequestToken }),
      });
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING']) {
        const value = await aws.value(arn, { VersionStage: stage }).catch(() => undefined);
        if (typeof value?.password === 'string') recordSecretMaterial(value.password);
      }
      return outcome;
    },

    async value(
      arn: string,
      selector: { VersionStage?: string; VersionId?: string },
    ): Promise<Record<string, unknown>> {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: arn, ...selector }));
      return JSON.parse(out.SecretString ?? '') as Record<string, unknown>;
    },

    async stages(arn: string): Promise<Record<string, string[]>> {
      return (await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};
    },

    /** The RDS calls received since the last reset, in order: `Operation:identifier`. */
    rdsCalls(): string[] {
      return world
        .requireEmulator()
        .calls.filter((call) => call.service === 'rds')
        .map((call) => `${call.operation}:${call.secretId ?? ''}`);
    },

    /** How many DescribeSecret calls named `secretId` since the last reset. */
    describeSecretCalls(secretId: string): number {
      return world
        .requireEmulator()
        .calls.filter((call) => call.operation === 'DescribeSecret' && call.secretId === secretId).length;
    },

    async close() {
      sm.destroy();
      await world.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
  return aws;
}

export type Aws = Awaited<ReturnType<typeof startRdsAws>>;

/** Whether a user/password logs in to PostgreSQL at `port` over TLS verify-full, as a consumer would. */
export async function pgLogsIn(
  ca: string,
  port: number,
  username: string,
  password: string,
): Promise<boolean> {
  const client = new pg.Client({
    host: 'localhost',
    port,
    database: 'postgres',
    user: username,
    password,
    ssl: { ca, rejectUnauthorized: true },
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether a user/password logs in to MariaDB at `port` over TLS verify-full, as a consumer would. */
export async function mysqlLogsIn(
  ca: string,
  port: number,
  username: string,
  password: string,
): Promise<boolean> {
  try {
    const connection = await createConnection({
      host: 'localhost',
      port,
      user: username,
      password,
      ssl: { ca, rejectUnauthorized: true, verifyIdentity: true },
    });
    try {
      await connection.query('SELECT 1');
      return true;
    } finally {
      await connection.end();
    }
  } catch {
    return false;
  }
}
