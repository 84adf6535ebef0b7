/**
 * `npm run build` (and `npm pack`, through `prepack`): the npm package in `dist/`.
 *
 * - `dist/index.cjs` + `dist/index.js`: the construct library (`infra/index.ts`) as CommonJS and
 *   ESM (tsup); `dist/verifier.*` and `dist/webhooks.*` likewise. Every package import stays an
 *   import (the package's dependencies and peer dependencies), nothing from `node_modules` is copied in.
 * - `dist/cli/main.js`: the `handover` CLI (`cli/bin.js` runs it), its packages inside.
 * - `dist/types/`: the type declarations (TypeScript's own declaration emit; TypeScript 7 has no
 *   JavaScript API for a bundler to call). They are CommonJS-format declarations
 *   (`dist/types/package.json`), which CommonJS and ESM importers both read.
 * - `dist/lambda/<name>/index.js` (+ `.map`): every Lambda function prebuilt by the very
 *   `HandoverFunction` construct that bundles them at synth in this repository (same esbuild
 *   settings, aliases, minification, source maps), so an app using the package deploys them as they
 *   are: no esbuild, no Docker, no TypeScript sources of ours in its toolchain.
 *
 * Run with `npx tsx scripts/build.ts`; it prints (on stderr) what it built and how long each part took.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { build } from 'tsup';
import { HandoverFunction } from '../infra/constructs/handover-function';
import { HANDOVER_LAMBDAS, type HandoverLambda, lambdaSourceEntry, REPO_ROOT } from '../infra/paths';

const DIST = resolve(REPO_ROOT, 'dist');

/** The package's entry points: `handover`, `handover/verifier`, `handover/webhooks`. */
export const PACKAGE_ENTRIES = {
  index: 'infra/index.ts',
  verifier: 'lambdas/verifier/index.ts',
  webhooks: 'lambdas/webhooks/signature.ts',
} as const;

async function timed<T>(what: string, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const result = await work();
  process.stderr.write(`build: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  return result;
}

/** The JavaScript of the entry points, CommonJS and ESM. */
async function buildLibrary(): Promise<void> {
  await build({
    entry: Object.fromEntries(
      Object.entries(PACKAGE_ENTRIES).map(([name, path]) => [name, join(REPO_ROOT, path)]),
    ),
    format: ['cjs', 'esm'],
    outDir: DIST,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    // `import.meta.url` under CommonJS and `__dirname` under ESM (infra/paths.ts reads either).
    shims: true,
    splitting: false,
    dts: false,
    clean: false,
    skipNodeModulesBundle: true,
    silent: true,
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
  });
}

/**
 * The `handover` CLI (`cli/bin.js`, the package's bin, runs `dist/cli/main.js`): one ESM file with
 * its own packages inside (commander, the prompts, the progress bar, the SDK clients it calls), so
 * the package's dependencies stay what the library needs; the package's dependencies and peer
 * dependencies stay imports. CommonJS packages inside an ESM file need `require`: the banner gives it.
 */
async function buildCli(): Promise<void> {
  await build({
    entry: { 'cli/main': join(REPO_ROOT, 'cli/main.ts') },
    format: ['esm'],
    outDir: DIST,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    splitting: false,
    dts: false,
    clean: false,
    silent: true,
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
  });
}

/** The declarations, from TypeScript's own emit, as CommonJS-format declaration files. */
function buildDeclarations(): void {
  execFileSync(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
  writeFileSync(join(DIST, 'types', 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
}

/**
 * Every Lambda bundle, built by synthesizing one {@link HandoverFunction} per function (bundling
 * on) and copying each function's asset out of the cloud assembly.
 */
function buildLambdaBundles(): void {
  const outdir = mkdtempSync(join(tmpdir(), 'handover-build-'));
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'HandoverLambdaBundles');
    const functions = new Map<HandoverLambda, HandoverFunction>(
      HANDOVER_LAMBDAS.map((name) => [
        name,
        new HandoverFunction(stack, name, { entry: lambdaSourceEntry(name) }),
      ]),
    );
    app.synth();
    const template = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.template.json`), 'utf8')) as {
      Resources: Record<string, { Properties?: { Code?: { S3Key?: string } } }>;
    };
    for (const [name, fn] of functions) {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
      const key = template.Resources[logicalId]?.Properties?.Code?.S3Key;
      if (key === undefined) throw new Error(`build: no asset for the ${name} function`);
      const asset = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
      const target = join(DIST, 'lambda', name);
      mkdirSync(target, { recursive: true });
      // The whole asset: the entry, its source map, and the modules built beside it (LAZY_MODULES).
      cpSync(asset, target, { recursive: true });
      process.stderr.write(
        `build:   dist/lambda/${name}/index.js ${(statSync(join(target, 'index.js')).size / 1024).toFixed(0)} KB\n`,
      );
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const started = performance.now();
rmSync(DIST, { recursive: true, force: true });
await timed('library, CommonJS and ESM (tsup)', buildLibrary);
await timed('the handover CLI (tsup)', buildCli);
await timed('type declarations (tsc)', buildDeclarations);
await timed('Lambda bundles (HandoverFunction, esbuild)', buildLambdaBundles);
process.stderr.write(`build: dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
