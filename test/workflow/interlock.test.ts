import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumerConfig } from '../../lambdas/rollout/contract';
import { rotationSucceededEvent } from '../../local/workflow/events';
import type { ExecutionRecord } from '../../local/workflow/local-step-functions';
import { type RolloutWorld, startRolloutWorld } from './world';

/**
 * The interlock between rotations and rollouts, end to end: the real alternating-users rotation
 * function on real PostgreSQL, the emulator, and the synthesized state machine executed locally.
 */
let world: RolloutWorld;

beforeAll(async () => {
  world = await startRolloutWorld();
});
afterAll(async () => {
  await world?.close();
});

const failure = (record: ExecutionRecord) => `${record.status} ${record.error ?? ''}: ${record.cause ?? ''}`;

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const mirror = (name: string): ConsumerConfig => ({
  kind: 'ssm-parameter',
  name: 'mirror',
  parameterName: `/interlock/${name}`,
  canary: true,
});

describe('Workflow: a rotation during a rollout (the interlock)', () => {
  it("refuses a rotation started in a rollout's grace window, so clients still on the old user never fail a login; the retried rotation passes once the rollout is done", async () => {
    // GIVEN clients that cache AWSCURRENT for 1.5 s, and a rotation whose rollout is in its grace
    // window (2.5 s: longer than the clients' cache) while they still hold the previous user
    const secret = await world.createSecret({ consumers: [mirror(`overlap-${Date.now()}`)] });
    const clients = world.startCachedClients(secret.arn, { clients: 3, cacheMs: 1500, everyMs: 25 });
    const event = await world.rotateAndReport(secret.arn);
    const first = world.local.start(event, `overlap-${Date.now()}`, { 'Grace window': 2500 });
    await until(() => first.record.states.includes('Grace window'), 'the grace window');

    // WHEN the schedule (or "Rotate secret immediately") rotates again inside the grace window
    const started = await world.sm.send(new RotateSecretCommand({ SecretId: secret.arn }));
    const refused = await world.emulator.secretsManager.waitForRotation(secret.arn);
    const done = await first.done;

    // THEN the rotation was refused, naming the rollout, before it changed anything
    expect(refused.status).toBe('failed');
    expect(refused.error).toContain('RotationRefusedError: createSecret refused');
    expect(refused.error).toContain(first.arn);
    expect(done.status, failure(done)).toBe('SUCCEEDED');
    expect(done.states).toContain('Revoke old credential');

    // WHEN Secrets Manager retries the rotation later (the same version), and its rollout runs
    const retried = await world.sm.send(
      new RotateSecretCommand({ SecretId: secret.arn, ClientRequestToken: started.VersionId }),
    );
    const outcome = await world.emulator.secretsManager.waitForRotation(secret.arn);
    await world.recordValues(secret.arn);
    const second = await world.local.start(
      rotationSucceededEvent(secret.arn),
      `overlap-retry-${Date.now()}`,
      {
        'Grace window': 2000,
      },
    ).done;
    const stats = await clients.stop();

    // THEN it passed, was rolled out, and no client ever failed to log in
    expect(retried.VersionId).toBe(started.VersionId);
    expect(outcome.status, outcome.error).toBe('succeeded');
    expect(second.status, failure(second)).toBe('SUCCEEDED');
    expect(stats.logins).toBeGreaterThan(100);
    expect(stats.failed).toEqual([]);
    expect(await world.lock(secret.arn)).toMatchObject({ done: started.VersionId });
  });

  it('stops a scheduled rollout in its grace window for an emergency start, which takes over, rotates and revokes', async () => {
    // GIVEN a scheduled rollout waiting out its grace window
    const secret = await world.createSecret({ consumers: [mirror(`emergency-${Date.now()}`)] });
    const event = await world.rotateAndReport(secret.arn);
    const compromised = await world.value(secret.arn, { VersionStage: 'AWSCURRENT' });
    const scheduled = world.local.start(event, `scheduled-${Date.now()}`, { 'Grace window': 60_000 });
    await until(() => scheduled.record.states.includes('Grace window'), 'the grace window');

    // WHEN security staff start an emergency rotation
    const emergency = await world.local.start({
      secretId: secret.name,
      mode: 'emergency',
      reason: 'password pasted in a public channel',
    }).done;
    const stopped = await scheduled.done;
    await world.recordValues(secret.arn);

    // THEN the scheduled rollout was stopped cleanly, with the named error and who took over
    expect(stopped.status).toBe('ABORTED');
    expect(stopped.error).toBe('Handover.RolloutTakenOver');
    expect(stopped.cause).toContain(`emergency rollout ${emergency.arn} takes over`);
    // ... and the emergency rotated, revoked the compromised credential and updated consumers
    expect(emergency.status, failure(emergency)).toBe('SUCCEEDED');
    const current = await world.value(secret.arn, { VersionStage: 'AWSCURRENT' });
    expect(await world.logsIn(compromised.username, compromised.password)).toBe(false);
    expect(await world.logsIn(current.username, current.password)).toBe(true);
    expect(await world.lock(secret.arn)).toMatchObject({ releasedBy: emergency.arn });
    expect((await world.describe(secret.arn)).tags['handover:rollout']).toBeUndefined();
    // Recorded and notified.
    expect(world.summaries(secret.name).map((message) => message.subject)).toEqual([
      `Handover: rollout of ${secret.name} stopped: taken over`,
      `Handover: EMERGENCY: old credential of ${secret.name} revoked`,
      `Handover: rollout of ${secret.name} succeeded`,
    ]);
    expect(world.milestones(secret.arn)).toEqual([
      'Handover Rollout Started',
      'Handover Rollout ConsumersUpdated',
      'Handover Rollout Failed',
      'Handover Rollout Started',
      'Handover Rollout Revoked',
      'Handover Rollout ConsumersUpdated',
      'Handover Rollout Succeeded',
    ]);
  });
});
