import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/errors';
import { type CliWorld, startCliWorld } from '../../support/cli-world';

const POLICY = resolve(import.meta.dirname, 'fixtures/policy.ts');
let world: CliWorld;

beforeAll(async () => {
  world = await startCliWorld();
});

afterAll(async () => {
  await world?.close();
});

interface Plan {
  secrets: Array<{
    id: string;
    action: string;
    changes: string[];
    nextWindows: Array<{ start: string; end: string }>;
  }>;
}

describe('CLI: plan and age', () => {
  it('plans what a deploy creates or changes and the next rotation windows of each secret', async () => {
    await world.managedSecret('plan/partner-key', {
      consumers: [{ kind: 'ssm-parameter', name: 'old-mirror', parameterName: '/x' }],
    });
    await world.unmanagedSecret('plan/weekly-key');

    const run = await world.run(['plan', '--policy', POLICY, '--windows', '2', '--json']);

    expect(run.code, run.stderr).toBe(EXIT.ok);
    const plans = Object.fromEntries(run.json<Plan>().secrets.map((plan) => [plan.id, plan]));
    expect(plans['partner-key']?.action).toBe('change');
    expect(plans['partner-key']?.changes).toEqual([expect.stringMatching(/^consumers \+\S+ -old-mirror$/)]);
    expect(plans['weekly-key']?.changes.join('\n')).toMatch(
      /turn rotation on: cron\(0 3 \? \* SUN \*\), window 3h/,
    );
    expect(plans['weekly-key']?.changes.join('\n')).toMatch(/create rollout configuration/);
    const sundays = plans['weekly-key']?.nextWindows ?? [];
    expect(sundays).toHaveLength(2);
    for (const window of sundays) {
      const start = new Date(window.start);
      expect([start.getUTCDay(), start.getUTCHours(), start.getUTCMinutes()]).toEqual([0, 3, 0]);
      expect(Date.parse(window.end) - start.getTime()).toBe(3 * 3600 * 1000);
    }
    expect(plans['new-key']).toMatchObject({ action: 'create', nextWindows: [] });
  });

  it('finds secrets older than their policy and rotation off where the policy says on', async () => {
    const run = await world.run(['age', '--policy', POLICY, '--json']);
    expect(run.code).toBe(EXIT.findings);
    const ages = run.json<{ secrets: Array<{ id: string; findings: string[] }> }>().secrets;
    expect(ages.find((age) => age.id === 'weekly-key')?.findings).toContain(
      'rotation is off although the policy says on',
    );
    expect(ages.some((age) => age.id === 'new-key')).toBe(false);
    const missing = await world.run(['age', '--policy', 'no/such/policy.ts']);
    expect(missing.code).toBe(EXIT.notFound);
  });

  it('answers --help from the package bin, as `npx handover` runs it', async () => {
    const { stdout } = await promisify(execFile)('npx', ['handover', '--help'], {
      cwd: resolve(import.meta.dirname, '../../..'),
    });
    for (const verb of ['status', 'rotate', 'emergency', 'provide', 'plan', 'age'])
      expect(stdout).toMatch(new RegExp(`^  ${verb} `, 'm'));
    expect(stdout).toMatch(/Exit codes:/);
  });
});
