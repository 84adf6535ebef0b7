import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { PutResourcePolicyCommand } from '@aws-sdk/client-secrets-manager';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/errors';
import { type CliWorld, startCliWorld } from '../../support/cli-world';

let world: CliWorld;
let work: string;

beforeAll(async () => {
  world = await startCliWorld();
  work = mkdtempSync(join(tmpdir(), 'handover-cli-bulk-'));
});

afterAll(async () => {
  await world?.close();
  rmSync(work, { recursive: true, force: true });
});

interface BulkResult {
  succeeded: number;
  failed: number;
  secrets: Array<{ secret: string; status: string; executionArn?: string }>;
  skipped: Array<{ secret: string; why: string }>;
  method?: { summary: string; cannotSee: string[] };
}

/** Executions of the rollout state machine per secret ARN (every status). */
async function executionsBySecret(): Promise<Map<string, number>> {
  const out = await world.sfn.send(new ListExecutionsCommand({ stateMachineArn: world.stateMachineArn }));
  const counts = new Map<string, number>();
  for (const execution of out.executions ?? []) {
    const arn = execution.executionArn ?? '';
    counts.set(arn, (counts.get(arn) ?? 0) + 1);
  }
  return counts;
}

describe('CLI: bulk emergency', () => {
  it('rotates every managed secret with a tag, reports those no policy covers, and writes a journal', async () => {
    const names = ['bulk/tag/a', 'bulk/tag/b', 'bulk/tag/c'];
    for (const name of names) await world.managedSecret(name, { tags: { team: 'payments' } });
    await world.managedSecret('bulk/tag/other-team', { tags: { team: 'paymentsx' } });
    await world.unmanagedSecret('bulk/tag/unmanaged', { team: 'payments' });
    const journal = join(work, 'tag.jsonl');

    const run = await world.run([
      'emergency',
      '--tag',
      'team=payments',
      '--reason',
      'payments laptop stolen',
      '--yes',
      '--journal',
      journal,
      '--json',
    ]);

    expect(run.code, run.stderr).toBe(EXIT.ok);
    const result = run.json<BulkResult>();
    expect(result.secrets.map((s) => s.secret).sort()).toEqual(names);
    expect(result.secrets.every((s) => s.status === 'SUCCEEDED')).toBe(true);
    expect(result.skipped).toEqual([{ secret: 'bulk/tag/unmanaged', why: 'outside every Handover policy' }]);
    const lines = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string });
    expect(lines.filter((line) => line.event === 'started')).toHaveLength(3);
    expect(lines.filter((line) => line.event === 'ended')).toHaveLength(3);
  });

  it('asks before a bulk emergency and starts nothing when refused', async () => {
    await world.managedSecret('bulk/declined/a');
    const run = await world.run(['emergency', '--prefix', 'bulk/declined/', '--reason', 'drill'], {
      confirm: [false],
    });
    expect(run.code).toBe(EXIT.declined);
    expect(run.stderr).toMatch(/Emergency rotation of 1 secret/);
  });

  it('finishes with no failure under injected throttling of Step Functions starts and Secrets Manager writes', async () => {
    for (let i = 0; i < 8; i += 1) await world.managedSecret(`bulk/throttled/${i}`);
    const starts = world.emulator.faults.rateLimit({
      service: 'states',
      operations: ['StartExecution'],
      perSecond: 4,
      burst: 2,
    });
    const writes = world.emulator.faults.rateLimit({
      service: 'secretsmanager',
      operations: [
        'RotateSecret',
        'PutSecretValue',
        'UpdateSecretVersionStage',
        'TagResource',
        'UntagResource',
      ],
      perSecond: 20,
      burst: 10,
    });
    try {
      const run = await world.run([
        'emergency',
        '--prefix',
        'bulk/throttled/',
        '--reason',
        'drill under throttling',
        '--yes',
        '--rate',
        '50',
        '--journal',
        join(work, 'throttled.jsonl'),
        '--json',
      ]);
      expect(run.code, run.stderr).toBe(EXIT.ok);
      expect(run.json<BulkResult>()).toMatchObject({ succeeded: 8, failed: 0 });
      expect(starts.throttled + writes.throttled).toBeGreaterThan(0);
    } finally {
      starts.remove();
      writes.remove();
    }
  });

  it('resumes an interrupted run from its journal without starting any rollout twice', async () => {
    for (let i = 0; i < 6; i += 1) await world.managedSecret(`bulk/resume/${i}`);
    const journal = join(work, 'resume.jsonl');
    const argv = [
      'emergency',
      '--prefix',
      'bulk/resume/',
      '--reason',
      'resume drill',
      '--yes',
      '--rate',
      '2',
      '--journal',
      journal,
      '--json',
    ];
    const before = world.emulator.calls.length;
    const interrupt = new AbortController();
    const watcher = setInterval(() => {
      const started = world.emulator.calls
        .slice(before)
        .filter((call) => call.operation === 'StartExecution' && !call.errorCode);
      if (started.length >= 2) interrupt.abort();
    }, 5);
    const first = await world.run(argv, { signal: interrupt.signal });
    clearInterval(watcher);
    expect(first.code).toBe(EXIT.interrupted);
    expect(first.stderr).toMatch(/Run the same command again to resume/);

    const second = await world.run(argv);
    expect(second.code, second.stderr).toBe(EXIT.ok);
    expect(second.stderr).toMatch(/resuming an earlier run/);
    const result = second.json<BulkResult>();
    expect(result).toMatchObject({ succeeded: 6, failed: 0 });
    const arns = result.secrets.map((s) => s.executionArn ?? '');
    expect(new Set(arns).size).toBe(6);
    const counts = await executionsBySecret();
    for (const arn of arns) expect(counts.get(arn)).toBe(1);
    const successfulStarts = world.emulator.calls
      .slice(before)
      .filter((call) => call.operation === 'StartExecution' && !call.errorCode);
    expect(successfulStarts.length).toBe(6);
  });

  it('rotates the secrets a compromised role could read, and states the method and what it cannot see', async () => {
    const iam = new IAMClient({});
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    });
    const role = await iam.send(
      new CreateRoleCommand({ RoleName: 'compromised-ci', AssumeRolePolicyDocument: trust }),
    );
    const roleArn = role.Role?.Arn ?? '';
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'compromised-ci',
        PolicyName: 'read-ci-secrets',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'secretsmanager:GetSecretValue',
              Resource: 'arn:aws:secretsmanager:*:*:secret:rb/ci/*',
            },
          ],
        }),
      }),
    );
    const byIdentity = await world.managedSecret('rb/ci/deploy-key');
    const byResource = await world.managedSecret('rb/shared/registry');
    await world.sm.send(
      new PutResourcePolicyCommand({
        SecretId: byResource.arn,
        ResourcePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: roleArn },
              Action: 'secretsmanager:GetSecretValue',
              Resource: '*',
            },
          ],
        }),
      }),
    );
    const denied = await world.managedSecret('rb/ci/denied');
    await world.sm.send(
      new PutResourcePolicyCommand({
        SecretId: denied.arn,
        ResourcePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Deny', Principal: { AWS: roleArn }, Action: 'secretsmanager:*', Resource: '*' },
          ],
        }),
      }),
    );
    await world.managedSecret('rb/other/unrelated');
    iam.destroy();

    const run = await world.run([
      'emergency',
      '--readable-by',
      roleArn,
      '--reason',
      'CI role credentials leaked',
      '--yes',
      '--journal',
      join(work, 'readable.jsonl'),
      '--json',
    ]);

    expect(run.code, run.stderr).toBe(EXIT.ok);
    const result = run.json<BulkResult>();
    expect(result.secrets.map((s) => s.secret).sort()).toEqual(['rb/ci/deploy-key', 'rb/shared/registry']);
    expect(result.method?.summary).toMatch(/SimulatePrincipalPolicy/);
    expect(result.method?.cannotSee.join('\n')).toMatch(/SCP/);
    expect(result.method?.cannotSee.join('\n')).toMatch(/session policies/);
    expect(run.stderr).toMatch(/^Method: /m);
    expect(byIdentity.arn).not.toBe('');

    const unknown = await world.run([
      'emergency',
      '--readable-by',
      'arn:aws:iam::123456789012:role/nobody',
      '--reason',
      'drill',
      '--yes',
    ]);
    expect(unknown.code).toBe(EXIT.notFound);
    const malformed = await world.run([
      'emergency',
      '--readable-by',
      'ci-role',
      '--reason',
      'drill',
      '--yes',
    ]);
    expect(malformed.code).toBe(EXIT.usage);
  });
});
