import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from './harness';

/**
 * EMULATOR ONLY: these tests use the emulator's fault hooks to make Secrets Manager fail chosen
 * calls, so they cannot run against another endpoint. Each fault outlasts the SDK's own three
 * attempts, so the step fails and Secrets Manager's retry of the step must converge.
 */
let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterEach(() => world.emulator.faults.clear());

afterAll(async () => {
  await world?.close();
});

const SDK_ATTEMPTS = 3;

describe('Rotation under Secrets Manager faults (emulator only)', () => {
  it.each([
    ['PutSecretValue', 'internal', 'createSecret'],
    ['PutSecretValue', 'throttle', 'createSecret'],
    ['GetSecretValue', 'internal', 'createSecret'],
    ['UpdateSecretVersionStage', 'internal', 'finishSecret'],
    ['DescribeSecret', 'throttle', 'createSecret'],
  ] as const)(
    'converges when %s fails (%s) past the SDK retries and %s is retried',
    async (operation, error, step) => {
      for (const mode of ['single-user', 'alternating-users'] as const) {
        const app = await world.createApp(mode);
        const fault = world.emulator.faults.add({
          operation,
          error,
          times: SDK_ATTEMPTS,
          when: (input) => typeof input.SecretId === 'string' && app.arn.startsWith(input.SecretId),
        });

        const outcome = await world.rotate(mode, app.arn);

        expect(fault.hits).toBe(SDK_ATTEMPTS);
        expect(outcome.status).toBe('succeeded');
        expect(outcome.steps.filter((s) => s.outcome === 'failed').map((s) => s.step)).toEqual([step]);
        const stages = await world.stages(app.arn);
        expect(stages[outcome.versionId]).toEqual(['AWSCURRENT']);
        const current = await world.value(app.arn, { VersionStage: 'AWSCURRENT' });
        expect(await world.logsIn(current.username, current.password)).toBe(true);
      }
    },
  );

  it('leaves a rotation that gave up in finishSecret resumable: the pending password works and the next RotateSecret finishes it', async () => {
    const app = await world.createApp('single-user');
    world.emulator.faults.add({ operation: 'UpdateSecretVersionStage', times: SDK_ATTEMPTS * 3 });

    const failed = await world.rotate('single-user', app.arn);

    expect(failed.status).toBe('failed');
    // setSecret already changed the password: AWSCURRENT is stale until finishSecret completes,
    // the single-user window the sandbox shows. The pending value is the one that works.
    const pending = await world.value(app.arn, { VersionId: failed.versionId });
    expect(await world.logsIn(pending.username, pending.password)).toBe(true);

    world.emulator.faults.clear();
    const resumed = await world.rotate('single-user', app.arn, failed.versionId);

    expect(resumed.status).toBe('succeeded');
    const current = await world.value(app.arn, { VersionStage: 'AWSCURRENT' });
    expect(current.password).toBe(pending.password);
  });
});
