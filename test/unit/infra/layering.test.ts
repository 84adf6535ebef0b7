/**
 * DESIGN.md's rule: `infra` knows `lambdas` only as Lambda entry paths and plug-in contract files,
 * which are pure. Every file of `lambdas/` that `infra/` imports, directly or not, imports no AWS
 * SDK, no Lambda runtime library and no driver, and does no I/O.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../infra/paths';

/** Packages and built-ins a pure file may import (node:crypto: hashes and randomness, no I/O). */
const PURE = ['zod/mini', 'node:path', 'node:crypto'];

function sources(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The import specifiers of a file (static imports and re-exports, types left out). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map(
    (match) => match[1] ?? '',
  );
}

function resolveImport(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

describe('Layering: infra and lambdas', () => {
  it('imports from lambdas only pure files: no AWS SDK, no runtime library, no I/O', () => {
    // GIVEN: every lambdas file infra reaches
    const reached = new Set<string>();
    const pending = sources(join(REPO_ROOT, 'infra'));
    const seen = new Set<string>();
    while (pending.length > 0) {
      const file = pending.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) {
          if (file.includes('/lambdas/')) reached.add(`${relative(REPO_ROOT, file)} -> ${specifier}`);
          continue;
        }
        const target = resolveImport(file, specifier);
        if (target?.includes('/lambdas/') || target?.includes('/infra/')) pending.push(target);
      }
    }

    // THEN
    const impure = [...reached].filter((edge) => !PURE.some((module) => edge.endsWith(`-> ${module}`)));
    expect(impure).toEqual([]);
    expect([...seen].some((file) => file.endsWith('lambdas/credentials/postgres/contract.ts'))).toBe(true);
  });
});
