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
 * bundle gets a stub that fails loudly if a server ever sends another character set.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  'iconv-lite': resolve(REPO_ROOT, 'lambdas', 'credentials', 'mysql', 'iconv-lite-stub.ts'),
};
