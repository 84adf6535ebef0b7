import type { CliContext } from '../context';
import { CliError, EXIT } from '../errors';
import { formatDuration, table } from '../output';
import { loadPolicy, scheduleOf, secretIdOf } from '../policy-file';
import { maxAgeMs } from '../schedule';
import { describe } from '../secrets';

/** One secret's age against its policy. */
export interface SecretAge {
  readonly id: string;
  readonly secret: string;
  readonly ageMs?: number;
  readonly maxAgeMs?: number;
  readonly findings: readonly string[];
}

/**
 * `handover age`: every entry of a policy that is not paused, against the account: secrets older
 * than their policy allows (the entry's `maxAge`, else the schedule's longest gap plus its window),
 * rotation off although the policy says on, and secrets the policy names that do not exist.
 * Exits `EXIT.findings` (10) when it finds any.
 */
export async function ageCommand(ctx: CliContext, options: { policy: string }): Promise<number> {
  const policy = await loadPolicy(options.policy);
  const now = ctx.now();
  const ages: SecretAge[] = [];
  for (const entry of policy.secrets) {
    if (entry.paused) continue;
    const id = secretIdOf(entry) ?? entry.id;
    const secret = await describe(ctx, id).catch((error: unknown) => {
      if (error instanceof CliError && error.exitCode === EXIT.notFound) return undefined;
      throw error;
    });
    if (secret === undefined) {
      ages.push({ id: entry.id, secret: id, findings: ['does not exist'] });
      continue;
    }
    const since = secret.description.LastRotatedDate ?? secret.description.CreatedDate ?? now;
    const ageMs = now.getTime() - since.getTime();
    const limit = entry.maxAge?.toMilliseconds() ?? maxAgeMs(scheduleOf(entry), now);
    const findings: string[] = [];
    if (limit !== undefined && ageMs > limit)
      findings.push(`older than its policy: ${formatDuration(ageMs)} > ${formatDuration(limit)}`);
    if (!secret.rotationEnabled) findings.push('rotation is off although the policy says on');
    ages.push({
      id: entry.id,
      secret: secret.name,
      ageMs,
      ...(limit === undefined ? {} : { maxAgeMs: limit }),
      findings,
    });
  }
  for (const line of table([
    ['ENTRY', 'SECRET', 'AGE', 'AT MOST', 'FINDINGS'],
    ...ages.map((age) => [
      age.id,
      age.secret,
      age.ageMs === undefined ? '-' : formatDuration(age.ageMs),
      age.maxAgeMs === undefined ? '-' : formatDuration(age.maxAgeMs),
      age.findings.join('; ') || 'ok',
    ]),
  ])) {
    ctx.out.line(line);
  }
  const findings = ages.filter((age) => age.findings.length > 0);
  ctx.out.result({ policy: options.policy, secrets: ages, findings: findings.length });
  return findings.length > 0 ? EXIT.findings : EXIT.ok;
}
