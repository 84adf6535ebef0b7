/**
 * The AWS-free sandbox (`npm start`): a real PostgreSQL server with TLS, the Secrets Manager
 * emulator over HTTP, and the real rotation Lambda code. It rotates a single-user and an
 * alternating-users secret several times while a pool of clients keeps logging in with whatever
 * AWSCURRENT holds, prints a timeline of every step, and counts failed logins per strategy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import type { PostgresMode } from '../lambdas/credentials/postgres/options';
import { quoteIdent, quoteLiteral } from '../lambdas/credentials/postgres/sql';
import type { StepInvocation } from './emulator';
import { startEmulator } from './emulator';
import { startPostgres } from './postgres';

export interface SandboxOptions {
  /** Rotations per secret. @default 3 */
  readonly rounds?: number;
  /** Clients per strategy that keep logging in. @default 4 */
  readonly clientsPerStrategy?: number;
  /** How long a client caches the secret value before reading it again, in ms. @default 250 */
  readonly cacheMs?: number;
  /** Print the timeline and summary. @default true */
  readonly print?: boolean;
  /** Let the Lambda's JSON logs and metrics through. @default false */
  readonly verbose?: boolean;
}

export interface StrategySummary {
  readonly mode: PostgresMode;
  readonly rotations: number;
  readonly rotationsFailed: number;
  readonly logins: number;
  readonly failedLogins: number;
  /** Milliseconds between the first and the last failed login, if any failed. */
  readonly failureWindowMs: number;
}

export interface SandboxResult {
  readonly strategies: readonly StrategySummary[];
  readonly durationMs: number;
}

const LAMBDA_ARN = (mode: PostgresMode) =>
  `arn:aws:lambda:us-east-1:123456789012:function:handover-postgres-${mode}`;
const MODES: readonly PostgresMode[] = ['single-user', 'alternating-users'];

/** Runs the sandbox and returns what it measured. Cleans up after itself, even on failure. */
export async function runSandbox(options: SandboxOptions = {}): Promise<SandboxResult> {
  const rounds = options.rounds ?? 3;
  const clientsPerStrategy = options.clientsPerStrategy ?? 4;
  const cacheMs = options.cacheMs ?? 250;
  const print = options.print ?? true;
  const out = (line: string) => {
    if (print) process.stdout.write(`${line}\n`);
  };
  const started = performance.now();
  const elapsed = () => `+${((performance.now() - started) / 1000).toFixed(3)}s`.padStart(9);

  if (!options.verbose) {
    process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  }
  const work = mkdtempSync(join(tmpdir(), 'handover-sandbox-'));
  const database = await startPostgres();
  const emulator = await startEmulator({ rotation: { retries: 2, retryDelayMs: 100 } });
  const stops: Array<() => Promise<void>> = [];
  try {
    out(`Handover sandbox: PostgreSQL ${database.majorVersion} (TLS, test CA) on 127.0.0.1:${database.port}`);
    out(`                  Secrets Manager emulator at ${emulator.endpoint}`);
    const caFile = join(work, 'ca.pem');
    writeFileSync(caFile, database.ca);
    const aws = { region: 'us-east-1', credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } };
    Object.assign(process.env, {
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: emulator.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const sm = new SecretsManagerClient({ ...aws, endpoint: emulator.endpoint });
    // The rotation code is imported only now, so it reads the sandbox's environment.
    const { createRotationLambda } = await import('../lambdas/rotation/lambda');
    const { STRATEGIES } = await import('../lambdas/credentials/registry');

    const connection = { engine: 'postgres', host: 'localhost', port: database.port, dbname: 'postgres' };
    const master = await sm.send(
      new CreateSecretCommand({
        Name: 'sandbox/postgres/master',
        SecretString: JSON.stringify({ ...connection, ...database.superuser }),
      }),
    );
    const secrets = new Map<PostgresMode, string>();
    for (const mode of MODES) {
      const username = mode === 'single-user' ? 'app_single' : 'app_alt';
      const password = `Initial-${mode}-${Math.random().toString(36).slice(2)}`;
      await database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
      const created = await sm.send(
        new CreateSecretCommand({
          Name: `sandbox/postgres/${mode}`,
          SecretString: JSON.stringify({
            ...connection,
            username,
            password,
            ...(mode === 'alternating-users' ? { masterarn: master.ARN } : {}),
          }),
        }),
      );
      secrets.set(mode, created.ARN ?? '');
      const handler = createRotationLambda(
        STRATEGIES.postgres({
          HANDOVER_POSTGRES_MODE: mode,
          HANDOVER_TLS_MODE: 'verify-full',
          HANDOVER_TLS_CA_FILE: caFile,
        }),
      );
      emulator.registerRotationLambda(LAMBDA_ARN(mode), async (event) => {
        const t = performance.now();
        try {
          await handler(event);
          out(
            `${elapsed()}  ${mode.padEnd(17)} ${event.Step.padEnd(12)} v=${event.ClientRequestToken.slice(0, 8)}  ${Math.round(performance.now() - t)} ms`.padEnd(
              0,
            ),
          );
        } catch (error) {
          out(
            `${elapsed()}  ${mode.padEnd(17)} ${event.Step.padEnd(12)} v=${event.ClientRequestToken.slice(0, 8)}  FAILED: ${(error as Error).message}`,
          );
          throw error;
        }
      });
    }

    // The client pool: each client re-reads AWSCURRENT when its cache expires, then logs in.
    const stats = new Map(MODES.map((mode) => [mode, { logins: 0, failed: [] as number[] }]));
    let running = true;
    const clients = MODES.flatMap((mode) =>
      Array.from({ length: clientsPerStrategy }, async () => {
        const stat = stats.get(mode) ?? { logins: 0, failed: [] };
        let cached: { value: { username: string; password: string }; at: number } | undefined;
        while (running) {
          if (cached === undefined || performance.now() - cached.at > cacheMs) {
            const got = await sm.send(new GetSecretValueCommand({ SecretId: secrets.get(mode) }));
            cached = { value: JSON.parse(got.SecretString ?? '{}'), at: performance.now() };
          }
          const client = new pg.Client({
            host: 'localhost',
            port: database.port,
            database: 'postgres',
            user: cached.value.username,
            password: cached.value.password,
            ssl: { ca: database.ca, rejectUnauthorized: true },
          });
          stat.logins++;
          try {
            await client.connect();
            await client.query('SELECT 1');
          } catch {
            stat.failed.push(performance.now());
          } finally {
            await client.end().catch(() => undefined);
          }
          await sleep(10);
        }
      }),
    );
    stops.push(async () => {
      running = false;
      await Promise.all(clients);
    });

    out('');
    out(`${'time'.padStart(9)}  ${'strategy'.padEnd(17)} ${'step'.padEnd(12)} version     duration`);
    const failedRotations = new Map(MODES.map((mode) => [mode, 0]));
    await sleep(300);
    for (let round = 1; round <= rounds; round++) {
      for (const mode of MODES) {
        const arn = secrets.get(mode) ?? '';
        await sm.send(
          new RotateSecretCommand({
            SecretId: arn,
            RotationLambdaARN: LAMBDA_ARN(mode),
            RotationRules: { AutomaticallyAfterDays: 30 },
          }),
        );
        const outcome = await emulator.secretsManager.waitForRotation(arn);
        if (outcome.status !== 'succeeded') failedRotations.set(mode, (failedRotations.get(mode) ?? 0) + 1);
        out(
          `${elapsed()}  ${mode.padEnd(17)} rotation ${round} ${outcome.status} (${describeAttempts(outcome.steps)})`,
        );
        await sleep(300);
      }
    }
    await stops.pop()?.();

    const summaries = MODES.map((mode): StrategySummary => {
      const stat = stats.get(mode) ?? { logins: 0, failed: [] };
      const first = stat.failed[0];
      const last = stat.failed.at(-1);
      return {
        mode,
        rotations: rounds,
        rotationsFailed: failedRotations.get(mode) ?? 0,
        logins: stat.logins,
        failedLogins: stat.failed.length,
        failureWindowMs: first === undefined || last === undefined ? 0 : Math.round(last - first),
      };
    });
    out('');
    out('strategy           rotations  logins  failed logins');
    for (const s of summaries) {
      out(
        `${s.mode.padEnd(18)} ${`${s.rotations - s.rotationsFailed}/${s.rotations}`.padStart(9)}  ${String(s.logins).padStart(6)}  ${String(s.failedLogins).padStart(13)}`,
      );
    }
    out('');
    out('alternating-users keeps the old user valid until finishSecret: no client can fail.');
    out(
      `single-user changes the one password in setSecret: clients holding the old value fail until they re-read`,
    );
    out(
      `AWSCURRENT after finishSecret (cache ${cacheMs} ms here). Use alternating-users where downtime matters.`,
    );
    return { strategies: summaries, durationMs: Math.round(performance.now() - started) };
  } finally {
    for (const stop of stops) await stop();
    await emulator.close();
    await database.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function describeAttempts(steps: readonly StepInvocation[]): string {
  const retries = steps.filter((s) => s.attempt > 1).length;
  return `${steps.length} step calls${retries > 0 ? `, ${retries} retries` : ''}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runSandbox({ verbose: process.argv.includes('--verbose') })
    .then((result) => {
      const alternating = result.strategies.find((s) => s.mode === 'alternating-users');
      const failedRotations = result.strategies.reduce((n, s) => n + s.rotationsFailed, 0);
      process.stdout.write(`\nsandbox finished in ${(result.durationMs / 1000).toFixed(1)} s\n`);
      process.exitCode = failedRotations > 0 || (alternating?.failedLogins ?? 0) > 0 ? 1 : 0;
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
