/**
 * Full rotations of every database strategy, through the real engine and the emulator's Secrets
 * Manager over HTTP (which invokes the rotation function for each step, like the service): wall
 * time, Secrets Manager calls by operation, database round trips and connections per rotation.
 */
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { RoundTripKind } from '../../lambdas/credentials/database/round-trip';
import { createMysqlStrategy, type MysqlMode } from '../../lambdas/credentials/mysql';
import {
  createPostgresStrategy,
  type PostgresMode,
  quoteIdent,
  quoteLiteral,
} from '../../lambdas/credentials/postgres';
import { createRotationLambda } from '../../lambdas/rotation/lambda';
import type { CredentialStrategy } from '../../lambdas/rotation/strategy';
import { type Emulator, startEmulator } from '../../local/emulator';
import { startMariaDb } from '../../local/mariadb';
import { startPostgres } from '../../local/postgres';
import { recordSecretMaterial } from '../support/log-scan';
import { mysql8DualPasswordServer } from './mysql8';

/** The Secrets Manager operations a rotation makes, in the order the table shows them. */
export const SM_OPERATIONS = [
  'DescribeSecret',
  'GetSecretValue',
  'PutSecretValue',
  'UpdateSecretVersionStage',
] as const;

/** Medians over the measured rotations of one strategy. */
export interface RotationFigures {
  readonly strategy: string;
  /** Where the database ran. */
  readonly server: string;
  readonly wallMs: number;
  /** Secrets Manager calls per rotation, by operation (RotateSecret, the caller's, excluded). */
  readonly calls: Readonly<Record<string, number>>;
  readonly totalCalls: number;
  /**
   * Secrets Manager calls of one more rotation whose every step reaches a new Lambda environment
   * (nothing remembered between steps): the most a rotation makes.
   */
  readonly coldCalls: number;
  readonly roundTrips: number;
  readonly connections: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** `PostgreSQL single-user` -> `postgresql-single-user`, for names and ARNs. */
const slug = (text: string) => text.toLowerCase().replaceAll(' ', '-');

/** A strategy to measure: its database counters feed `count`. */
interface Subject {
  readonly strategy: string;
  readonly server: string;
  readonly secret: Record<string, unknown>;
  readonly build: (count: (kind: RoundTripKind) => void) => CredentialStrategy<unknown>;
}

async function measure(
  emulator: Emulator,
  sm: SecretsManagerClient,
  subject: Subject,
  rotations: number,
): Promise<RotationFigures> {
  const created = await sm.send(
    new CreateSecretCommand({
      Name: `bench/${slug(subject.strategy)}`,
      SecretString: JSON.stringify(subject.secret),
    }),
  );
  const arn = created.ARN ?? '';
  const trips = { connect: 0, query: 0 };
  const strategy = subject.build((kind) => {
    trips[kind]++;
  });
  const lambdaArn = `arn:aws:lambda:us-east-1:123456789012:function:bench-${slug(subject.strategy)}`;
  const client = new SecretsManagerClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: emulator.bootstrapCredentials,
  });
  emulator.registerRotationLambda(lambdaArn, createRotationLambda(strategy, { client }));
  const times: number[] = [];
  const calls: Record<string, number>[] = [];
  const roundTrips: number[] = [];
  const connections: number[] = [];
  for (let i = 0; i < rotations + 1; i++) {
    emulator.resetCalls();
    trips.connect = 0;
    trips.query = 0;
    const started = performance.now();
    await sm.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: lambdaArn }));
    const outcome = await emulator.secretsManager.waitForRotation(arn);
    const elapsed = performance.now() - started;
    if (outcome.status !== 'succeeded')
      throw new Error(`${subject.strategy}: rotation failed: ${outcome.error}`);
    if (i === 0) continue; // warm-up: first connections, JIT
    times.push(elapsed);
    const counts = emulator.callCounts();
    delete counts.RotateSecret; // the caller's call, not the rotation's
    calls.push(counts);
    roundTrips.push(trips.connect + trips.query);
    connections.push(trips.connect);
  }
  // Every step on a new environment: a new function (and so a new memory) per invocation.
  emulator.registerRotationLambda(lambdaArn, (event) => createRotationLambda(strategy, { client })(event));
  emulator.resetCalls();
  await sm.send(new RotateSecretCommand({ SecretId: arn, RotationLambdaARN: lambdaArn }));
  const cold = await emulator.secretsManager.waitForRotation(arn);
  if (cold.status !== 'succeeded')
    throw new Error(`${subject.strategy}: cold rotation failed: ${cold.error}`);
  const coldCounts = emulator.callCounts();
  delete coldCounts.RotateSecret;
  const coldCalls = Object.values(coldCounts).reduce((a, b) => a + b, 0);
  const operations = [...new Set([...SM_OPERATIONS, ...calls.flatMap((c) => Object.keys(c))])];
  const byOperation = Object.fromEntries(operations.map((op) => [op, median(calls.map((c) => c[op] ?? 0))]));
  return {
    strategy: subject.strategy,
    server: subject.server,
    wallMs: median(times),
    calls: byOperation,
    totalCalls: median(calls.map((c) => Object.values(c).reduce((a, b) => a + b, 0))),
    coldCalls,
    roundTrips: median(roundTrips),
    connections: median(connections),
  };
}

/** Every database strategy, on PostgreSQL, MariaDB and (dual-password) a MySQL 8 double. */
export async function benchDatabaseRotations(rotations: number): Promise<RotationFigures[]> {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const postgres = await startPostgres();
  const mariadb = await startMariaDb();
  const emulator = await startEmulator({ rotation: { retries: 0 } });
  try {
    const sm = new SecretsManagerClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: emulator.bootstrapCredentials,
    });
    const secret = async (name: string, value: Record<string, unknown>) =>
      (await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }))).ARN ?? '';
    const password = () => {
      const value = `Bench-${crypto.randomUUID()}`;
      recordSecretMaterial(value);
      return value;
    };

    const pg = { engine: 'postgres', host: 'localhost', port: postgres.port, dbname: 'postgres' };
    const pgMaster = await secret('bench/postgres/master', { ...pg, ...postgres.superuser });
    const pgSubject = async (mode: PostgresMode): Promise<Subject> => {
      const username = `bench_${mode === 'single-user' ? 'single' : 'alt'}`;
      const initial = password();
      await postgres.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(initial)}`);
      return {
        strategy: `PostgreSQL ${mode}`,
        server: `PostgreSQL ${postgres.majorVersion}`,
        secret: {
          ...pg,
          username,
          password: initial,
          ...(mode === 'alternating-users' ? { masterarn: pgMaster } : {}),
        },
        build: (count) =>
          createPostgresStrategy({
            mode,
            tls: { mode: 'verify-full', ca: postgres.ca },
            onRoundTrip: count,
          }) as CredentialStrategy<unknown>,
      };
    };

    // MariaDB: a master like RDS for MariaDB's (no SUPER; CREATE USER and privileges WITH GRANT OPTION).
    const master = { username: 'bench_master', password: password() };
    await mariadb.query('CREATE USER ?@? IDENTIFIED BY ?', [master.username, '%', master.password]);
    await mariadb.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, PROCESS, CREATE USER, RELOAD, SHOW DATABASES
       ON *.* TO 'bench_master'@'%' WITH GRANT OPTION`,
    );
    await mariadb.query('CREATE DATABASE app');
    const my = { engine: 'mariadb', host: 'localhost', port: mariadb.port, dbname: 'app' };
    const myMaster = await secret('bench/mariadb/master', { ...my, ...master });
    const mySubject = async (mode: Exclude<MysqlMode, 'dual-password'>): Promise<Subject> => {
      const username = `bench_${mode === 'single-user' ? 's' : 'a'}`;
      const initial = password();
      await mariadb.query('CREATE USER ?@? IDENTIFIED BY ? REQUIRE SSL', [username, '%', initial]);
      await mariadb.query(`GRANT SELECT, INSERT ON app.* TO '${username}'@'%'`);
      return {
        strategy: `MySQL ${mode}`,
        server: `MariaDB ${mariadb.version.split('-')[0]}`,
        secret: {
          ...my,
          username,
          password: initial,
          ...(mode === 'alternating-users' ? { masterarn: myMaster } : {}),
        },
        build: (count) =>
          createMysqlStrategy({
            mode,
            tls: { mode: 'verify-full', ca: mariadb.ca },
            onRoundTrip: count,
          }) as CredentialStrategy<unknown>,
      };
    };
    const dualUser = 'bench_d';
    const dualInitial = password();
    const mysql8 = mysql8DualPasswordServer(dualUser, dualInitial);
    const dual: Subject = {
      strategy: 'MySQL dual-password',
      server: 'MySQL 8.0 double (see test/bench/mysql8.ts)',
      secret: {
        engine: 'mysql',
        host: 'mysql8.bench.internal',
        port: 3306,
        dbname: 'app',
        username: dualUser,
        password: dualInitial,
      },
      build: (count) =>
        createMysqlStrategy({
          mode: 'dual-password',
          tls: { mode: 'verify-full', ca: mariadb.ca },
          connect: mysql8.connect,
          onRoundTrip: count,
        }) as CredentialStrategy<unknown>,
    };

    const subjects = [
      await pgSubject('single-user'),
      await pgSubject('alternating-users'),
      await mySubject('single-user'),
      await mySubject('alternating-users'),
      dual,
    ];
    const figures: RotationFigures[] = [];
    for (const subject of subjects) figures.push(await measure(emulator, sm, subject, rotations));
    return figures;
  } finally {
    await emulator.close();
    await mariadb.stop();
    await postgres.stop();
  }
}
