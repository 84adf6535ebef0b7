import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/shared/metric-names';
import { BUNDLE_ALIASES, LAZY_MODULES, LAZY_PACKAGES, LOCK_FILE, REPO_ROOT } from '../paths';

/** The Lambda runtime of every Handover function, pinned here (never the caller's choice, never "latest"). */
export const HANDOVER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The environment every Handover function starts from; the caller's environment is merged over it. */
export const BASE_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

/** Properties of {@link HandoverFunction}. */
export interface HandoverFunctionProps {
  /**
   * What the function runs ({@link lambdaEntry}): a TypeScript entry file exporting `handler` (a
   * composition root under `lambdas/`), bundled at synth with the local esbuild; or a folder holding
   * a prebuilt bundle (`index.js` exporting `handler`, and its source map), deployed as it is. The
   * installed package ships one such folder per function in `dist/lambda/<name>/`, built by
   * `npm run build` with these very bundling settings.
   */
  readonly entry: string;
  /**
   * Environment variables, merged over {@link BASE_ENVIRONMENT} (a caller's `NODE_OPTIONS` keeps
   * `--enable-source-maps`).
   * @default - the base environment only
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Memory, in MiB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout of one invocation.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's log group keeps logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The execution role. A role you bring gets the function's permissions added to it when it is
   * mutable (`iam.Role.fromRoleArn(..., { mutable: true })`); an immutable one must already hold them.
   * @default - a new role with no managed policies, only the statements this function needs
   */
  readonly role?: iam.IRole;
  /**
   * Permissions boundary applied to the role this construct creates (ignored with `role`).
   * @default - none
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;
  /**
   * A description shown in the Lambda console.
   * @default - none
   */
  readonly description?: string;
  /**
   * VPC placement.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets, with `vpc`.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups, with `vpc`.
   * @default - one created by Lambda's construct, allowing all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Overrides of the bundling options, merged over the house defaults (minified CommonJS with
   * source maps, ESM sources preferred so they tree-shake, AWS SDK bundled). Not used with a
   * prebuilt bundle (it is already built).
   * @default - the house defaults
   */
  readonly bundling?: BundlingOptions;
}

const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * The shell commands (run by the bundling, from the project root) that build each of
 * {@link LAZY_MODULES} the bundle's entry imports into its own file beside it, with the esbuild
 * and settings of the entry. A module the entry does not import is not built, so only the database
 * functions carry drivers.
 */
export function lazyModuleCommands(
  outputDir: string,
  target: string = HANDOVER_RUNTIME.name.replace(/^nodejs(\d+).*$/, 'node$1'),
): string[] {
  const entry = quote(`${outputDir}/index.js`);
  const esbuild = quote(`${REPO_ROOT}/node_modules/.bin/esbuild`);
  return LAZY_MODULES.map(({ specifier, packageName, file }) => {
    const folder = `${outputDir}/node_modules/${packageName}`;
    const subpath = specifier === packageName ? '.' : `.${specifier.slice(packageName.length)}`;
    const manifest = JSON.stringify({ name: packageName, exports: { [subpath]: `./${file}` } });
    const args = [
      quote(specifier),
      '--bundle',
      '--minify',
      '--platform=node',
      '--format=cjs',
      `--target=${target}`,
      '--main-fields=module,main',
      '--sourcemap',
      '--sources-content=false',
      '--log-level=warning',
      ...Object.entries(BUNDLE_ALIASES).map(([name, path]) => quote(`--alias:${name}=${path}`)),
      ...LAZY_PACKAGES.filter((name) => name !== packageName).map((name) => `--external:${name}`),
      `--outfile=${quote(`${folder}/${file}`)}`,
    ];
    const imported = quote(`(require|import)\\("${specifier}"\\)`);
    return (
      `if grep -qE ${imported} ${entry}; then ${esbuild} ${args.join(' ')}` +
      ` && printf '%s' ${quote(manifest)} > ${quote(`${folder}/package.json`)}; fi`
    );
  });
}

/** The bundling every Handover function uses; `bench` measures this configuration. */
export const HOUSE_BUNDLING: BundlingOptions = {
  minify: true,
  sourceMap: true,
  // Stack traces need the mappings, not the sources: a smaller asset.
  sourcesContent: false,
  format: OutputFormat.CJS,
  // ESM sources of the SDK and zod tree-shake; their CommonJS builds do not.
  mainFields: ['module', 'main'],
  // Bundle the AWS SDK: a pinned, tree-shaken SDK instead of whatever the runtime ships. The
  // database drivers and the RDS CA bundle are files of their own beside the entry, loaded on first use.
  externalModules: [...LAZY_PACKAGES],
  bundleAwsSDK: true,
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => lazyModuleCommands(outputDir),
  },
  esbuildArgs: Object.fromEntries(
    Object.entries(BUNDLE_ALIASES).map(([name, path]) => [`--alias:${name}`, path]),
  ),
};

/** Whether an entry is a folder holding a prebuilt bundle (`index.js`) rather than a source file. */
export function isPrebuiltBundle(entry: string): boolean {
  return existsSync(entry) && statSync(entry).isDirectory() && existsSync(join(entry, 'index.js'));
}

function mergeEnvironment(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const merged: Record<string, string> = { ...BASE_ENVIRONMENT, ...extra };
  const nodeOptions = merged.NODE_OPTIONS ?? '';
  if (!nodeOptions.split(/\s+/).includes('--enable-source-maps')) {
    merged.NODE_OPTIONS = `${nodeOptions} --enable-source-maps`.trim();
  }
  return merged;
}

/**
 * The one Lambda construct of Handover: Node.js 24 on ARM64, bundled from TypeScript with the local
 * esbuild (minified CommonJS, source maps, AWS SDK included), X-Ray tracing, JSON logs into a log
 * group with retention, and a role without managed policies. Every rotation function is one. From
 * the installed package it deploys the prebuilt bundle of the same build instead (no esbuild, no
 * Docker at the user's synth).
 *
 * The role and log group are created next to the function (`<id>Role`, `<id>LogGroup`) because
 * the function needs both before it exists.
 *
 * @example
 * ```ts
 * const fn = new HandoverFunction(this, 'PostgresRotation', {
 *   entry: credentialHandlerEntry('postgres'),
 *   environment: { HANDOVER_POSTGRES_MODE: 'single-user' },
 * });
 * ```
 */
export class HandoverFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: HandoverFunctionProps) {
    const role =
      props.role ??
      new iam.Role(scope, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of the Handover function ${id}`,
        permissionsBoundary: props.permissionsBoundary,
      });
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const code = isPrebuiltBundle(props.entry)
      ? { code: lambda.Code.fromAsset(props.entry), handler: 'index.handler' }
      : {
          entry: props.entry,
          handler: 'handler',
          depsLockFilePath: LOCK_FILE,
          projectRoot: REPO_ROOT,
          bundling: { ...HOUSE_BUNDLING, ...props.bundling },
        };
    super(scope, id, {
      ...code,
      runtime: HANDOVER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(60),
      description: props.description,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: mergeEnvironment(props.environment),
      vpc: props.vpc,
      vpcSubnets: props.vpc === undefined ? undefined : props.vpcSubnets,
      securityGroups: props.vpc === undefined ? undefined : props.securityGroups,
      allowPublicSubnet: false,
    });
    // Only what the function writes: its own log group (the Arn attribute already ends in ':*').
    logGroup.grantWrite(this);
    if (props.vpc !== undefined) {
      // What AWSLambdaVPCAccessExecutionRole grants, without the managed policy.
      this.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'LambdaVpcNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }
  }
}
