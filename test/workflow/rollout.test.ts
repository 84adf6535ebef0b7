import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerConfig } from '../../lambdas/rollout/contract';
import type { ExecutionRecord } from '../../local/workflow/local-step-functions';
import { recordSecretMaterial } from '../support/log-scan';
import { type RolloutWorld, startRolloutWorld } from './world';

let world: RolloutWorld;
/** State transitions per scenario, for the cost figure (printed at the end of the file). */
const transitions: Record<string, number> = {};

beforeAll(async () => {
  world = await startRolloutWorld();
});
afterAll(async () => {
  process.stdout.write(`workflow: state transitions per execution: ${JSON.stringify(transitions)}\n`);
  await world?.close();
});

const failure = (record: ExecutionRecord) => `${record.status} ${record.error ?? ''}: ${record.cause ?? ''}`;
const indexOf = (record: ExecutionRecord, state: string) => record.states.indexOf(state);
const count = (record: ExecutionRecord, state: string) =>
  record.states.filter((name) => name === state).length;
const lambdaVersion = (fn: string) =>
  world.emulator.lambda.functionConfiguration(fn)?.Environment?.Variables?.HANDOVER_SECRET_VERSION;

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Workflow: the synthesized rollout state machine', () => {
  it('rolls a scheduled rotation out in waves (canary first) to every consumer kind, then revokes the old credential', async () => {
    // GIVEN
    const fn = `orders-api-${Date.now()}`;
    world.emulator.lambda.registerFunction({ functionName: fn });
    const parameter = `/orders/${fn}/db`;
    const consumers: ConsumerConfig[] = [
      { kind: 'ssm-parameter', name: 'legacy-mirror', parameterName: parameter, canary: true },
      { kind: 'webhook', name: 'partner', url: world.webhookUrl, signingSecretArn: world.signingSecretArn },
      { kind: 'event', name: 'ci-deploy', timeoutSeconds: 30 },
      { kind: 'lambda', name: 'orders-api', functionName: fn },
    ];
    const secret = await world.createSecret({ consumers });
    const event = await world.rotateAndReport(secret.arn);
    const before = await world.describe(secret.arn);
    const current = await world.value(secret.arn, { VersionStage: 'AWSCURRENT' });

    // WHEN
    const record = await world.local.start(event).done;
    transitions['happy path (4 consumers, 2 waves)'] = record.transitions;

    // THEN
    expect(record.status, failure(record)).toBe('SUCCEEDED');
    expect(indexOf(record, 'Canary: update and verify consumer')).toBeGreaterThan(-1);
    expect(indexOf(record, 'Canary: update and verify consumer')).toBeLessThan(
      indexOf(record, 'Main: update and verify consumer'),
    );
    expect(indexOf(record, 'Check canary wave')).toBeLessThan(indexOf(record, 'Main wave'));
    // Every consumer is on the new version, verified.
    expect(world.emulator.ssm.parameter(parameter)?.value).toBe(JSON.stringify(current));
    expect(world.emulator.ssm.parameter(parameter)?.type).toBe('SecureString');
    expect(
      world.deliveries.filter((d) => d.consumer === 'partner' && d.versionId === before.current),
    ).toEqual([
      { consumer: 'partner', phase: 'update', versionId: before.current, signature: 'valid', status: 200 },
      { consumer: 'partner', phase: 'verify', versionId: before.current, signature: 'valid', status: 200 },
    ]);
    expect(world.acknowledgements).toContainEqual({ consumer: 'ci-deploy', versionId: before.current });
    expect(lambdaVersion(fn)).toBe(before.current);
    // The old credential is revoked, the new one works.
    expect(await world.logsIn(secret.username, secret.password)).toBe(false);
    expect(await world.logsIn(current.username, current.password)).toBe(true);
    // Followers and humans were told; the lock is released and the version recorded.
    expect(world.milestones(secret.arn)).toEqual([
      'Handover Rollout Started',
      'Handover Rollout ConsumersUpdated',
      'Handover Rollout Revoked',
      'Handover Rollout Succeeded',
    ]);
    const summary = world.summaries(secret.name).at(-1);
    expect(summary?.subject).toBe(`Handover: rollout of ${secret.name} succeeded`);
    expect(summary?.message).toMatch(/updated: legacy-mirror, .*ci-deploy/);
    expect(summary?.message).toContain('Revoked:     yes');
    const after = await world.describe(secret.arn);
    expect(after.tags['handover:rollout']).toBeUndefined();
    expect(after.tags['handover:rolled-out']).toBe(before.current);
    expect(world.metrics).toContainEqual(['RolloutSucceeded', 'postgres']);
    // No notification, event or webhook carries a credential.
    const published = JSON.stringify([
      world.emulator.sns.messages(world.topicArn),
      world.emulator.eventBridge.events({}),
      world.deliveries,
    ]);
    expect(published).not.toContain(secret.password);
    expect(published).not.toContain(current.password);
  });

  it('rolls back when a canary consumer fails: AWSCURRENT back on the old version, consumers re-pointed, old credential working', async () => {
    // GIVEN
    const fn = `billing-api-${Date.now()}`;
    world.emulator.lambda.registerFunction({ functionName: fn });
    const parameter = `/billing/${fn}/db`;
    const consumers: ConsumerConfig[] = [
      { kind: 'lambda', name: 'billing-api', functionName: fn, canary: true },
      { kind: 'ssm-parameter', name: 'billing-mirror', parameterName: parameter, canary: true },
      { kind: 'event', name: 'billing-ci', timeoutSeconds: 30 },
      {
        kind: 'webhook',
        name: 'billing-partner',
        url: world.webhookUrl,
        signingSecretArn: world.signingSecretArn,
      },
    ];
    const secret = await world.createSecret({ consumers });
    const original = await world.value(secret.arn, { VersionStage: 'AWSCURRENT' });
    const event = await world.rotateAndReport(secret.arn);
    const before = await world.describe(secret.arn);
    world.emulator.lambda.failNextUpdate(fn, {
      reason: 'The function could not be updated: KMS key disabled.',
    });

    // WHEN
    const record = await world.local.start(event).done;
    transitions['canary failure + rollback'] = record.transitions;

    // THEN
    expect(failure(record)).toMatch(/^FAILED Handover\.ConsumerUpdateFailed: .*billing-api/);
    const after = await world.describe(secret.arn);
    expect(after.current).toBe(before.previous);
    expect(after.previous).toBe(before.current);
    // The canary consumers point at the old version again; the main wave was never touched.
    expect(world.emulator.ssm.parameter(parameter)?.value).toBe(JSON.stringify(original));
    expect(lambdaVersion(fn)).toBe(before.previous);
    expect(count(record, 'Re-point: update and verify consumer')).toBe(2);
    expect(count(record, 'Main wave')).toBe(0);
    expect(world.acknowledgements.filter((ack) => ack.consumer === 'billing-ci')).toEqual([]);
    expect(world.deliveries.filter((d) => d.consumer === 'billing-partner')).toEqual([]);
    // The old credential still works (alternating users: never revoked).
    expect(await world.logsIn(original.username, original.password)).toBe(true);
    expect(world.milestones(secret.arn)).toEqual([
      'Handover Rollout Started',
      'Handover Rollout RolledBack',
      'Handover Rollout Failed',
    ]);
    const summary = world.summaries(secret.name).at(-1);
    expect(summary?.subject).toContain('FAILED (ConsumerUpdateFailed), rolled back');
    expect(summary?.message).toContain('billing-api (lambda)');
    expect(summary?.message).toContain('pointed back at the old version: ');
    expect(summary?.message).toContain('#runbook-rollout-consumer-update-failed');
    expect(world.metrics).toContainEqual(['ConsumerUpdateFailed', 'postgres']);
    expect(after.tags['handover:rollout']).toBeUndefined();
  });

  it('re-checks an old credential still in use, then fails with the named error and the alarm metric, and does NOT revoke it', async () => {
    // GIVEN
    const fn = `reports-${Date.now()}`;
    world.emulator.lambda.registerFunction({ functionName: fn });
    const secret = await world.createSecret({
      consumers: [{ kind: 'lambda', name: 'reports', functionName: fn, canary: true }],
      usageMaxChecks: 3,
    });
    const event = await world.rotateAndReport(secret.arn);
    // A client nobody listed still holds the old credential.
    const straggler = await world.holdSession(secret.username, secret.password);

    // WHEN
    const record = await world.local.start(event).done;
    await straggler.end();
    transitions['old credential still in use (3 checks)'] = record.transitions;

    // THEN
    expect(failure(record)).toMatch(/^FAILED Handover\.OldCredentialStillInUse: .*after 3 checks/);
    expect(count(record, 'Check old credential usage')).toBe(3);
    expect(count(record, 'Wait before re-checking')).toBe(2);
    expect(count(record, 'Revoke old credential')).toBe(0);
    expect(await world.logsIn(secret.username, secret.password)).toBe(true);
    expect(world.metrics).toContainEqual(['OldCredentialStillInUse', 'postgres']);
    const summary = world.summaries(secret.name).at(-1);
    expect(summary?.message).toContain('Old credential: IN USE');
    expect(summary?.message).toContain('"Action":"revoke"');
    expect(summary?.message).toContain('#runbook-rollout-old-credential-still-in-use');
    expect((await world.describe(secret.arn)).tags['handover:rollout']).toBeUndefined();
  });

  it('in emergency mode rotates, revokes right after the new credential is verified, reports who will break, then updates consumers', async () => {
    // GIVEN
    const fn = `payments-${Date.now()}`;
    world.emulator.lambda.registerFunction({ functionName: fn });
    const parameter = `/payments/${fn}/db`;
    const secret = await world.createSecret({
      consumers: [
        { kind: 'lambda', name: 'payments-api', functionName: fn, canary: true },
        { kind: 'ssm-parameter', name: 'payments-mirror', parameterName: parameter },
      ],
    });

    // WHEN
    const record = await world.local.start({
      secretId: secret.name,
      mode: 'emergency',
      reason: 'password pasted in a public channel',
    }).done;
    await world.recordValues(secret.arn);
    transitions['emergency (2 consumers)'] = record.transitions;

    // THEN
    expect(record.status, failure(record)).toBe('SUCCEEDED');
    const revoked = indexOf(record, 'Revoke compromised credential');
    expect(indexOf(record, 'Check rotation')).toBeLessThan(revoked);
    expect(revoked).toBeLessThan(indexOf(record, 'Main: update and verify consumer'));
    expect(count(record, 'Canary: update and verify consumer')).toBe(0);
    expect(count(record, 'Grace window')).toBe(0);
    const current = await world.value(secret.arn, { VersionStage: 'AWSCURRENT' });
    expect(await world.logsIn(secret.username, secret.password)).toBe(false);
    expect(await world.logsIn(current.username, current.password)).toBe(true);
    const { current: newVersion } = await world.describe(secret.arn);
    expect(lambdaVersion(fn)).toBe(newVersion);
    expect(world.emulator.ssm.parameter(parameter)?.value).toBe(JSON.stringify(current));
    const [alert, final] = world.summaries(secret.name);
    expect(alert?.subject).toBe(`Handover: EMERGENCY: old credential of ${secret.name} revoked`);
    expect(alert?.message).toContain('  - payments-api (lambda)\n  - payments-mirror (ssm-parameter)');
    expect(alert?.message).toContain('password pasted in a public channel');
    expect(final?.subject).toBe(`Handover: rollout of ${secret.name} succeeded`);
    expect(world.metrics).toContainEqual(['EmergencyRollout', 'postgres']);
    expect(world.milestones(secret.arn)).toEqual([
      'Handover Rollout Started',
      'Handover Rollout Revoked',
      'Handover Rollout ConsumersUpdated',
      'Handover Rollout Succeeded',
    ]);
  });

  it('refuses a second rollout of a secret while one runs, and skips a duplicate RotationSucceeded event', async () => {
    // GIVEN a rollout waiting for an event consumer's acknowledgement
    const secret = await world.createSecret({
      consumers: [{ kind: 'event', name: 'k8s-operator', timeoutSeconds: 30 }],
    });
    const event = await world.rotateAndReport(secret.arn);
    const release = world.holdAcknowledgements();
    const first = world.local.start(event);
    await until(
      () => first.record.states.includes('Main: publish event and wait for acknowledgement'),
      'the first rollout to wait',
    );

    // WHEN
    const second = await world.local.start({
      secretId: secret.arn,
      mode: 'scheduled',
      reason: 'second start',
    }).done;
    const duplicate = await world.local.start(event).done;
    const locked = await world.describe(secret.arn);
    release();
    const done = await first.done;
    transitions['refused (lock held)'] = second.transitions;
    transitions['duplicate event (skipped)'] = duplicate.transitions;

    // THEN
    expect(failure(second)).toMatch(/^FAILED Handover\.RolloutRefused: another rollout of .* is running/);
    expect(second.cause).toContain(first.arn);
    expect(duplicate.status).toBe('SUCCEEDED');
    expect(duplicate.states.at(-1)).toBe('Nothing to do');
    expect(locked.tags['handover:rollout']).toBe(first.arn);
    expect(world.emulator.secretsManager.rotationsOf(secret.arn)).toHaveLength(1);
    expect(done.status, failure(done)).toBe('SUCCEEDED');
    expect((await world.describe(secret.arn)).tags['handover:rollout']).toBeUndefined();
    expect(world.summaries(secret.name).map((message) => message.subject)).toEqual([
      `Handover: rollout of ${secret.name} FAILED (RolloutRefused)`,
      `Handover: rollout of ${secret.name} succeeded`,
    ]);
  });

  it('fails with Handover.RotationFailed before any consumer is touched when the rotation fails', async () => {
    // GIVEN a master secret whose password is wrong: setSecret cannot log in
    const wrong = `Wrong-${crypto.randomUUID()}`;
    recordSecretMaterial(wrong);
    const badMaster = await world.sm.send(
      new CreateSecretCommand({
        Name: `bad-master-${crypto.randomUUID()}`,
        SecretString: JSON.stringify({
          engine: 'postgres',
          host: 'localhost',
          port: world.database.port,
          dbname: 'postgres',
          username: world.database.superuser.username,
          password: wrong,
        }),
      }),
    );
    const fn = `ledger-${Date.now()}`;
    world.emulator.lambda.registerFunction({ functionName: fn });
    const parameter = `/ledger/${fn}/db`;
    const secret = await world.createSecret({
      masterArn: badMaster.ARN,
      consumers: [
        { kind: 'lambda', name: 'ledger', functionName: fn, canary: true },
        { kind: 'ssm-parameter', name: 'ledger-mirror', parameterName: parameter },
        { kind: 'event', name: 'ledger-ci' },
      ],
    });
    const before = await world.describe(secret.arn);
    world.settings.rotationTimeoutSeconds = 1;

    // WHEN
    const record = await world.local.start({ secretId: secret.arn, mode: 'scheduled', reason: 'quarterly' })
      .done;
    world.settings.rotationTimeoutSeconds = 5;
    transitions['rotation failure (1 s of polling)'] = record.transitions;

    // THEN
    expect(failure(record)).toMatch(
      /^FAILED Handover\.RotationFailed: rotation of .* did not finish within 1 s/,
    );
    expect(count(record, 'Canary wave')).toBe(0);
    expect(world.emulator.lambda.updateCount(fn)).toBe(0);
    expect(world.emulator.ssm.parameter(parameter)).toBeUndefined();
    expect(world.acknowledgements.filter((ack) => ack.consumer === 'ledger-ci')).toEqual([]);
    const after = await world.describe(secret.arn);
    expect(after.current).toBe(before.current);
    expect(await world.logsIn(secret.username, secret.password)).toBe(true);
    expect(after.tags['handover:rollout']).toBeUndefined();
    expect(world.summaries(secret.name).at(-1)?.message).toContain('#runbook-rollout-rotation-failed');
  });
});
