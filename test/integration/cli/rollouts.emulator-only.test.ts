import { DescribeSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/errors';
import { generateSharedKey } from '../../../lambdas/verifier';
import { type CliWorld, startCliWorld } from '../../support/cli-world';
import { recordSecretMaterial } from '../../support/log-scan';

let world: CliWorld;

beforeAll(async () => {
  world = await startCliWorld();
});

afterAll(async () => {
  await world?.close();
});

const mirror = (name: string) => ({
  kind: 'ssm-parameter' as const,
  name,
  parameterName: `/apps/${name}/key`,
});

async function current(arn: string): Promise<string | undefined> {
  const out = await world.sm.send(new DescribeSecretCommand({ SecretId: arn }));
  return Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) =>
    stages.includes('AWSCURRENT'),
  )?.[0];
}

describe('CLI: rotate, emergency, status', () => {
  it('rotates a secret through the rollout workflow and follows it until it ends', async () => {
    const secret = await world.managedSecret('cli/rotate/one', { consumers: [mirror('billing')] });
    const before = await current(secret.arn);

    const run = await world.run(['rotate', secret.name, '--reason', 'quarterly drill', '--json']);

    expect(run.code, run.stderr).toBe(EXIT.ok);
    const result = run.json<{ status: string; mode: string; consumers: { done: string[] } }>();
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'scheduled',
      consumers: { done: ['billing'] },
    });
    const after = await current(secret.arn);
    expect(after).not.toBe(before);
    const parameter = await world.ssm.send(
      new GetParameterCommand({ Name: '/apps/billing/key', WithDecryption: true }),
    );
    expect(parameter.Parameter?.Value).toBeDefined();
  });

  it('prints the states as they happen in text mode', async () => {
    const secret = await world.managedSecret('cli/rotate/text');
    const run = await world.run(['rotate', secret.name]);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/Preflight/);
    expect(run.stdout).toMatch(/Start rotation/);
    expect(run.stdout).toMatch(/Rollout of cli\/rotate\/text succeeded/);
  });

  it('asks before an emergency rotation, names who will break, and changes nothing when refused', async () => {
    const secret = await world.managedSecret('cli/emergency/declined', {
      consumers: [mirror('orders'), mirror('invoices')],
    });
    const before = await current(secret.arn);

    const run = await world.run(['emergency', secret.name, '--reason', 'key pasted in a ticket'], {
      confirm: [false],
    });

    expect(run.code).toBe(EXIT.declined);
    expect(run.stderr).toMatch(/consumers that break until they are updated \(2\): orders, invoices/);
    expect(run.stderr).toMatch(/^handover: not confirmed/m);
    expect(await current(secret.arn)).toBe(before);
    expect(
      world.emulator.calls.filter(
        (call) => call.operation === 'StartExecution' && call.secretId === undefined,
      ),
    ).toEqual([]);
  });

  it('revokes in an emergency once confirmed and reports the usage check the rollout made before revoking', async () => {
    const secret = await world.managedSecret('cli/emergency/confirmed', { consumers: [mirror('ledger')] });

    const run = await world.run(['emergency', secret.name, '--reason', 'key pasted in a ticket'], {
      confirm: [true],
    });

    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stderr).toMatch(/Usage of the compromised credential before revoking/);
    expect(run.stdout).toMatch(/Revoke compromised credential/);
  });

  it('refuses a second scheduled rotation while a rollout runs, and lets an emergency take that rollout over', async () => {
    // GIVEN a scheduled rollout in its grace window (its waits last as defined, capped at 2 minutes)
    const secret = await world.managedSecret('cli/emergency/takeover', { consumers: [mirror('billing')] });
    const machines = world.emulator.stepFunctions.stateMachines;
    machines.maxWaitMs = 120_000;
    const scheduled = await world.run(['rotate', secret.name, '--no-follow', '--json']);
    machines.maxWaitMs = 20;
    expect(scheduled.code, scheduled.stderr).toBe(EXIT.ok);
    const executionArn = scheduled.json<{ executionArn: string }>().executionArn;
    const entered = async () =>
      (
        (await world.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ??
        []
      )
        .map((event) => event.stateEnteredEventDetails?.name)
        .filter((name): name is string => name !== undefined);
    for (let i = 0; i < 600 && !(await entered()).includes('Grace window'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await entered()).toContain('Grace window');

    // WHEN a second scheduled rotation is asked for, then an emergency
    const second = await world.run(['rotate', secret.name, '--no-follow']);
    const emergency = await world.run([
      'emergency',
      secret.name,
      '--reason',
      'key pasted in a ticket',
      '--yes',
    ]);

    // THEN the rotation is refused (nothing started) and names the rollout and the way out ...
    expect(second.code).toBe(EXIT.refused);
    expect(second.stderr).toContain(`another rollout of ${secret.name} is running: ${executionArn}`);
    expect(second.stderr).toMatch(/start an emergency rollout \(it takes a scheduled one over\)/);
    // ... and the emergency says it takes the scheduled rollout over, which ends stopped
    expect(emergency.code, emergency.stderr).toBe(EXIT.ok);
    expect(emergency.stderr).toContain(`A scheduled rollout of ${secret.name} is running (${executionArn})`);
    const stopped = await machines.waitForExecution(executionArn);
    expect(stopped.status).toBe('ABORTED');
    expect(stopped.error).toBe('Handover.RolloutTakenOver');
  }, 120_000);

  it('says so when a rotate carries a version never rolled out to the consumers instead of rotating', async () => {
    // GIVEN a secret whose AWSCURRENT was set outside any rollout (it has an AWSPREVIOUS, no record)
    const secret = await world.managedSecret('cli/rotate/carries', { consumers: [mirror('reports')] });
    const key = generateSharedKey();
    recordSecretMaterial(key);
    const value = JSON.stringify({ key });
    await world.sm.send(new PutSecretValueCommand({ SecretId: secret.arn, SecretString: value }));
    const carried = await current(secret.arn);

    // WHEN
    const run = await world.run(['rotate', secret.name]);

    // THEN the rollout carried AWSCURRENT to the consumer and rotated nothing, as the CLI said first
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stderr).toContain(`(version ${carried}) has no record of being rolled out to its consumers`);
    expect(await current(secret.arn)).toBe(carried);
    const parameter = await world.ssm.send(
      new GetParameterCommand({ Name: '/apps/reports/key', WithDecryption: true }),
    );
    expect(parameter.Parameter?.Value).toBe(value);
  });

  it('needs --yes to confirm when there is no terminal', async () => {
    const secret = await world.managedSecret('cli/emergency/script');
    const run = await world.run(['emergency', secret.name, '--reason', 'drill', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.json()).toMatchObject({
      mode: 'emergency',
      status: 'SUCCEEDED',
      whoWillBreak: { consumers: [] },
    });
  });

  it('reports a secret that does not exist, one outside every policy, and bad arguments, each with its own code', async () => {
    const missing = await world.run(['rotate', 'cli/no-such-secret']);
    expect(missing.code).toBe(EXIT.notFound);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^handover: secret cli\/no-such-secret does not exist/);

    await world.unmanagedSecret('cli/unmanaged');
    const unmanaged = await world.run(['emergency', 'cli/unmanaged', '--reason', 'drill', '--yes']);
    expect(unmanaged.code).toBe(EXIT.notManaged);
    expect(unmanaged.stderr).toMatch(/outside every Handover policy/);

    const usage = await world.run(['emergency', 'cli/unmanaged']);
    expect(usage.code).toBe(EXIT.usage);
    const shortReason = await world.run(['emergency', 'cli/unmanaged', '--reason', 'x', '--yes']);
    expect(shortReason.code).toBe(EXIT.usage);
    expect(shortReason.stderr).toMatch(/reason/);
    const unknownVerb = await world.run(['rotte', 'x']);
    expect(unknownVerb.code).toBe(EXIT.usage);
  });

  it('shows versions, stages, age, the last rollout and every covered secret with no argument', async () => {
    const secret = await world.managedSecret('cli/status/one');
    await world.run(['rotate', secret.name]);

    const run = await world.run(['status', secret.name, '--json']);

    expect(run.code, run.stderr).toBe(EXIT.ok);
    const [status] = run.json<{ secrets: Array<Record<string, unknown>> }>().secrets;
    expect(status).toMatchObject({
      secret: 'cli/status/one',
      managed: true,
      rotationEnabled: true,
      credentialType: 'shared-key',
      lastRollout: { currentRolledOut: true },
      findings: [],
    });
    // The scheduled rollout revoked the old key: only AWSCURRENT is left labelled.
    expect(((status?.versions ?? []) as Array<{ stages: string[] }>).map((v) => v.stages.join(','))).toEqual([
      'AWSCURRENT',
    ]);

    const all = await world.run(['status', '--json']);
    expect(all.code, all.stderr).toBe(EXIT.ok);
    expect(all.json<{ secrets: Array<{ secret: string }> }>().secrets.map((s) => s.secret)).toContain(
      'cli/status/one',
    );
  });
});
