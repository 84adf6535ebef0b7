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
 * bundle gets a stub that fails loudly if a server ever sends another character set.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  'iconv-lite': resolve(REPO_ROOT, 'lambdas', 'credentials', 'mysql', 'iconv-lite-stub.ts'),
};
