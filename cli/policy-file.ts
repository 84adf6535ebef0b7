import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResolvedPolicy, ResolvedSecret, RotationPolicy } from '../infra/rotation-policy';
import { CliError, EXIT } from './errors';
import type { Schedule } from './schedule';

/**
 * Loads and validates a policy module (`export const policy = definePolicy({...})`), the file teams
 * edit: a missing file is `EXIT.notFound`, an invalid policy `EXIT.usage` with every problem.
 */
export async function loadPolicy(file: string): Promise<ResolvedPolicy> {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new CliError(
      EXIT.notFound,
      `the policy file ${file} does not exist`,
      'Pass --policy <file> (the module that exports `policy`)',
    );
  }
  let module: { policy?: RotationPolicy };
  try {
    module = (await import(pathToFileURL(path).href)) as { policy?: RotationPolicy };
  } catch (error) {
    throw new CliError(
      EXIT.usage,
      `the policy file ${file} does not load: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (module.policy === undefined) {
    throw new CliError(
      EXIT.usage,
      `the policy file ${file} exports no \`policy\``,
      'export const policy = definePolicy({ ... })',
    );
  }
  const { validatePolicy } = await import('../infra/rotation-policy');
  try {
    return validatePolicy(module.policy);
  } catch (error) {
    throw new CliError(
      EXIT.usage,
      `the policy in ${file} is not valid: ${error instanceof Error ? error.message : String(error)}`,
      undefined,
      { cause: error },
    );
  }
}

/** The secret a policy entry names: its ARN, its name, or the name the stack gives it. */
export function secretIdOf(entry: ResolvedSecret): string | undefined {
  const source = entry.source as { arn?: string; name?: string; create?: { name?: string } };
  return source.arn ?? source.name ?? source.create?.name;
}

/** A policy entry's schedule, in the CLI's terms. */
export function scheduleOf(entry: ResolvedSecret): Schedule {
  return { expression: entry.schedule.expressionString, windowHours: entry.schedule.windowHours };
}
